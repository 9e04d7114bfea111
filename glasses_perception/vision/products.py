"""Product recognition: ORB features of a frame matched against a catalog gallery in SQLite.

The gallery table (``product_gallery``) holds, per product, its id, name, EAN-13,
the packaging image (PNG) and its ORB keypoints and descriptors, so a gallery is
computed once and loads in milliseconds. It can live in its own file or beside
the catalog tables of the sandbox back-end (the table name does not clash).

Matching: ORB descriptors of the frame against each product's, Lowe's ratio test,
then a RANSAC homography; the inlier count of the best product, discounted by
how close the runner-up came, gives a confidence in 0..1. A product is accepted
when it has at least ``min_inliers`` inliers and confidence >= ``accept``.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS product_gallery (
    product_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    ean13 TEXT,
    image_png BLOB NOT NULL,
    keypoints BLOB NOT NULL,   -- float32 (n, 2) x, y
    descriptors BLOB NOT NULL, -- uint8 (n, 32) ORB
    n_features INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL
)
"""


class GalleryError(RuntimeError):
    """The gallery cannot be read or an entry cannot be added."""


@dataclass
class GalleryItem:
    product_id: str
    name: str
    ean13: str | None
    keypoints: np.ndarray  # (n, 2) float32
    descriptors: np.ndarray  # (n, 32) uint8
    width: int
    height: int


@dataclass
class ProductMatch:
    product_id: str
    name: str
    confidence: float
    accepted: bool
    inliers: int
    runner_up: str | None = None
    runner_up_inliers: int = 0
    latency_ms: float = 0.0
    corners: list[tuple[float, float]] | None = None


def make_orb(n_features: int = 800) -> cv2.ORB:
    return cv2.ORB_create(nfeatures=n_features, scaleFactor=1.2, nlevels=8, fastThreshold=12)


def features(orb, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(keypoints (n, 2) float32, descriptors (n, 32) uint8) of an RGB or gray image."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    kps, desc = orb.detectAndCompute(gray, None)
    if desc is None or not kps:
        return np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8)
    return np.array([kp.pt for kp in kps], np.float32), desc


class ProductGallery:
    """The SQLite gallery: add products, list them with their features."""

    def __init__(self, db_path: str | Path, n_features: int = 800):
        self.db_path = str(db_path)
        self.n_features = n_features
        try:
            self.conn = sqlite3.connect(self.db_path, check_same_thread=False)
            self.conn.execute(SCHEMA)
            self.conn.commit()
        except sqlite3.Error as exc:
            raise GalleryError(f"cannot open gallery {self.db_path}: {exc}") from exc

    def close(self) -> None:
        self.conn.close()

    def add(self, product_id: str, name: str, image_rgb: np.ndarray, ean13: str | None = None) -> int:
        """Store (or replace) one product; returns its feature count."""
        orb = make_orb(self.n_features)
        kps, desc = features(orb, image_rgb)
        if len(desc) < 10:
            raise GalleryError(f"{product_id}: image has too little texture ({len(desc)} features)")
        ok, png = cv2.imencode(".png", cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR))
        if not ok:
            raise GalleryError(f"{product_id}: cannot encode image")
        h, w = image_rgb.shape[:2]
        self.conn.execute(
            "INSERT OR REPLACE INTO product_gallery VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (product_id, name, ean13, png.tobytes(), kps.astype(np.float32).tobytes(),
             desc.astype(np.uint8).tobytes(), len(desc), w, h),
        )
        self.conn.commit()
        return len(desc)

    def items(self) -> list[GalleryItem]:
        rows = self.conn.execute(
            "SELECT product_id, name, ean13, keypoints, descriptors, n_features, width, height "
            "FROM product_gallery ORDER BY product_id"
        ).fetchall()
        out = []
        for pid, name, ean13, kp_blob, desc_blob, n, w, h in rows:
            kps = np.frombuffer(kp_blob, np.float32).reshape(n, 2)
            desc = np.frombuffer(desc_blob, np.uint8).reshape(n, 32)
            out.append(GalleryItem(pid, name, ean13, kps, desc, w, h))
        return out

    def image(self, product_id: str) -> np.ndarray | None:
        row = self.conn.execute("SELECT image_png FROM product_gallery WHERE product_id = ?", (product_id,)).fetchone()
        if row is None:
            return None
        bgr = cv2.imdecode(np.frombuffer(row[0], np.uint8), cv2.IMREAD_COLOR)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def __len__(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM product_gallery").fetchone()[0])

    def add_catalog_dir(self, folder: str | Path) -> int:
        """Add every product of a folder with catalog.json (product_id, name, ean13, image)."""
        folder = Path(folder)
        try:
            manifest = json.loads((folder / "catalog.json").read_text())
        except (OSError, ValueError) as exc:
            raise GalleryError(f"cannot read {folder / 'catalog.json'}: {exc}") from exc
        for entry in manifest:
            bgr = cv2.imread(str(folder / entry["image"]), cv2.IMREAD_COLOR)
            if bgr is None:
                raise GalleryError(f"cannot read {folder / entry['image']}")
            self.add(entry["product_id"], entry["name"], cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), entry.get("ean13"))
        return len(manifest)


def demo_catalog_dir() -> Path:
    from glasses_bringup.foundation.paths import share_path

    return share_path("assets", "products")


class ProductMatcher:
    """Recognises gallery products in frames."""

    def __init__(self, items: list[GalleryItem], n_features: int = 800, ratio: float = 0.75,
                 min_inliers: int = 12, accept: float = 0.5, max_side: int = 640):
        self.items = items
        self.orb = make_orb(n_features)
        self.ratio = ratio
        self.min_inliers = min_inliers
        self.accept = accept
        self.max_side = max_side
        self.matcher = cv2.BFMatcher(cv2.NORM_HAMMING)

    def _inliers(self, item: GalleryItem, kps: np.ndarray, desc: np.ndarray):
        if len(desc) < 2 or len(item.descriptors) < 2:
            return 0, None
        pairs = self.matcher.knnMatch(item.descriptors, desc, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < self.ratio * p[1].distance]
        if len(good) < 4:
            return 0, None
        src = item.keypoints[[m.queryIdx for m in good]].reshape(-1, 1, 2)
        dst = kps[[m.trainIdx for m in good]].reshape(-1, 1, 2)
        homography, mask = cv2.findHomography(src, dst, cv2.RANSAC, 6.0)
        if homography is None or mask is None:
            return 0, None
        return int(mask.sum()), homography

    def recognize(self, image: np.ndarray) -> ProductMatch | None:
        """Best gallery product in the frame (accepted or not); None for an empty gallery."""
        if not self.items:
            return None
        start = time.perf_counter()
        scale = 1.0
        h, w = image.shape[:2]
        if max(h, w) > self.max_side:
            scale = self.max_side / max(h, w)
            image = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        kps, desc = features(self.orb, image)
        scored = []
        for item in self.items:
            n, homography = self._inliers(item, kps, desc)
            scored.append((n, item, homography))
        scored.sort(key=lambda s: s[0], reverse=True)
        best_n, best, homography = scored[0]
        second_n, second = (scored[1][0], scored[1][1]) if len(scored) > 1 else (0, None)
        confidence = self.confidence(best_n, second_n)
        corners = None
        if homography is not None and best_n > 0:
            quad = np.array([[0, 0], [best.width, 0], [best.width, best.height], [0, best.height]], np.float32)
            projected = cv2.perspectiveTransform(quad.reshape(-1, 1, 2), homography).reshape(-1, 2) / scale
            corners = [(float(x), float(y)) for x, y in projected]
        return ProductMatch(
            product_id=best.product_id, name=best.name, confidence=confidence,
            accepted=best_n >= self.min_inliers and confidence >= self.accept, inliers=best_n,
            runner_up=second.product_id if second is not None else None, runner_up_inliers=second_n,
            latency_ms=(time.perf_counter() - start) * 1000.0, corners=corners,
        )

    @staticmethod
    def confidence(best: int, second: int) -> float:
        """Saturating in the inlier count (0.63 at 20), discounted by a close runner-up."""
        if best <= 0:
            return 0.0
        strength = 1.0 - math.exp(-best / 20.0)
        margin = (best - second) / best
        return float(max(0.0, min(1.0, strength * margin)))
