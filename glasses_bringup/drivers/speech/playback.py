"""Speech output: a queue of sentences to speak, a sink that plays them, barge-in.

``SpeechPlayer`` runs one playback thread: it takes the highest-priority request,
synthesises it sentence by sentence (playback starts after the first sentence)
and writes 20 ms blocks to a sink, checking between blocks whether it must stop
(barge-in: the wearer started talking; or a request with ``interrupt``). State
changes go to ``on_state(state, text, request)`` with state in speaking / idle /
interrupted, or "failed" when nothing could be synthesised (the reason is
appended to ``errors``).

``cue(samples)`` plays a short cached sound (the listening earcon) ahead of
anything queued, with no state change: it is not an answer, so it neither
reports speaking/idle nor opens a follow-up window.

Sinks: ``NullSink`` consumes audio in real time (simulation, tests, devices
without a speaker driver); ``SoundDeviceSink`` plays on a PortAudio device.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glasses_bringup.drivers.speech.tts import Synthesizer, TtsError

BLOCK_S = 0.02


class NullSink:
    """Plays nothing, at real-time pace, and counts what it was given."""

    def __init__(self, rate: int):
        self.rate = rate
        self.played_s = 0.0

    def write(self, block: np.ndarray) -> None:
        dur = block.size / self.rate
        self.played_s += dur
        time.sleep(dur)

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


class SoundDeviceSink:
    """PortAudio output (ALSA on the glasses) through sounddevice."""

    def __init__(self, device: str, rate: int):
        import sounddevice as sd

        dev: Any = int(device) if device.isdigit() else device
        self.rate = rate
        self.played_s = 0.0
        self.stream = sd.OutputStream(
            device=dev, samplerate=rate, channels=1, dtype="float32", blocksize=int(rate * BLOCK_S)
        )
        self.stream.start()

    def write(self, block: np.ndarray) -> None:
        self.stream.write(np.ascontiguousarray(block, dtype=np.float32).reshape(-1, 1))
        self.played_s += block.size / self.rate

    def stop(self) -> None:
        self.stream.abort()
        self.stream.start()

    def close(self) -> None:
        self.stream.close()


@dataclass(order=True)
class _Item:
    sort_key: tuple[int, int]
    text: str = field(compare=False)
    lang: str = field(compare=False)
    request: Any = field(compare=False)


class SpeechPlayer:
    def __init__(
        self,
        synthesizer: Synthesizer,
        sink,
        on_state: Callable[[str, str, Any], None],
        volume: float = 1.0,
        max_queue: int = 8,
    ):
        self.synth = synthesizer
        self.sink = sink
        self.on_state = on_state
        self.volume = volume
        self.max_queue = max_queue
        self._heap: list[_Item] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._stop_current = threading.Event()
        self._closing = False
        self.speaking: _Item | None = None
        self.dropped = 0
        self.errors: list[str] = []
        self.first_audio_ms: list[float] = []
        self._cue: np.ndarray | None = None
        self.cues_played = 0
        self.last_cue_delay_ms = 0.0
        self._cue_asked = 0.0
        self._thread = threading.Thread(target=self._run, name="speech_player", daemon=True)
        self._thread.start()

    def say(self, text: str, lang: str = "en", priority: int = 5, interrupt: bool = False, request: Any = None) -> bool:
        """Queue a sentence; ``interrupt`` stops what is playing and clears the queue. False if dropped."""
        with self._cv:
            if interrupt:
                self._heap.clear()
                self._stop_current.set()
            if len(self._heap) >= self.max_queue:
                self.dropped += 1
                return False
            heapq.heappush(self._heap, _Item((-priority, next(self._seq)), text, lang, request))
            self._cv.notify()
        return True

    def cue(self, samples: np.ndarray) -> None:
        """Play a short sound at the sink rate next (a newer cue replaces one not yet played)."""
        with self._cv:
            self._cue = samples
            self._cue_asked = time.perf_counter()
            self._cv.notify()

    def _play_cue(self) -> None:
        with self._cv:
            samples, self._cue = self._cue, None
        if samples is None:
            return
        self.last_cue_delay_ms = (time.perf_counter() - self._cue_asked) * 1000.0
        block = int(self.sink.rate * BLOCK_S)
        for i in range(0, samples.size, block):
            self.sink.write(samples[i : i + block] * self.volume)
        self.cues_played += 1

    def barge_in(self) -> bool:
        """The wearer started talking: stop playback and drop the queue. True if something stopped."""
        with self._cv:
            busy = self.speaking is not None
            self._heap.clear()
            if busy:
                self._stop_current.set()
        return busy

    def close(self) -> None:
        with self._cv:
            self._closing = True
            self._heap.clear()
            self._stop_current.set()
            self._cv.notify()
        self._thread.join(timeout=5)
        self.sink.close()

    def idle(self) -> bool:
        with self._cv:
            return self.speaking is None and not self._heap

    def _run(self) -> None:
        try:
            self.synth.warm_up()
        except Exception as exc:  # reported on first use too; playback may still use espeak-ng
            self.errors.append(f"voice warm-up failed: {exc}")
        while True:
            with self._cv:
                while not self._heap and self._cue is None and not self._closing:
                    self._cv.wait()
                if self._closing:
                    return
                cue_waiting = self._cue is not None
            if cue_waiting:
                self._play_cue()
                continue
            with self._cv:
                if not self._heap:
                    continue
                item = heapq.heappop(self._heap)
                self.speaking = item
                self._stop_current.clear()
            state = self._play(item)
            with self._cv:
                self.speaking = None
                if self._closing:  # the owner is shutting down: its publishers may be gone
                    return
            self.on_state(state, item.text, item.request)

    def _play(self, item: _Item) -> str:
        t0 = time.perf_counter()
        announced = False
        try:
            for samples, rate in self.synth.stream(item.text, item.lang):
                if self._closing:
                    return "interrupted"
                if not announced:
                    self.first_audio_ms.append((time.perf_counter() - t0) * 1000.0)
                    self.on_state("speaking", item.text, item.request)
                    announced = True
                if rate != self.sink.rate:
                    from glasses_bringup.foundation.audio_io import resample

                    samples = resample(samples, rate, self.sink.rate)
                block = int(self.sink.rate * BLOCK_S)
                for i in range(0, samples.size, block):
                    if self._stop_current.is_set():
                        self.sink.stop()
                        return "interrupted"
                    self.sink.write(samples[i : i + block] * self.volume)
        except TtsError as exc:
            self.errors.append(str(exc))
            return "idle" if announced else "failed"
        if self._stop_current.is_set():
            return "interrupted"
        return "idle"
