"""`glasses scan IMAGE...`: decode QR codes and barcodes in image files, one JSON line per code.

For testers and hardware bring-up: runs the same code core as the code reader
node (glasses_perception.vision.codes) on files. Output, one line each:

    {"file": ..., "symbology": "QR_CODE", "text": ..., "kind": "payment", "corners": [[x, y] x4],
     "latency_ms": ..., "payment": {...}}          one per decoded code
    {"file": ..., "codes": 0, "latency_ms": ...}    an image without a readable code
    {"file": ..., "error": "..."}                   a file that cannot be read as an image,
                                                    or one with more pixels than --max-pixels

The pixel count is read from the file header before anything is decoded, so a
small file that promises a huge image (a 30000x30000 PNG is under 1 MB) is refused
at once instead of filling memory.

Exit status: 0 when every file was read (with or without codes), 1 when any was unreadable.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from glasses_perception.vision.codes import DEFAULT_FORMATS

MAX_PIXELS = 40_000_000  # 40 MP: above any phone or glasses camera; a decoded RGB image of ~120 MB


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", help="image files (PNG, JPEG, BMP, TIFF, WebP, ...)")
    parser.add_argument("--formats", default=",".join(DEFAULT_FORMATS),
                        help="comma-separated zxing-cpp formats (default: %(default)s)")
    parser.add_argument("--no-fallback", action="store_true",
                        help="one decode pass only, as zxing-cpp alone would (no upscale / contrast passes)")
    parser.add_argument("--max-pixels", type=int, default=MAX_PIXELS,
                        help="refuse images with more pixels than this, checked from the header (default: %(default)s)")


def header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the image header without decoding the pixels; None if Pillow cannot tell."""
    from PIL import Image

    bomb_limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # the caller applies its own cap
    try:
        with Image.open(path) as image:  # lazy: reads the header only
            return image.size
    except Exception:
        return None
    finally:
        Image.MAX_IMAGE_PIXELS = bomb_limit


def scan_file(path: str, reader, max_pixels: int = MAX_PIXELS) -> list[dict]:
    """The output lines for one file."""
    import cv2

    p = Path(path)
    if not p.is_file():
        return [{"file": path, "error": "no such file" if not p.exists() else "not a file"}]
    size = header_size(p)
    if size is not None and size[0] * size[1] > max_pixels:
        return [{"file": path, "error": f"image too large: {size[0]}x{size[1]} = {size[0] * size[1]} pixels "
                                        f"> {max_pixels} (--max-pixels)"}]
    bgr = cv2.imread(str(p), cv2.IMREAD_COLOR)
    if bgr is None:
        return [{"file": path, "error": "cannot decode as an image"}]
    start = time.perf_counter()
    codes = reader.decode(bgr)
    latency_ms = round((time.perf_counter() - start) * 1000.0, 2)
    if not codes:
        return [{"file": path, "codes": 0, "latency_ms": latency_ms}]
    return [{"file": path, **code.as_dict(), "latency_ms": latency_ms} for code in codes]


def run(args: argparse.Namespace) -> int:
    from glasses_perception.vision.codes import CodeReader

    try:
        formats = [f.strip() for f in args.formats.split(",") if f.strip()]
        reader = CodeReader(formats=formats, channel_order="bgr", fallback=not args.no_fallback,
                            fallback_1d=not args.no_fallback)
    except ValueError as exc:
        print(f"glasses scan: {exc}", file=sys.stderr)
        return 2
    failed = False
    for path in args.images:
        try:
            lines = scan_file(path, reader, args.max_pixels)
        except Exception as exc:  # one bad file must not stop a batch
            lines = [{"file": path, "error": f"{type(exc).__name__}: {exc}"}]
        for line in lines:
            failed |= "error" in line
            print(json.dumps(line, ensure_ascii=False), flush=True)
    return 1 if failed else 0
