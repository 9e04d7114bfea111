"""JPEG / PNG images the image_transport way (sensor_msgs/CompressedImage), without rclpy.

image_transport's ``compressed`` plugin publishes ``<base>/compressed`` beside the raw
topic, with ``format`` "<raw encoding>; jpeg compressed bgr8" (or a bare "jpeg" /
"png" from other tools). These helpers encode an RGB frame that way and decode any of
those formats back to an (h, w, 3) RGB array.
"""

from __future__ import annotations

import cv2
import numpy as np

COMPRESSED_SUFFIX = "/compressed"


class CodecError(ValueError):
    """Compressed image data that cannot be decoded."""


def compressed_topic(raw_topic: str) -> str:
    """camera/image_raw -> camera/image_raw/compressed (image_transport naming)."""
    return raw_topic.rstrip("/") + COMPRESSED_SUFFIX


def jpeg_format(raw_encoding: str = "rgb8") -> str:
    return f"{raw_encoding}; jpeg compressed bgr8"


def encode_jpeg(rgb: np.ndarray, quality: int = 80) -> bytes:
    """JPEG bytes of an (h, w, 3) RGB or (h, w[, 1]) mono uint8 frame."""
    if rgb.ndim == 3 and rgb.shape[2] == 3:
        pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    else:
        pixels = rgb
    ok, buf = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise CodecError("JPEG encoding failed")
    return buf.tobytes()


def decode_rgb(data: bytes | bytearray | memoryview, fmt: str = "jpeg") -> np.ndarray:
    """(h, w, 3) RGB array of JPEG/PNG data; CodecError when the data or format is unusable."""
    kind = fmt.lower()
    if kind and not any(k in kind for k in ("jpeg", "jpg", "png")):
        raise CodecError(f"unsupported compressed format {fmt!r}")
    buf = np.frombuffer(bytes(data) if isinstance(data, memoryview) else data, np.uint8)
    if buf.size == 0:
        raise CodecError("empty compressed image")
    bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if bgr is None:
        raise CodecError(f"{buf.size} bytes do not decode as {fmt or 'an image'}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
