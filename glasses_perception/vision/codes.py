"""QR codes and product barcodes in camera frames, on zxing-cpp.

``CodeReader.decode(image)`` finds every code in a frame with its symbology
(QR_CODE, EAN_13, UPC_A, ...), text, corner quad and kind:

- ``payment``: a payment payload (see payment.py), with the parsed request or the
  reason it was refused;
- ``product``: a retail product number (EAN-13/8, UPC-A/E);
- ``other``: anything else (URLs, contact cards, ...).

``CodeTracker`` turns per-frame detections into events: a code that stays in view
is reported once, and again only after it has been out of view for ``hold_s``.
Nothing here imports rclpy; the node and the ``glasses scan`` CLI share this core.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import cv2
import numpy as np
import zxingcpp

from glasses_bringup.foundation.payment import PaymentPayloadError, looks_like_payment, parse_payment

# zxing-cpp format name -> the symbology names the stack uses (ZXing's classic spelling)
_SYMBOLOGY = {
    "QRCode": "QR_CODE",
    "MicroQRCode": "MICRO_QR_CODE",
    "RMQRCode": "RMQR_CODE",
    "EAN13": "EAN_13",
    "EAN8": "EAN_8",
    "UPCA": "UPC_A",
    "UPCE": "UPC_E",
    "Code128": "CODE_128",
    "Code39": "CODE_39",
    "Code93": "CODE_93",
    "Codabar": "CODABAR",
    "ITF": "ITF",
    "DataMatrix": "DATA_MATRIX",
    "PDF417": "PDF_417",
    "Aztec": "AZTEC",
    "DataBar": "RSS_14",
    "DataBarExpanded": "RSS_EXPANDED",
}
PRODUCT_SYMBOLOGIES = frozenset({"EAN_13", "EAN_8", "UPC_A", "UPC_E"})
_RETAIL_1D = frozenset({"EAN13", "EAN8", "UPCA", "UPCE"})

# what a pair of smart glasses is asked to read; fewer formats = faster decode
DEFAULT_FORMATS = ("QRCode", "MicroQRCode", "EAN13", "EAN8", "UPCA", "UPCE", "Code128", "DataMatrix")


def symbology_name(fmt) -> str:
    """QR_CODE, EAN_13, ... for a zxing-cpp BarcodeFormat (unknown ones upper snake case)."""
    name = getattr(fmt, "name", str(fmt))
    if name in _SYMBOLOGY:
        return _SYMBOLOGY[name]
    return re.sub(r"(?<=[a-z])(?=[A-Z0-9])|(?<=[0-9])(?=[A-Za-z])", "_", name).upper()


def formats_from_names(names) -> tuple:
    """zxing-cpp formats from names such as "QRCode" or "EAN13"; ValueError on unknown names."""
    result = []
    for name in names:
        fmt = getattr(zxingcpp.BarcodeFormat, name, None)
        if fmt is None:
            raise ValueError(f"unknown barcode format {name!r}")
        result.append(fmt)
    if not result:
        raise ValueError("no barcode formats given")
    return tuple(result)


def gtin_check_ok(digits: str) -> bool:
    """GS1 mod-10 check digit of an EAN/UPC number."""
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        return False
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def classify(symbology: str, text: str) -> str:
    """payment, product or other."""
    if looks_like_payment(text):
        return "payment"
    if symbology in PRODUCT_SYMBOLOGIES and gtin_check_ok(text):
        return "product"
    return "other"


@dataclass
class Decoded:
    """One code found in one image."""

    symbology: str
    text: str
    kind: str
    corners: list[tuple[float, float]]
    payment: dict | None = None
    payment_error: str | None = None
    gtin: str | None = None  # 13-digit product number for product codes (UPC-A gets its leading 0)

    @property
    def key(self) -> tuple[str, str]:
        return (self.symbology, self.text)

    def as_dict(self) -> dict:
        doc = {"symbology": self.symbology, "text": self.text, "kind": self.kind,
               "corners": [[round(x, 1), round(y, 1)] for x, y in self.corners]}
        if self.payment is not None:
            doc["payment"] = self.payment
        if self.payment_error is not None:
            doc["payment_error"] = self.payment_error
        if self.gtin is not None:
            doc["gtin"] = self.gtin
        return doc


class CodeReader:
    """Decodes codes in RGB / BGR / grayscale uint8 images with zxing-cpp."""

    def __init__(self, formats=DEFAULT_FORMATS, try_harder: bool = True, channel_order: str = "rgb",
                 fallback: bool = False, fallback_1d: bool = True):
        self.formats = formats_from_names(formats)
        self.try_harder = try_harder
        # Extra passes on a frame where nothing was found. fallback_1d: retail barcodes only, on a
        # contrast-equalised 2x upscale; soft, small EAN/UPC codes resolve there, and skipping the
        # 2D detectors and rotations keeps it at about 3 ms. fallback: 2x upscale and contrast
        # equalisation with every format; each is a full decode.
        self.fallback = fallback
        self.formats_1d = tuple(f for f in self.formats if f.name in _RETAIL_1D)
        self.fallback_1d = fallback_1d and bool(self.formats_1d)
        self._clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
        if channel_order not in ("rgb", "bgr"):
            raise ValueError(f"channel_order must be rgb or bgr, got {channel_order!r}")
        self.channel_order = channel_order
        self.convert_errors = 0  # codes zxing-cpp read but that could not be turned into a Decoded

    def gray(self, image: np.ndarray) -> np.ndarray:
        if image.ndim == 2:
            return image
        if image.ndim == 3 and image.shape[2] == 1:
            return image[:, :, 0]
        if image.ndim == 3 and image.shape[2] in (3, 4):
            codes = {("rgb", 3): cv2.COLOR_RGB2GRAY, ("bgr", 3): cv2.COLOR_BGR2GRAY,
                     ("rgb", 4): cv2.COLOR_RGBA2GRAY, ("bgr", 4): cv2.COLOR_BGRA2GRAY}
            return cv2.cvtColor(image, codes[(self.channel_order, image.shape[2])])
        raise ValueError(f"unsupported image shape {image.shape}")

    def decode(self, image: np.ndarray) -> list[Decoded]:
        """Every code zxing-cpp reads in the image (checksums verified by zxing-cpp)."""
        if image.dtype != np.uint8:
            raise ValueError(f"image must be uint8, got {image.dtype}")
        gray = np.ascontiguousarray(self.gray(image))
        out = self._read(gray, 1.0)
        small = max(gray.shape) <= 1600  # upscaling a large image costs more than it finds
        if not out and self.fallback_1d and small:
            boosted = cv2.resize(self._clahe.apply(gray), None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
            out = self._read(boosted, 0.5, formats=self.formats_1d, harder=False)
        if out or not self.fallback:
            return out
        if small:
            out = self._read(cv2.resize(gray, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC), 0.5)
        if not out:
            out = self._read(self._clahe.apply(gray), 1.0)
        return out

    def _read(self, gray: np.ndarray, scale: float, formats=None, harder: bool | None = None) -> list[Decoded]:
        harder = self.try_harder if harder is None else harder
        found = zxingcpp.read_barcodes(gray, formats=formats or self.formats, try_rotate=harder,
                                       try_downscale=self.try_harder, try_invert=harder)
        out: list[Decoded] = []
        seen: set[tuple[str, str]] = set()
        for barcode in found:
            try:
                decoded = self._convert(barcode, scale)
            except Exception:  # one hostile code must never hide the others in the frame
                self.convert_errors += 1
                continue
            if decoded is None or decoded.key in seen:
                continue
            seen.add(decoded.key)
            out.append(decoded)
        return out

    @staticmethod
    def _convert(barcode, scale: float = 1.0) -> Decoded | None:
        if not barcode.valid:
            return None
        symbology = symbology_name(barcode.format)
        text = barcode.text
        gtin = None
        if symbology in ("EAN_13", "UPC_A") and len(text) == 13 and text.isdigit():
            gtin = text
            # UPC-A is the EAN-13 subset with a leading 0; zxing-cpp reports it either way
            if text.startswith("0"):
                symbology, text = "UPC_A", text[1:]
        p = barcode.position
        corners = [(pt.x * scale, pt.y * scale) for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]
        kind = classify(symbology, text)
        payment, payment_error = None, None
        if kind == "payment":
            try:
                request = parse_payment(text)
                payment = request.as_dict() if request is not None else None
            except PaymentPayloadError as exc:
                payment_error = exc.reason
            except Exception:  # parse_payment raises nothing else; a refusal if it ever does
                payment_error = "malformed"
        elif kind == "product" and gtin is None:
            gtin = text.zfill(13) if len(text) == 12 else text
        return Decoded(symbology, text, kind, corners, payment, payment_error, gtin)


@dataclass
class _Track:
    first_seen: float
    last_seen: float
    last_reported: float
    hits: int = 1


@dataclass
class CodeTracker:
    """De-duplicates codes over time: report a code when it enters the view, not every frame.

    ``hold_s``: a code absent for longer than this counts as gone, and is reported
    again when it comes back. ``repeat_s`` > 0 re-reports a code that stays in view
    at that period (0: never). Times are frame stamps, so replayed bags behave the
    same as live data.
    """

    hold_s: float = 2.0
    repeat_s: float = 0.0
    tracks: dict[tuple[str, str], _Track] = field(default_factory=dict)
    suppressed: int = 0

    def update(self, stamp: float, codes: list[Decoded]) -> list[Decoded]:
        """The codes of this frame that should be reported now."""
        report: list[Decoded] = []
        for code in codes:
            track = self.tracks.get(code.key)
            if track is None or stamp - track.last_seen > self.hold_s or stamp < track.last_seen - self.hold_s:
                self.tracks[code.key] = _Track(stamp, stamp, stamp)
                report.append(code)
                continue
            track.last_seen = max(track.last_seen, stamp)
            track.hits += 1
            if self.repeat_s > 0 and stamp - track.last_reported >= self.repeat_s:
                track.last_reported = stamp
                report.append(code)
            else:
                self.suppressed += 1
        self._expire(stamp)
        return report

    def _expire(self, stamp: float) -> None:
        gone = [k for k, t in self.tracks.items() if stamp - t.last_seen > self.hold_s]
        for key in gone:
            del self.tracks[key]

    def in_view(self) -> list[tuple[str, str]]:
        return list(self.tracks)

    def reset(self) -> None:
        self.tracks.clear()

