"""Conversions between ROS messages and plain Python / numpy values, with checks."""

from __future__ import annotations

import numpy as np
from builtin_interfaces.msg import Time
from sensor_msgs.msg import Image

from glasses_bringup.foundation.audio_format import AudioCaps, chunk_layout, samples_from

IMAGE_CHANNELS = {"rgb8": 3, "bgr8": 3, "mono8": 1, "rgba8": 4, "bgra8": 4}


class ImageError(ValueError):
    """An Image message whose fields do not describe its data."""


def to_sec(stamp: Time) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


def from_sec(t: float) -> Time:
    sec = int(t)
    nanosec = int(round((t - sec) * 1e9))
    if nanosec >= 1_000_000_000:
        sec, nanosec = sec + 1, nanosec - 1_000_000_000
    return Time(sec=sec, nanosec=nanosec)


def image_msg(pixels: np.ndarray, encoding: str, stamp: Time, frame_id: str) -> Image:
    """Image from a (h, w[, c]) uint8 array; data assigned as bytes (fast path in rclpy)."""
    msg = Image()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.height, msg.width = int(pixels.shape[0]), int(pixels.shape[1])
    msg.encoding = encoding
    msg.is_bigendian = 0
    msg.step = msg.width * IMAGE_CHANNELS[encoding]
    msg.data = np.ascontiguousarray(pixels, dtype=np.uint8).tobytes()
    return msg


def image_array(msg: Image) -> np.ndarray:
    """Zero-copy (h, w, c) view of an 8-bit image; ImageError on any inconsistent field."""
    channels = IMAGE_CHANNELS.get(msg.encoding)
    if channels is None:
        raise ImageError(f"unsupported encoding {msg.encoding!r}")
    if msg.height == 0 or msg.width == 0:
        raise ImageError("empty image")
    if msg.step < msg.width * channels:
        raise ImageError(f"step {msg.step} < width*channels {msg.width * channels}")
    if len(msg.data) < msg.step * msg.height:
        raise ImageError(f"data {len(msg.data)} bytes < step*height {msg.step * msg.height}")
    buf = np.frombuffer(msg.data, np.uint8, count=msg.step * msg.height).reshape(msg.height, msg.step)
    return buf[:, : msg.width * channels].reshape(msg.height, msg.width, channels)


def audio_msg(caps: AudioCaps, samples: np.ndarray, stamp: Time, frame_id: str) -> Image:
    msg = Image()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.encoding = caps.encoding()
    msg.height = 1
    msg.width, msg.step, msg.data = chunk_layout(caps, samples)
    msg.is_bigendian = 0
    return msg


def audio_samples(msg: Image):
    """(caps, samples[frames, channels]) of an audio chunk; AudioFormatError when malformed."""
    return samples_from(msg.encoding, msg.width, msg.step, msg.data)
