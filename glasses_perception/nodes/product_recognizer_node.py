"""Product recognizer node: camera/image_raw -> perception/product (catalog product in view).

Frames are sampled at ``rate_hz`` (matching costs 60-130 ms a frame on 2 cores)
and matched against the product gallery (ORB features in SQLite,
glasses_perception.vision.products). An accepted product is published when it
comes into view and again only after ``hold_s`` without it; with
``publish_rejected`` the best rejected candidate is published too (accepted=false),
for tuning the threshold. A sampled frame that shows what the last frame without
a product showed is not matched (``change_threshold``, ``rescan_s``; ChangeGate).
"""

from __future__ import annotations

from pathlib import Path

from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.ros.node_base import run_node
from glasses_perception.nodes.vision_base import VisionNode
from glasses_perception.vision.frames import ChangeGate, thumbnail
from glasses_perception.vision.products import ProductGallery, ProductMatcher, demo_catalog_dir

OUT_TOPIC = "perception/product"


class ProductRecognizerNode(VisionNode):
    def __init__(self, **kwargs):
        super().__init__("product_recognizer", **kwargs)
        self.gallery_db = self.declare(
            "gallery_db", "", "SQLite file with the product_gallery table; empty: an in-memory gallery."
        )
        self.catalog_dir = self.declare(
            "catalog_dir", "", "Folder with catalog.json + packaging images, added when the gallery is empty; "
            "empty: the demo catalog in assets/products.",
        )
        self.rate_hz = self.declare("rate_hz", 2.0, "Frames matched per second, at most.", min=0.1, max=30.0)
        self.n_features = self.declare("n_features", 800, "ORB features per frame.", min=100, max=5000)
        self.ratio = self.declare("ratio", 0.75, "Lowe ratio test threshold.", min=0.5, max=0.95)
        self.min_inliers = self.declare("min_inliers", 12, "Homography inliers needed to accept.", min=4, max=500)
        self.accept = self.declare("accept", 0.5, "Confidence needed to accept a product.", min=0.0, max=1.0)
        self.hold_s = self.declare(
            "hold_s", 3.0, "A product out of view this long is reported again when it returns (s).", min=0.0, max=60.0
        )
        self.publish_rejected = self.declare("publish_rejected", False, "Also publish rejected best candidates.")
        self.gate = ChangeGate(
            self.declare("change_threshold", 3.0, "Match a sampled frame only when the view changed by more than "
                         "this (mean grey levels on an 80 px thumbnail) since the last frame without a product; "
                         "0 matches every sampled frame.", min=0.0, max=255.0),
            self.declare("rescan_s", 6.0, "Match at least this often even when the view looks unchanged (s).",
                         min=0.0, max=60.0),
            self.declare("change_ignores_sway", True, "Undo the small shift of a worn head's sway (phase "
                         "correlation) before comparing the view."),
        )  # fmt: skip
        self.gallery: ProductGallery | None = None
        self.matcher: ProductMatcher | None = None
        self.pub = self.event_publisher(OUT_TOPIC)
        self._next_stamp = 0.0
        self._last_seen: dict[str, float] = {}
        self.accepted = 0
        self.rejected = 0

    def load(self) -> None:
        self.gallery = ProductGallery(self.gallery_db or ":memory:", n_features=self.n_features)
        if len(self.gallery) == 0:
            folder = Path(self.catalog_dir) if self.catalog_dir else demo_catalog_dir()
            added = self.gallery.add_catalog_dir(folder)
            self.get_logger().info(f"product gallery built from {folder}: {added} products")
        self.matcher = ProductMatcher(self.gallery.items(), n_features=self.n_features, ratio=self.ratio,
                                      min_inliers=self.min_inliers, accept=self.accept)
        self.health.set("gallery_size", len(self.matcher.items))

    def unload(self) -> None:
        if self.gallery is not None:
            self.gallery.close()
        self.gallery = None
        self.matcher = None

    def deactivate(self) -> None:
        super().deactivate()
        self._last_seen.clear()
        self._next_stamp = 0.0
        self.gate.reset()

    def on_frame(self, frame, stamp: float) -> None:
        # sample by frame stamp so a replayed bag is sampled the same way
        if self._next_stamp - 1.0 / self.rate_hz <= stamp < self._next_stamp:
            return
        self._next_stamp = stamp + 1.0 / self.rate_hz
        self.submit(frame, stamp)

    def process(self, frame, stamp: float) -> None:
        thumb = thumbnail(frame)
        if not self.gate.wanted(stamp, thumb):
            return
        match = self.matcher.recognize(frame)
        self.gate.processed(stamp, thumb, match is not None and match.accepted)
        if match is None:
            return
        if match.accepted:
            self.accepted += 1
            last = self._last_seen.get(match.product_id)
            self._last_seen[match.product_id] = stamp
            if last is not None and 0.0 <= stamp - last <= self.hold_s:
                return
        else:
            self.rejected += 1
            if not self.publish_rejected:
                return
        self.pub.publish(ev.Product(
            stamp=stamp, product_id=match.product_id, name=match.name, confidence=match.confidence,
            accepted=match.accepted, corners=[ev.Corner(x=x, y=y) for x, y in (match.corners or [])],
        ))
        if match.accepted:
            self.get_logger().info(
                f"product {match.product_id} ({match.name}) confidence {match.confidence:.2f}, "
                f"{match.inliers} inliers, {match.latency_ms:.0f} ms"
            )

    def diagnostics_values(self) -> dict:
        values = super().diagnostics_values()
        values["matches.accepted"] = self.accepted
        values["matches.rejected"] = self.rejected
        values["frames.unchanged_skipped"] = self.gate.skipped
        return values


def main(args=None):
    return run_node(ProductRecognizerNode, args)
