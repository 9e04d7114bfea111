"""HUD card queue and renderer for the waveguide display (pure Python + Pillow).

Cards arrive as events.Card; the queue shows the newest live card, except that
an urgent card (priority >= URGENT_PRIORITY: a confirmation, a battery warning)
stays in front of newer, less urgent ones until it expires or is replaced. So a
"Listening…" cue or a fresh answer is never hidden behind the previous answer
(measured: before, the cue of a wake word said while an answer card was up never
showed, and answers waited up to the old card's ttl). ``render`` draws it into a
mono8 image: the micro-OLED waveguide shows green-on-black, so one channel is
enough.

Text is drawn with Noto Sans CJK SC (Debian fonts-noto-cjk, which `make` installs):
Latin and Chinese in one font. Lines break between words, and anywhere between
Chinese characters (text without spaces), never before closing punctuation
such as "，" or "。".
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from glasses_bringup.foundation.events import CARD_CLEAR


@dataclass(order=True)
class _Queued:
    sort_key: tuple
    card: object = field(compare=False)
    expires: float = field(compare=False)


URGENT_PRIORITY = 8


class CardQueue:
    """Live cards, newest first, urgent ones in front; a card with the same card_id replaces the older one."""

    def __init__(self, max_cards: int = 16):
        self.max_cards = max_cards
        self.cards: dict[str, _Queued] = {}
        self.seq = 0

    def push(self, card, now: float) -> None:
        if card.kind == CARD_CLEAR:
            self.cards.pop(card.card_id, None)
            return
        self.seq += 1
        urgency = card.priority if card.priority >= URGENT_PRIORITY else 0
        self.cards[card.card_id] = _Queued((-urgency, -self.seq), card, now + card.ttl_s)
        if len(self.cards) > self.max_cards:
            lowest = max(self.cards.values())
            self.cards.pop(lowest.card.card_id)

    def current(self, now: float):
        for key in [k for k, q in self.cards.items() if q.expires <= now]:
            del self.cards[key]
        return min(self.cards.values()).card if self.cards else None


# (path, face index): Noto Sans CJK's collection holds JP, KR, SC, TC, HK faces; SC
# draws the simplified forms the cards use.
CJK_FONTS = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
)
# may not start a line (closing punctuation), may not end one (opening punctuation)
NO_LINE_START = set("，。、；：！？）》」』】〕…,.;:!?)]}%·")
NO_LINE_END = set("（《「『【〔([{")
_TOKEN = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]|[^\s\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+|\s+")


def find_cjk_font() -> tuple[str, int] | None:
    """(path, face index) of a font with Chinese glyphs, or None."""
    for path, index in CJK_FONTS:
        if Path(path).is_file():
            return path, index
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True,
                                 timeout=5, check=False).stdout.strip()  # fmt: skip
        except (OSError, subprocess.TimeoutExpired):
            out = ""
        if out and Path(out).is_file() and _has_glyph(out, 0, "付"):
            return out, 0
    return None


def _has_glyph(path: str, index: int, ch: str) -> bool:
    """Whether the font draws ``ch`` as something other than its missing-glyph box."""
    try:
        font = ImageFont.truetype(path, 16, index=index)
    except OSError:
        return False
    glyph, missing = font.getmask(ch), font.getmask("\uffff")
    return glyph.getbbox() is not None and (glyph.size != missing.size or bytes(glyph) != bytes(missing))


def wrap_text(text: str, fits) -> list[str]:
    """Lines of ``text`` for which ``fits(line)`` holds: breaks at spaces between
    words and between any two Chinese characters, keeping closing punctuation on
    the line before. A word too long for a line is cut by characters."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        if token.isspace():
            if line:
                line += " "
            continue
        candidate = line + token
        if fits(candidate.rstrip()) or not line.strip():
            if not fits(candidate.rstrip()):  # one token wider than a line: cut it
                for ch in token:
                    if line and not fits(line + ch):
                        lines.append(line.rstrip())
                        line = ""
                    line += ch
                continue
            line = candidate
            continue
        if token[0] in NO_LINE_START or (line.rstrip() and line.rstrip()[-1] in NO_LINE_END):
            # closing punctuation stays with the text before it (may overhang slightly)
            line = candidate
            continue
        lines.append(line.rstrip())
        line = token
    if line.strip():
        lines.append(line.rstrip())
    return lines


class CardRenderer:
    """Draws a card (title, body, lines) into a mono8 numpy image.

    ``font_path`` empty: Noto Sans CJK when installed, else Pillow's built-in font
    (Latin only: ``cjk`` is then False and Chinese shows as empty boxes).
    """

    def __init__(self, width: int = 640, height: int = 400, font_path: str = "", font_size: int = 28):
        self.width, self.height = width, height
        self.thumbnail_errors = 0
        found = (font_path, 0) if font_path else find_cjk_font()
        self.font_path = found[0] if found else ""
        self.title_font = self._font(found, font_size + 6)
        self.body_font = self._font(found, font_size)
        self.cjk = bool(found) and _has_glyph(found[0], found[1], "付")

    @staticmethod
    def _font(found: tuple[str, int] | None, size: int):
        if found:
            return ImageFont.truetype(found[0], size, index=found[1])  # OSError names a missing font file
        return ImageFont.load_default(size=size)

    def _wrap(self, draw: ImageDraw.ImageDraw, text: str, font) -> list[str]:
        return wrap_text(text, lambda line: draw.textlength(line, font=font) <= self.width - 40)

    def render(self, card, brightness: float = 1.0) -> np.ndarray:
        img = Image.new("L", (self.width, self.height), 0)
        if card is not None:
            draw = ImageDraw.Draw(img)
            level = int(round(255 * max(0.0, min(1.0, brightness))))
            y = 20
            for line in self._wrap(draw, card.title, self.title_font)[:2]:
                draw.text((20, y), line, fill=level, font=self.title_font)
                y += int(self.title_font.size * 1.3)
            y += int(self.title_font.size * 0.2)
            for text in ([card.body] if card.body else []) + list(card.lines):
                for line in self._wrap(draw, text, self.body_font):
                    if y > self.height - self.body_font.size:
                        break
                    draw.text((20, y), line, fill=level, font=self.body_font)
                    y += int(self.body_font.size * 1.3)
            if card.kind in ("confirm", "warning"):
                draw.rectangle((4, 4, self.width - 5, self.height - 5), outline=level, width=3)
            if getattr(card, "image", ""):
                self._draw_thumbnail(img, card.image, brightness)
        return np.asarray(img, dtype=np.uint8)

    def _draw_thumbnail(self, img: Image.Image, path: str, brightness: float) -> None:
        """A card's picture (a photo's thumbnail) in the lower right corner; a missing file draws nothing."""
        try:
            with Image.open(path) as pic:
                thumb = pic.convert("L")
        except (OSError, ValueError):
            self.thumbnail_errors += 1
            return
        thumb.thumbnail((self.width // 3, self.height // 2))
        if brightness < 1.0:
            thumb = thumb.point(lambda v: int(v * max(0.0, brightness)))
        img.paste(thumb, (self.width - thumb.width - 12, self.height - thumb.height - 12))


def spoken_text(card) -> str:
    """What the G1 (no display) says instead of showing a card."""
    parts = [card.title] + ([card.body] if card.body else []) + list(card.lines[:3])
    if getattr(card, "lang", "en") == "zh":
        return "。".join(p.strip().rstrip("。.") for p in parts if p.strip()) + "。"
    return ". ".join(p.strip().rstrip(".") for p in parts if p.strip()) + "."
