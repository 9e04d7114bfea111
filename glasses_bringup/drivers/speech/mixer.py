"""One output for everything the bone-conduction speaker plays: speech, music, the call.

The speech player writes its blocks to ``MixingSink.write`` as to any sink; music
(speaker/music) and the far end of a call (speaker/call) arrive as chunks through
``feed`` and wait in a short buffer per source. A speech block goes out with the
same number of buffered samples of every source added to it; while nothing is
spoken (no speech block for 1.5 blocks), a bed thread writes the buffered sources on their own, so music keeps
playing between answers. The underlying sink paces both writers (it blocks for the
block's duration), one at a time, so the order of every source's samples is kept.
Ducking is the music player's job (it lowers its level while the assistant speaks
or a call is on); the mix clips at full scale and counts the clipped blocks.
"""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np

BLOCK_S = 0.02


class SourceBuffer:
    """Samples of one source at the output rate, at most ``max_s`` of them (the oldest are dropped)."""

    def __init__(self, rate: int, max_s: float = 1.0):
        self.limit = max(1, int(rate * max_s))
        self.chunks: deque[np.ndarray] = deque()
        self.size = 0
        self.dropped_samples = 0
        self.played_samples = 0
        self.sum_squares = 0.0

    def push(self, samples: np.ndarray) -> None:
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if x.size == 0:
            return
        self.chunks.append(x)
        self.size += x.size
        while self.size > self.limit:  # the output fell behind: keep the newest second
            over = self.size - self.limit
            head = self.chunks[0]
            if head.size <= over:
                self.chunks.popleft()
                self.size -= head.size
                self.dropped_samples += head.size
            else:
                self.chunks[0] = head[over:]
                self.size -= over
                self.dropped_samples += over

    def pop(self, n: int) -> np.ndarray:
        """Up to ``n`` samples, zero-padded to ``n`` when fewer are buffered."""
        out = np.zeros(n, np.float32)
        filled = 0
        while filled < n and self.chunks:
            head = self.chunks[0]
            take = min(n - filled, head.size)
            out[filled : filled + take] = head[:take]
            filled += take
            if take == head.size:
                self.chunks.popleft()
            else:
                self.chunks[0] = head[take:]
            self.size -= take
        self.played_samples += filled
        self.sum_squares += float(np.dot(out[:filled], out[:filled]))
        return out

    def rms(self) -> float:
        """RMS of everything played from this source so far."""
        return (self.sum_squares / self.played_samples) ** 0.5 if self.played_samples else 0.0


class MixingSink:
    def __init__(self, sink, sources: tuple[str, ...] = ("music", "call"), max_buffer_s: float = 1.0):
        self.sink = sink
        self.rate = sink.rate
        self.buffers = {name: SourceBuffer(self.rate, max_buffer_s) for name in sources}
        self.clipped_blocks = 0
        self._lock = threading.Lock()  # one writer on the sink at a time
        self._bed_lock = threading.Lock()  # the buffers
        self._wake = threading.Event()
        self._closing = False
        self._last_speech = -1e9  # when write() last sent a speech block
        self._thread = threading.Thread(target=self._bed, name="speaker_mixer", daemon=True)
        self._thread.start()

    @property
    def played_s(self) -> float:
        return self.sink.played_s

    def feed(self, source: str, samples: np.ndarray) -> None:
        """Chunk of ``source`` (a name given at construction) at the output rate."""
        with self._bed_lock:
            self.buffers[source].push(samples)
        self._wake.set()

    def _mix(self, block: np.ndarray | None, n: int) -> np.ndarray:
        with self._bed_lock:
            out = np.zeros(n, np.float32) if block is None else np.asarray(block, np.float32).reshape(-1).copy()
            for buffer in self.buffers.values():
                if buffer.size:
                    out += buffer.pop(n)
        peak = float(np.max(np.abs(out))) if out.size else 0.0
        if peak > 1.0:
            self.clipped_blocks += 1
            np.clip(out, -1.0, 1.0, out=out)
        return out

    def write(self, block: np.ndarray) -> None:
        """A block of speech, with the buffered sources mixed in."""
        with self._lock:
            self.sink.write(self._mix(block, np.asarray(block).size))
            self._last_speech = time.monotonic()

    def _pending(self) -> bool:
        with self._bed_lock:
            return any(b.size for b in self.buffers.values())

    def _bed(self) -> None:
        n = int(self.rate * BLOCK_S)
        while not self._closing:
            if not self._pending():
                self._wake.wait(0.05)
                self._wake.clear()
                continue
            with self._lock:
                # between two speech blocks the bed waits: the speech carries the sources then
                if not self._closing and time.monotonic() - self._last_speech > 1.5 * BLOCK_S:
                    self.sink.write(self._mix(None, n))
                    continue
            time.sleep(BLOCK_S / 2)

    def stop(self) -> None:
        self.sink.stop()

    def close(self) -> None:
        self._closing = True
        self._wake.set()
        self._thread.join(timeout=2)
        self.sink.close()
