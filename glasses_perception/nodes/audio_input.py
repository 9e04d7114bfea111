"""audio/raw subscription shared by the voice nodes: checks, gap detection, 16 kHz mono float.

Every malformed chunk (bad caps, wrong step, NaN samples, empty) is counted as a
rejected input and dropped; lost audio (a stamp jump) is counted and reported to
the node's ``on_gap`` so an open utterance ends where the audio stopped. Chunks at
another rate are resampled with a streaming soxr resampler; their output stamps
follow the output sample counter.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import soxr
from sensor_msgs.msg import Image

from glasses_bringup.foundation.audio_format import AudioFormatError, GapDetector, to_mono_float
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.msgs import audio_samples, to_sec

RATE = 16000


class AudioInput:
    """Calls ``on_audio(samples_16k_float32, stamp)`` per good chunk, ``on_gap(stamp, gap_s)`` on lost audio."""

    def __init__(
        self,
        node,
        on_audio: Callable[[np.ndarray, float], None],
        on_gap: Callable[[float, float], None] | None = None,
        topic: str = "audio/raw",
    ):
        self.node = node
        self.on_audio = on_audio
        self.on_gap = on_gap
        self.gaps = GapDetector(tolerance_s=0.003)
        self._resampler: soxr.ResampleStream | None = None
        self._resample_from = 0
        self._out_stamp0 = 0.0
        self._out_count = 0
        self.topic = topic
        self.sub = None
        self.resume()

    @property
    def subscribed(self) -> bool:
        return self.sub is not None

    def pause(self) -> None:
        """Stop taking audio (no callbacks, no copies) until ``resume``: a node with nothing to hear."""
        if self.sub is not None:
            self.node.destroy_subscription(self.sub)
            self.sub = None

    def resume(self) -> None:
        """Take audio again; the silence while paused is not a gap."""
        if self.sub is None:
            self.gaps = GapDetector(tolerance_s=0.003)
            self._resampler = None
            self.sub = self.node.create_subscription(Image, self.topic, self.receive, gq.for_topic(self.topic))

    def receive(self, msg: Image) -> None:
        health = self.node.health
        try:
            caps, samples = audio_samples(msg)
        except AudioFormatError as exc:
            health.reject("bad_audio", str(exc))
            self.node.get_logger().warning(f"dropped audio chunk: {exc}", throttle_duration_sec=2.0)
            return
        stamp = to_sec(msg.header.stamp)
        gap = self.gaps.check(stamp, samples.shape[0], caps.rate)
        health.tick("audio")
        if gap != 0.0:
            if gap > 0:
                health.drop("audio_gap")
                health.error(f"lost {gap * 1000:.0f} ms of audio before {stamp:.3f}", count=False)
            else:
                health.drop("audio_overlap")
            health.set("audio_missing_s", f"{self.gaps.missing_s:.3f}")
            self._resampler = None
            if self.on_gap is not None:
                self.on_gap(stamp, gap)
        mono = to_mono_float(caps, samples)
        if caps.rate != RATE:
            mono, stamp = self._resample(mono, caps.rate, stamp)
            if mono.size == 0:
                return
        self.on_audio(mono, stamp)

    def _resample(self, mono: np.ndarray, rate: int, stamp: float) -> tuple[np.ndarray, float]:
        if self._resampler is None or self._resample_from != rate:
            self._resampler = soxr.ResampleStream(rate, RATE, 1, dtype="float32")
            self._resample_from = rate
            self._out_stamp0 = stamp
            self._out_count = 0
            self.node.health.set("audio_resampled_from_hz", rate)
        out = self._resampler.resample_chunk(np.ascontiguousarray(mono, dtype=np.float32))
        out_stamp = self._out_stamp0 + self._out_count / RATE
        self._out_count += out.size
        return out.astype(np.float32, copy=False), out_stamp
