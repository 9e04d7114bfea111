"""Continuous transcription for live captions, meeting notes and the teleprompter (no rclpy).

``CaptionStream`` listens to everything (no wake word): an ``UtteranceStream`` with
``always_listen`` cuts speech into utterances with partial requests while one goes on;
each request is tagged with who spoke by ``SpeakerClassifier`` and recognised by
``caption`` (Whisper transcribe in the spoken language, or its translate task: speech in
any language -> English text, offline, on a multilingual model).

Wearer vs others, a loudness heuristic: the wearer's mouth is 5-10 cm from the temple
microphones, other people a metre or more away, so the wearer's direct sound is about
20 dB louder (inverse-square law: 20·log10(100 cm / 8 cm) ≈ 22 dB; room echo narrows
it to 10-15 dB). A segment's speech level is the RMS of its loudest half of 20 ms
frames (pauses inside it do not count). The wearer's speech, about -20 dBFS RMS at the
mics, measures about -15 dBFS that way and another speaker 14 dB down about -29, so
the boundary sits between the two: ``wearer_min_dbfs`` (-22). Once both sides have a
few finals, the boundary follows the midpoint of their running median levels (within
``max_shift_db`` of the configured one, and only while they are ``min_gap_db`` apart):
a wearer who speaks softer, or a microphone gain other than assumed, moves it.
Whispering wearers or a loud neighbour still fool it; a beamformer's direction of
arrival would be the better cue on real hardware.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from glasses_perception.voice.asr import Request, UtteranceStream

FRAME = 320  # 20 ms at 16 kHz
WEARER_MIN_DBFS = -22.0


def level_dbfs(samples: np.ndarray) -> float:
    """Speech level of a segment: RMS (dBFS) over its loudest half of 20 ms frames."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    n = x.size // FRAME
    if n == 0:
        rms = float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0
    else:
        frames = np.sqrt(np.mean(np.square(x[: n * FRAME].reshape(n, FRAME)), axis=1))
        loud = np.sort(frames)[n // 2 :]
        rms = float(np.sqrt(np.mean(np.square(loud))))
    return max(-90.0, min(0.0, 20.0 * math.log10(rms))) if rms > 0 else -90.0


class SpeakerClassifier:
    """Wearer or other by speech level, the boundary adapting to the levels heard (see the module doc)."""

    def __init__(self, wearer_min_dbfs: float = WEARER_MIN_DBFS, adapt: bool = True, history: int = 20,
                 min_segments: int = 3, min_gap_db: float = 8.0, max_shift_db: float = 6.0):  # fmt: skip
        self.wearer_min_dbfs = wearer_min_dbfs
        self.adapt = adapt
        self.min_segments = min_segments
        self.min_gap_db = min_gap_db
        self.max_shift_db = max_shift_db
        self.levels = {"wearer": deque(maxlen=history), "other": deque(maxlen=history)}

    @property
    def boundary_dbfs(self) -> float:
        wearer, other = self.levels["wearer"], self.levels["other"]
        if not self.adapt or len(wearer) < self.min_segments or len(other) < self.min_segments:
            return self.wearer_min_dbfs
        high, low = float(np.median(wearer)), float(np.median(other))
        if high - low < self.min_gap_db:
            return self.wearer_min_dbfs  # the two sides are not apart enough to say where between them
        mid = (high + low) / 2.0
        return min(max(mid, self.wearer_min_dbfs - self.max_shift_db), self.wearer_min_dbfs + self.max_shift_db)

    def __call__(self, samples: np.ndarray) -> tuple[str, float]:
        level = level_dbfs(samples)
        return ("wearer" if level >= self.boundary_dbfs else "other"), level

    def learn(self, speaker: str, level: float) -> None:
        """A final segment's judgement: its level joins that side's running history."""
        self.levels[speaker].append(level)


@dataclass(frozen=True)
class CaptionRequest:
    request: Request
    speaker: str
    level_dbfs: float


@dataclass(frozen=True)
class CaptionResult:
    text: str
    final: bool
    lang: str  # language of the text
    spoken_lang: str
    task: str
    speaker: str
    level_dbfs: float
    audio_start: float
    audio_end: float
    latency_ms: float
    utterance_id: int
    decode_ms: float


class CaptionStream:
    """Audio chunks -> caption requests (speaker-tagged). Tentative finals are not used: one worker."""

    def __init__(self, stream: UtteranceStream | None = None, classifier: SpeakerClassifier | None = None):
        self.stream = stream or UtteranceStream(always_listen=True)
        self.stream.always_listen = True
        self.classifier = classifier or SpeakerClassifier()
        self._speaker: dict[int, tuple[str, float]] = {}

    def feed(self, samples: np.ndarray, stamp: float) -> list[CaptionRequest]:
        _, requests = self.stream.feed(samples, stamp)
        return self._tag(requests)

    def gap(self, stamp: float) -> list[CaptionRequest]:
        return self._tag(self.stream.gap(stamp))

    def _tag(self, requests: list[Request]) -> list[CaptionRequest]:
        out = []
        for r in requests:
            if r.tentative:
                continue
            speaker, level = self.classifier(r.audio)
            if not r.final and r.utterance_id in self._speaker and r.audio.size < 16000:
                speaker, level = self._speaker[r.utterance_id]  # a short partial: keep the first judgement
            self._speaker[r.utterance_id] = (speaker, level)
            if r.final:
                self._speaker.pop(r.utterance_id, None)
                self.classifier.learn(speaker, level)
            out.append(CaptionRequest(r, speaker, level))
        return out


COMMAND_HOLD_S = 8.0  # longest a command to the glasses is left out: the ASR's 6 s listen window and its final
# longest wake phrase ("hey jarvis" said slowly) plus the detector's lag: its stamp is about 0.15 s after the end
WAKE_PHRASE_MAX_S = 1.5


class CommandHold:
    """The spans of audio in which the wearer speaks to the glasses, left out of captions and notes.

    A wake word or a tap (``perception/wake``) opens one at its stamp; the ASR's final
    transcript of the command that followed (``audio_end`` after the opening) closes it,
    and so does ``max_s`` without a final (a wake word with no command). While one is
    open the captions node neither decodes nor keeps the audio: "hey jarvis, stop taking
    notes" is not meeting content, and its decode would share the CPU with the ASR's
    decode of the same words, which the wearer waits for. A follow-up window (no wake
    word, no tap) opens none: the people around go on being captioned.

    The wake phrase itself is heard before its wake event arrives, and the event ends
    the caption being heard (``wake_phrase_only``): a caption that began less than
    ``wake_phrase_s`` before a wake word's stamp is the phrase alone and is left out
    undecoded, for the same two reasons. Speech that ran on into the phrase from
    earlier is still captioned, phrase included.
    """

    OPENING_REASONS = ("wake_word", "touch")

    def __init__(self, max_s: float = COMMAND_HOLD_S, wake_phrase_s: float = WAKE_PHRASE_MAX_S):
        if max_s < 0 or wake_phrase_s < 0:
            raise ValueError(f"max_s {max_s} and wake_phrase_s {wake_phrase_s} must be >= 0")
        self.max_s = max_s
        self.wake_phrase_s = wake_phrase_s
        self.start: float | None = None
        self.held = 0  # commands left out so far
        self.wake_phrases = 0  # captions left out as the wake phrase alone

    def wake_phrase_only(self, request: Request, wake_stamp: float, reason: str) -> bool:
        """Whether ``request``, ended by a wake event at ``wake_stamp``, holds the wake phrase alone."""
        only = (reason == "wake_word" and self.max_s > 0 and request.final
                and request.audio_start >= wake_stamp - self.wake_phrase_s)  # fmt: skip
        self.wake_phrases += only
        return only

    def wake(self, stamp: float, reason: str) -> bool:
        """A wake event; True when it opened a hold."""
        if reason not in self.OPENING_REASONS or self.max_s <= 0:
            return False
        if self.start is None:
            self.held += 1
        self.start = stamp if self.start is None else min(self.start, stamp)
        return True

    def final_transcript(self, audio_end: float) -> None:
        """The ASR's final of a command: ends the hold it belongs to."""
        if self.start is not None and audio_end > self.start:
            self.start = None

    def holding(self, stamp: float) -> bool:
        """True while audio at ``stamp`` is the wearer's command (expires ``max_s`` after it opened)."""
        if self.start is None:
            return False
        if stamp - self.start >= self.max_s:
            self.start = None
            return False
        return stamp >= self.start


def caption(recognizer, item: CaptionRequest, task: str = "transcribe", lang: str | None = None,
            queued_ms: float = 0.0) -> CaptionResult:  # fmt: skip
    """Recognise one caption request; ``task="translate"`` (English text) needs a multilingual Whisper model."""
    r = item.request
    if task == "translate":
        text, spoken, decode_ms = whisper_translate(recognizer, r.audio, lang)
        out_lang = "en"
    else:
        transcribe = getattr(recognizer, "transcribe", None)
        rec = transcribe(r.audio, lang) if transcribe else recognizer.recognize(r.audio, lang)
        text, spoken, decode_ms, out_lang = rec.text, rec.lang, rec.decode_ms, rec.lang
    latency = decode_ms + queued_ms + (r.endpoint_wait_ms if r.final else 0.0)
    return CaptionResult(text, r.final, out_lang, spoken, task, item.speaker, item.level_dbfs, r.audio_start,
                         r.audio_end, latency, r.utterance_id, decode_ms)  # fmt: skip


def whisper_translate(recognizer, samples: np.ndarray, lang: str | None = None) -> tuple[str, str, float]:
    """(English text, spoken language, decode ms) from Whisper's translate task, offline.

    ``lang`` None or ``auto`` detects the spoken language (among the recognizer's ``languages``)."""
    if not getattr(recognizer, "multilingual", False):
        raise ValueError("the translate task needs a multilingual Whisper model (model_path, or lang zh / auto)")
    t0 = time.perf_counter()
    rec = recognizer.transcribe(np.asarray(samples, dtype=np.float32).reshape(-1), lang, task="translate")
    return rec.text, rec.lang, (time.perf_counter() - t0) * 1000.0
