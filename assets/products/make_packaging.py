"""Draw the packaging images of the six demo catalog products (assets/products/<id>.png).

Each pack is synthetic and deterministic: a product-specific colour scheme, the
name in large type, a pattern of shapes that gives feature matchers texture to
hold on to, and the product's real EAN-13 barcode drawn by zxing-cpp. Run
`python assets/products/make_packaging.py` to regenerate; the output is the same
on every run. It also writes catalog.json (id, name, EAN-13, image file) for
the product recognizer's gallery.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent

# The shared demo catalog: product_id, name, EAN-13.
PRODUCTS = (
    ("p-oolong-tea", "Oolong Tea 500 ml", "6901234567892"),
    ("p-jasmine-rice", "Jasmine Rice 1 kg", "6901234567908"),
    ("p-soy-sauce", "Light Soy Sauce 500 ml", "6901234567915"),
    ("p-notebook", "A5 Notebook", "4006381333931"),
    ("p-chocolate", "Dark Chocolate 100 g", "5000112013009"),
    ("p-book-tcpip", "TCP/IP Illustrated", "9780201379624"),
)

WIDTH, HEIGHT = 320, 400


def _font(size: int) -> ImageFont.FreeTypeFont:
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    return ImageFont.truetype(str(path), size)


def _rng(product_id: str) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(hashlib.sha256(product_id.encode()).digest()[:8], "little"))


def packaging(product_id: str, name: str, ean13: str) -> np.ndarray:
    """The RGB packaging image of one product."""
    import zxingcpp

    rng = _rng(product_id)
    base = tuple(int(c) for c in rng.integers(30, 220, 3))
    img = np.full((HEIGHT, WIDTH, 3), base, np.uint8)
    # texture: random filled shapes in two accent colours
    accents = [tuple(int(c) for c in rng.integers(0, 256, 3)) for _ in range(3)]
    for _ in range(int(rng.integers(18, 30))):
        color = accents[int(rng.integers(len(accents)))]
        x, y = int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT - 130))
        shape = int(rng.integers(3))
        if shape == 0:
            cv2.circle(img, (x, y), int(rng.integers(8, 40)), color, -1, cv2.LINE_AA)
        elif shape == 1:
            w, h = int(rng.integers(10, 70)), int(rng.integers(10, 70))
            cv2.rectangle(img, (x, y), (x + w, y + h), color, -1)
        else:
            pts = rng.integers(-40, 40, (3, 2)) + np.array([x, y])
            cv2.fillPoly(img, [pts.astype(np.int32)], color, cv2.LINE_AA)
    # name banner
    pil = Image.fromarray(img)
    draw = ImageDraw.Draw(pil)
    draw.rectangle([0, 150, WIDTH, 235], fill=(250, 250, 245))
    words = name.split()
    lines = [" ".join(words[: (len(words) + 1) // 2]), " ".join(words[(len(words) + 1) // 2 :])]
    y = 156
    for line in lines:
        font = _font(30)
        left, top, right, bottom = font.getbbox(line)
        draw.text(((WIDTH - (right - left)) // 2 - left, y - top), line, font=font, fill=base)
        y += 38
    img = np.asarray(pil).copy()
    # barcode panel at the bottom
    code = np.asarray(zxingcpp.create_barcode(ean13, zxingcpp.BarcodeFormat.EAN13).to_image(scale=2, add_quiet_zones=True))
    code = cv2.resize(code, (code.shape[1], 90), interpolation=cv2.INTER_NEAREST)
    ch, cw = code.shape
    x0, y0 = (WIDTH - cw) // 2, HEIGHT - ch - 12
    img[y0 : y0 + ch, x0 : x0 + cw] = code[:, :, None]
    cv2.rectangle(img, (0, 0), (WIDTH - 1, HEIGHT - 1), (20, 20, 20), 2)
    return img


def main(out_dir: Path = HERE) -> int:
    manifest = []
    for product_id, name, ean13 in PRODUCTS:
        path = out_dir / f"{product_id}.png"
        cv2.imwrite(str(path), cv2.cvtColor(packaging(product_id, name, ean13), cv2.COLOR_RGB2BGR))
        manifest.append({"product_id": product_id, "name": name, "ean13": ean13, "image": path.name})
        print(path)
    # catalog.json: what the product gallery is built from (glasses_perception.vision.products)
    (out_dir / "catalog.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE))
