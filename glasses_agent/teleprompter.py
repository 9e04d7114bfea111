"""Teleprompter core (no rclpy): a script on the HUD that follows the wearer's speech.

The script is wrapped into HUD lines and flattened into normalised words (English
words, Chinese characters), each knowing its line. Every transcript update (partials
replace each other, then the final) adds to a short history of spoken words; the last
``tail_words`` of it are aligned to the script inside a window around the current
position (``back_words`` behind, ``ahead_words`` ahead) with rapidfuzz's normalised
Indel similarity, with a small penalty for distance. The best match moves the
position, so skipped lines (a jump inside the window), repeated words and
mis-recognised words (fuzzy match) are tolerated; a weak match (below
``min_score``) leaves the position alone. In ``fixed`` mode, or ``follow`` mode with
no speech for ``idle_fallback_s``, the script scrolls at ``fixed_wpm``. A tap pauses
and resumes; swipes move a line.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz.distance import Indel

_HAN = re.compile(r"[\u3400-\u9fff]")


def tokens(text: str) -> list[str]:
    """Normalised words of ``text``: lower-case latin words and digits, single Chinese characters."""
    text = unicodedata.normalize("NFKC", text).lower()
    out = []
    for piece in re.findall(r"[\u3400-\u9fff]|[a-z0-9]+(?:'[a-z]+)?", text):
        out.append(piece)
    return out


def wrap_script(text: str, width: int = 32) -> list[str]:
    """HUD lines of a script: paragraphs wrapped to ``width`` columns (a Chinese character counts 2)."""
    lines = []
    for para in text.splitlines():
        para = para.strip()
        if not para:
            continue
        if _HAN.search(para):
            line = ""
            for ch in para:
                if sum(2 if _HAN.match(c) else 1 for c in line + ch) > width:
                    lines.append(line)
                    line = ""
                line += ch
            if line:
                lines.append(line)
        else:
            lines.extend(textwrap.wrap(para, width) or [para])
    return lines


@dataclass
class TeleprompterConfig:
    width: int = 32  # HUD columns per line
    visible_lines: int = 3
    tail_words: int = 6
    back_words: int = 8
    ahead_words: int = 40  # about three skipped lines
    min_score: float = 0.6
    alone_min_score: float = 0.8  # a new utterance aligned on its own (after a skip) must match well
    distance_penalty: float = 0.004  # per word away from the expected position
    mode: str = "follow"  # follow or fixed
    fixed_wpm: float = 130.0
    idle_fallback_s: float = 0.0  # 0 = never scroll by itself in follow mode


@dataclass
class Teleprompter:
    lines: list[str]
    config: TeleprompterConfig = field(default_factory=TeleprompterConfig)
    title: str = ""

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError("empty teleprompter script")
        self.words: list[str] = []
        self.word_line: list[int] = []
        for i, line in enumerate(self.lines):
            for w in tokens(line):
                self.words.append(w)
                self.word_line.append(i)
        if not self.words:
            raise ValueError("teleprompter script has no words")
        self.pos = 0  # index of the next word to be read
        self.paused = False
        self._history: list[str] = []  # finished utterances' words (recent only)
        self._current: tuple[int, list[str]] = (-1, [])  # utterance id, its words so far
        self._last_speech: float | None = None
        self._last_tick: float | None = None
        self._fixed_carry = 0.0
        self.updates = 0

    @classmethod
    def from_text(cls, text: str, config: TeleprompterConfig | None = None, title: str = "") -> Teleprompter:
        config = config or TeleprompterConfig()
        return cls(wrap_script(text, config.width), config, title)

    @property
    def line(self) -> int:
        """The line being read: that of the last word read (the first line before any)."""
        return self.word_line[max(0, min(self.pos, len(self.words)) - 1)] if self.pos else 0

    @property
    def finished(self) -> bool:
        return self.pos >= len(self.words)

    def visible(self) -> list[str]:
        return self.lines[self.line : self.line + self.config.visible_lines]

    def heard(self, text: str, utterance_id: int, final: bool, now: float) -> bool:
        """A transcript of the wearer (partial or final). True when the position moved."""
        self._last_speech = now
        words = tokens(text)
        uid, _ = self._current
        if uid != utterance_id and uid >= 0:
            self._history.extend(self._current[1])  # an utterance whose final never came
        self._current = (utterance_id, words)
        spoken = (self._history + words)[-self.config.tail_words :]
        if final:
            self._history = (self._history + words)[-self.config.tail_words :]
            self._current = (-1, [])
        if self.paused or self.config.mode != "follow" or not spoken:
            return False
        self.updates += 1
        best, end = self._best(spoken)
        if len(words) >= 2 and len(words) < len(spoken):
            # after a skip, the new utterance alone matches better than the old words with it
            alone, alone_end = self._best(words[-self.config.tail_words :])
            if alone >= self.config.alone_min_score and alone > best:
                best, end = alone, alone_end
        if end is None or best < self.config.min_score:
            return False
        moved = end != self.pos
        self.pos = end
        return moved

    def _best(self, spoken: list[str]) -> tuple[float, int | None]:
        """(score, end index) of the best script match of ``spoken`` near the position."""
        cfg = self.config
        said = " ".join(spoken)
        lo = max(0, self.pos - cfg.back_words)
        hi = min(len(self.words), self.pos + cfg.ahead_words)
        best, best_end = 0.0, None
        for end in range(lo + 1, hi + 1):
            start = max(0, end - len(spoken))
            score = Indel.normalized_similarity(said, " ".join(self.words[start:end]))
            # the last spoken word should be the last script word of the candidate
            if self.words[end - 1] != spoken[-1]:
                score -= 0.1
            score -= cfg.distance_penalty * abs(end - self.pos)
            if score > best:
                best, best_end = score, end
        return best, best_end

    def tick(self, now: float) -> bool:
        """Fixed-speed scrolling (fixed mode, or follow mode after a silence). True when it moved."""
        last, self._last_tick = self._last_tick, now
        if self.paused or last is None or self.finished:
            return False
        cfg = self.config
        idle = cfg.idle_fallback_s > 0 and (self._last_speech is None or now - self._last_speech >= cfg.idle_fallback_s)
        if cfg.mode != "fixed" and not idle:
            return False
        self._fixed_carry += max(0.0, now - last) * cfg.fixed_wpm / 60.0
        step = int(self._fixed_carry)
        if step <= 0:
            return False
        self._fixed_carry -= step
        before = self.line
        self.pos = min(len(self.words), self.pos + step)
        return self.line != before

    def toggle_pause(self) -> bool:
        self.paused = not self.paused
        return self.paused

    def move_lines(self, delta: int) -> None:
        """Swipe: put the position at the start of the line ``delta`` lines away."""
        target = min(max(self.line + delta, 0), len(self.lines) - 1)
        self.pos = next((i for i, ln in enumerate(self.word_line) if ln >= target), len(self.words))
        if target > 0 and self.pos < len(self.words):
            self.pos += 1  # the first word of the line counts as read, so ``line`` is that line
