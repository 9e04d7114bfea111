"""The simulated camera's scene: an indoor background with codes, products and price tags.

``SceneRenderer.render(t, shows)`` composes one RGB frame from the scenario's
``Show`` items active at time ``t``: QR / EAN-13 / UPC-A codes drawn by zxing-cpp's
writer, the demo products' packaging images (assets/products/), price tags and
arbitrary image assets, each warped into the frame with a perspective tilt and
then degraded with blur, a specular glare spot and sensor noise. The same
(seed, t, shows) always gives the same frame, so a scenario replays identically.

Rendering is cheap enough for a 15-30 fps camera node: the background and every
card (the flat image of a code or tag before warping) are built once and cached,
warping and blur touch only the region a show covers, and sensor noise comes
from a small bank of pre-drawn noise fields.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

_log = logging.getLogger(__name__)

# Noise fields are drawn once at this sigma and scaled per frame.
_NOISE_BANK_SIZE = 4
_NOISE_BANK_SIGMA = 16.0
_DEFAULT_NOISE = 2.0  # sensor noise sigma when no show asks for another


@dataclass(frozen=True)
class Placed:
    """Where a show landed in the last frame: its kind, payload and corner quad (pixels)."""

    kind: str
    text: str
    corners: tuple[tuple[float, float], ...]


def _stable_int(*parts) -> int:
    """A seed from values, stable across processes (hash() of str is salted)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def font_path() -> str:
    """A TrueType font with Latin letters and the currency signs of price tags.

    DejaVu Sans ships inside matplotlib (a dependency), so it is there on every install.
    """
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf")


# Fonts with Chinese characters, used for tags that need them when the machine has one
# (Debian: fonts-wqy-microhei or fonts-noto-cjk); DejaVu has no CJK glyphs.
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def cjk_font_path() -> str | None:
    return next((p for p in CJK_FONTS if Path(p).is_file()), None)


def _needs_cjk(text: str) -> bool:
    return any(ord(ch) >= 0x2E80 for ch in text)


@lru_cache(maxsize=16)
def _font(size: int, cjk: bool = False):
    from PIL import ImageFont

    path = cjk_font_path() if cjk else None
    return ImageFont.truetype(path or font_path(), size)


def price_tag_card(text: str, seed: int = 0) -> np.ndarray:
    """A shelf price tag (RGB) with the given lines; the last line is printed largest.

    Chinese text needs a CJK font on the machine (see CJK_FONTS); without one its
    characters come out as empty boxes.
    """
    from PIL import Image, ImageDraw

    lines = [ln for ln in text.split("\n") if ln.strip()] or [" "]
    cjk = _needs_cjk(text)
    rng = np.random.default_rng(_stable_int("tag", seed, text))
    sizes = [44] * (len(lines) - 1) + [96]
    pad = 28
    widths, heights = [], []
    for line, size in zip(lines, sizes, strict=True):
        left, top, right, bottom = _font(size, cjk).getbbox(line)
        widths.append(right - left)
        heights.append(bottom - top)
    w = max(widths) + 2 * pad
    h = sum(heights) + pad * (len(lines) + 1)
    palettes = [((255, 236, 120), (20, 20, 20)), ((255, 255, 255), (180, 20, 20)), ((250, 250, 240), (10, 40, 120))]
    paper, ink = palettes[int(rng.integers(len(palettes)))]
    img = Image.new("RGB", (w, h), paper)
    draw = ImageDraw.Draw(img)
    y = pad
    for line, size, lw, lh in zip(lines, sizes, widths, heights, strict=True):
        font = _font(size, cjk)
        left, top, _, _ = font.getbbox(line)
        draw.text(((w - lw) // 2 - left, y - top), line, font=font, fill=ink)
        y += lh + pad
    draw.rectangle([0, 0, w - 1, h - 1], outline=ink, width=3)
    return np.asarray(img)


def code_card(kind: str, text: str, module_px: int) -> np.ndarray:
    """A code (qr, ean13, upca) drawn by zxing-cpp on white with its quiet zone (RGB)."""
    import zxingcpp

    fmt = {"qr": zxingcpp.BarcodeFormat.QRCode, "ean13": zxingcpp.BarcodeFormat.EAN13,
           "upca": zxingcpp.BarcodeFormat.UPCA}[kind]
    barcode = zxingcpp.create_barcode(text, fmt)
    gray = np.asarray(barcode.to_image(scale=max(1, module_px), add_quiet_zones=True))
    if kind != "qr":
        # 1D symbols come out one row high at some sizes; give them a label-like aspect.
        h, w = gray.shape
        if h < w * 0.45:
            gray = cv2.resize(gray, (w, int(w * 0.45)), interpolation=cv2.INTER_NEAREST)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)


class SceneRenderer:
    """Deterministic renderer of simulated camera frames (RGB uint8, height x width x 3)."""

    def __init__(self, width: int, height: int, seed: int, scenario=None):
        if width < 32 or height < 32:
            raise ValueError(f"frame size {width}x{height} too small")
        self.width = int(width)
        self.height = int(height)
        self.seed = int(seed)
        self.scenario = scenario
        self.margin = max(8, self.width // 40)  # room for the slow background drift
        self._background = self._make_background()
        rng = np.random.default_rng(_stable_int("noise", self.seed))
        shape = (self.height, self.width, 3)
        self._noise_bank = [
            np.clip(rng.normal(0.0, _NOISE_BANK_SIGMA, shape), -127, 127).astype(np.int16)
            for _ in range(_NOISE_BANK_SIZE)
        ]
        self._cards: dict[tuple, np.ndarray] = {}
        self.last_placed: list[Placed] = []
        # shows that could not be drawn: "kind:text" -> error (each reported once)
        self.show_errors: dict[str, str] = {}

    # -- background -------------------------------------------------------------

    def _make_background(self) -> np.ndarray:
        """An indoor scene: lit wall, shelf boards with boxes, a counter, a window."""
        m = self.margin
        h, w = self.height + 2 * m, self.width + 2 * m
        rng = np.random.default_rng(_stable_int("background", self.seed))
        wall = np.array(rng.integers(150, 215, 3), dtype=np.float32)
        ys = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
        xs = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :, None]
        light_x = float(rng.uniform(0.2, 0.8))
        shade = 0.75 + 0.35 * np.exp(-((xs - light_x) ** 2) / 0.18) - 0.2 * ys
        img = np.clip(wall * shade, 0, 255).astype(np.uint8)
        img = np.ascontiguousarray(img)
        # window: a bright rectangle with mullions
        wx, wy = int(rng.uniform(0.05, 0.6) * w), int(rng.uniform(0.03, 0.15) * h)
        ww, wh = int(0.25 * w), int(0.3 * h)
        cv2.rectangle(img, (wx, wy), (wx + ww, wy + wh), (235, 240, 248), -1)
        cv2.line(img, (wx + ww // 2, wy), (wx + ww // 2, wy + wh), (120, 110, 100), 4)
        cv2.line(img, (wx, wy + wh // 2), (wx + ww, wy + wh // 2), (120, 110, 100), 4)
        # shelves with boxes of random colours
        for shelf in range(int(rng.integers(2, 4))):
            sy = int((0.45 + 0.17 * shelf) * h)
            cv2.rectangle(img, (0, sy), (w, sy + 10), (110, 80, 50), -1)
            x = int(rng.integers(0, 30))
            while x < w:
                bw, bh = int(rng.integers(25, 80)), int(rng.integers(30, 70))
                color = tuple(int(c) for c in rng.integers(40, 230, 3))
                cv2.rectangle(img, (x, sy - bh), (x + bw, sy), color, -1)
                cv2.rectangle(img, (x, sy - bh), (x + bw, sy), (30, 30, 30), 1)
                x += bw + int(rng.integers(4, 40))
        # counter at the bottom
        cy = int(0.86 * h)
        cv2.rectangle(img, (0, cy), (w, h), (95, 75, 60), -1)
        cv2.line(img, (0, cy), (w, cy), (60, 45, 35), 3)
        return cv2.GaussianBlur(img, (0, 0), 1.2)

    def _background_at(self, t: float) -> np.ndarray:
        # slow head sway: a few pixels over several seconds
        m = self.margin
        dx = int(round(m * 0.8 * math.sin(0.31 * t + self.seed % 7)))
        dy = int(round(m * 0.5 * math.sin(0.23 * t + self.seed % 5)))
        return self._background[m + dy : m + dy + self.height, m + dx : m + dx + self.width].copy()

    # -- cards ----------------------------------------------------------------------

    def _card(self, show, target_px: float) -> np.ndarray:
        kind = show.kind
        if kind in ("qr", "ean13", "upca"):
            # choose the module size so the card is drawn near its on-screen size
            base = self._cards.get((kind, show.text, 1))
            if base is None:
                base = self._cards[(kind, show.text, 1)] = code_card(kind, show.text, 1)
            module = int(max(1, min(8, round(target_px / base.shape[1]))))
            key = (kind, show.text, module)
            if key not in self._cards:
                self._cards[key] = code_card(kind, show.text, module)
            return self._cards[key]
        key = (kind, show.text, show.image)
        if key not in self._cards:
            if kind == "text":
                card = price_tag_card(show.text, self.seed)
            elif kind == "product":
                card = self._load_image(show.image or f"products/{show.text}.png")
            else:  # image
                card = self._load_image(show.image or show.text)
            self._cards[key] = card
        return self._cards[key]

    def _load_image(self, name: str) -> np.ndarray:
        if self.scenario is not None:
            path = self.scenario.resolve(name)
        else:
            from glasses_bringup.drivers.sim.scenario import assets_dir

            path = Path(name) if Path(name).is_absolute() else assets_dir() / name
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise FileNotFoundError(f"cannot read image asset {path}")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    # -- geometry -------------------------------------------------------------------

    def quad(self, show, card_shape: tuple[int, int]) -> np.ndarray:
        """Corners (4x2, TL TR BR BL) of a show in the frame: size, centre, tilt, rotation."""
        ch, cw = card_shape[:2]
        half_w = 0.5 * show.size * self.width
        half_h = half_w * ch / cw
        pts = np.array([[-half_w, -half_h, 0.0], [half_w, -half_h, 0.0],
                        [half_w, half_h, 0.0], [-half_w, half_h, 0.0]])
        # tilt: turn the plane about an axis in the image plane, direction fixed per payload
        axis_angle = math.radians(_stable_int("tilt", show.text, self.seed) % 360)
        axis = np.array([math.cos(axis_angle), math.sin(axis_angle), 0.0])
        rot_tilt, _ = cv2.Rodrigues(axis * math.radians(show.tilt_deg))
        rz = math.radians(show.rotate_deg)
        rot_z = np.array([[math.cos(rz), -math.sin(rz), 0], [math.sin(rz), math.cos(rz), 0], [0, 0, 1]])
        pts = pts @ rot_tilt.T @ rot_z.T
        focal = float(self.width)  # about a 53 degree horizontal field of view
        z = focal + pts[:, 2]
        cx, cy = show.center[0] * self.width, show.center[1] * self.height
        u = cx + focal * pts[:, 0] / z
        v = cy + focal * pts[:, 1] / z
        return np.stack([u, v], axis=1).astype(np.float32)

    # -- rendering ------------------------------------------------------------------

    def render(self, t: float, shows: list) -> np.ndarray:
        """The frame at scenario time ``t`` with the given active shows, (h, w, 3) uint8 RGB."""
        frame = self._background_at(t)
        placed: list[Placed] = []
        noise_sigma = _DEFAULT_NOISE
        for index, show in enumerate(shows):
            noise_sigma = show.noise if index == 0 else max(noise_sigma, show.noise)
            try:
                card = self._card(show, show.size * self.width)
            except Exception as exc:
                # a bad show (unreadable asset, payload the symbology cannot encode) is left out of
                # the frame and reported once; the camera keeps streaming
                self._show_failed(show, exc)
                continue
            corners = self.quad(show, card.shape)
            self._composite(frame, card, corners, show, index)
            placed.append(Placed(show.kind, show.text, tuple((float(x), float(y)) for x, y in corners)))
        self.last_placed = placed
        self._add_noise(frame, t, noise_sigma)
        return frame

    def _show_failed(self, show, exc: Exception) -> None:
        key = f"{show.kind}:{show.text or show.image}"
        if key not in self.show_errors:
            self.show_errors[key] = f"{type(exc).__name__}: {exc}"[:300]
            _log.warning("scene: cannot draw show %s: %s", key, self.show_errors[key])

    def _composite(self, frame: np.ndarray, card: np.ndarray, corners: np.ndarray, show, index: int) -> None:
        h, w = frame.shape[:2]
        pad = int(math.ceil(3 * show.blur)) + 2
        x0 = max(0, int(math.floor(corners[:, 0].min())) - pad)
        y0 = max(0, int(math.floor(corners[:, 1].min())) - pad)
        x1 = min(w, int(math.ceil(corners[:, 0].max())) + pad + 1)
        y1 = min(h, int(math.ceil(corners[:, 1].max())) + pad + 1)
        if x1 <= x0 or y1 <= y0:
            return  # entirely outside the frame
        ch, cw = card.shape[:2]
        src = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], dtype=np.float32)
        homography = cv2.getPerspectiveTransform(src, corners - np.array([x0, y0], dtype=np.float32))
        roi = frame[y0:y1, x0:x1]
        # shrinking a card a lot aliases; INTER_AREA-like quality comes from drawing it near size
        cv2.warpPerspective(card, homography, (x1 - x0, y1 - y0), dst=roi,
                            flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)
        if show.glare > 0:
            self._glare(roi, corners - np.array([x0, y0], dtype=np.float32), show, index)
        if show.blur > 0:
            cv2.GaussianBlur(roi, (0, 0), show.blur, dst=roi)

    def _glare(self, roi: np.ndarray, corners: np.ndarray, show, index: int) -> None:
        """A specular highlight: an elliptical bright spot somewhere on the show."""
        rng = np.random.default_rng(_stable_int("glare", self.seed, show.text, index))
        a, b = rng.uniform(0.25, 0.75, 2)
        top = corners[0] + a * (corners[1] - corners[0])
        bottom = corners[3] + a * (corners[2] - corners[3])
        centre = top + b * (bottom - top)
        span = float(np.linalg.norm(corners[1] - corners[0]))
        sx, sy = span * rng.uniform(0.12, 0.25), span * rng.uniform(0.08, 0.18)
        hh, ww = roi.shape[:2]
        ys = (np.arange(hh, dtype=np.float32)[:, None] - centre[1]) / sy
        xs = (np.arange(ww, dtype=np.float32)[None, :] - centre[0]) / sx
        spot = np.exp(-0.5 * (xs * xs + ys * ys)) * (255.0 * show.glare)
        lifted = roi.astype(np.float32) + spot[:, :, None]
        np.clip(lifted, 0, 255, out=lifted)
        roi[:] = lifted.astype(np.uint8)

    def _add_noise(self, frame: np.ndarray, t: float, sigma: float) -> None:
        if sigma <= 0:
            return
        # frame index at 30 fps picks a field and a shift, so consecutive frames differ
        k = _stable_int("frame", self.seed, round(t * 30.0))
        field = self._noise_bank[k % _NOISE_BANK_SIZE]
        shift = (k >> 8) % self.height
        field = np.roll(field, shift, axis=0)
        scale = sigma / _NOISE_BANK_SIGMA
        noisy = cv2.addWeighted(frame.astype(np.int16), 1.0, field, scale, 0.0, dtype=cv2.CV_16S)
        np.clip(noisy, 0, 255, out=noisy)
        frame[:] = noisy.astype(np.uint8)
