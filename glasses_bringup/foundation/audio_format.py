"""Audio chunk convention on audio/raw (pure Python; the ROS side is in ros/msgs.py).

ROS 2 common interfaces have no audio message, so chunks travel as
sensor_msgs/Image, a standard type every bag tool records:

- header.stamp: ROS time of the chunk's first sample; header.frame_id: mic frame
- encoding: GStreamer-style caps, "audio/x-raw,format=S16LE,rate=16000,channels=1"
  (formats S16LE and F32LE; samples interleaved)
- height = 1, width = samples per channel, step = width * channels * bytes/sample
- data: little-endian interleaved samples, so is_bigendian = 0

Stamps come from the sample counter (first stamp + n / rate), so a gap (a lost or
late chunk) shows as a stamp jump: the next chunk is expected at
stamp + width / rate; ``GapDetector`` measures the difference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FORMATS = {"S16LE": np.dtype("<i2"), "F32LE": np.dtype("<f4")}
DEFAULT_RATE = 16000
DEFAULT_CHUNK_MS = 20


class AudioFormatError(ValueError):
    """An audio chunk that does not follow the convention."""


@dataclass(frozen=True)
class AudioCaps:
    rate: int = DEFAULT_RATE
    channels: int = 1
    sample_format: str = "S16LE"

    @property
    def dtype(self) -> np.dtype:
        return FORMATS[self.sample_format]

    @property
    def bytes_per_frame(self) -> int:
        return self.dtype.itemsize * self.channels

    def encoding(self) -> str:
        return f"audio/x-raw,format={self.sample_format},rate={self.rate},channels={self.channels}"

    @staticmethod
    def parse(encoding: str) -> AudioCaps:
        if not encoding.startswith("audio/x-raw"):
            raise AudioFormatError(f"not an audio encoding: {encoding[:60]!r}")
        fields = {}
        for part in encoding.split(",")[1:]:
            key, _, value = part.partition("=")
            fields[key.strip()] = value.strip()
        try:
            caps = AudioCaps(
                rate=int(fields.get("rate", "")),
                channels=int(fields.get("channels", "1")),
                sample_format=fields.get("format", "S16LE"),
            )
        except ValueError:
            raise AudioFormatError(f"bad rate or channels in {encoding!r}") from None
        if caps.sample_format not in FORMATS:
            raise AudioFormatError(f"unsupported sample format {caps.sample_format!r}")
        if not (1000 <= caps.rate <= 384000) or not (1 <= caps.channels <= 32):
            raise AudioFormatError(f"rate or channel count out of range in {encoding!r}")
        return caps


def chunk_layout(caps: AudioCaps, samples: np.ndarray) -> tuple[int, int, bytes]:
    """(width, step, data) for a chunk of shape (frames,) or (frames, channels)."""
    arr = np.asarray(samples)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[1] != caps.channels:
        raise AudioFormatError(f"{arr.shape[1]} channels given, caps say {caps.channels}")
    data = np.ascontiguousarray(arr, dtype=caps.dtype).tobytes()
    return arr.shape[0], arr.shape[0] * caps.bytes_per_frame, data


def samples_from(encoding: str, width: int, step: int, data: bytes | bytearray | memoryview):
    """(caps, samples[frames, channels]) from a chunk's fields; checks every field."""
    caps = AudioCaps.parse(encoding)
    if width <= 0:
        raise AudioFormatError("empty chunk")
    expected = width * caps.bytes_per_frame
    if step != expected:
        raise AudioFormatError(f"step {step} != width*channels*bytes ({expected})")
    if len(data) != expected:
        raise AudioFormatError(f"{len(data)} data bytes, expected {expected}")
    arr = np.frombuffer(bytes(data), dtype=caps.dtype).reshape(width, caps.channels)
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise AudioFormatError("non-finite samples (NaN or inf)")
    return caps, arr


def to_mono_float(caps: AudioCaps, samples: np.ndarray) -> np.ndarray:
    """float32 mono in [-1, 1] from interleaved samples of any supported format."""
    x = samples.astype(np.float32)
    if caps.sample_format == "S16LE":
        x /= 32768.0
    return x.mean(axis=1) if x.ndim == 2 and x.shape[1] > 1 else x.reshape(-1)


class GapDetector:
    """Finds lost or overlapping audio by comparing each stamp with the expected one."""

    def __init__(self, tolerance_s: float = 0.002):
        self.tolerance_s = tolerance_s
        self.expected: float | None = None
        self.gaps = 0
        self.overlaps = 0
        self.missing_s = 0.0

    def check(self, stamp: float, frames: int, rate: int) -> float:
        """Return the gap (s) before this chunk: > 0 lost audio, < 0 overlap, 0 in step."""
        gap = 0.0
        if self.expected is not None:
            gap = stamp - self.expected
            if gap > self.tolerance_s:
                self.gaps += 1
                self.missing_s += gap
            elif gap < -self.tolerance_s:
                self.overlaps += 1
            else:
                gap = 0.0
        self.expected = stamp + frames / rate
        return gap
