"""What the vision nodes share: a parkable camera subscription feeding a latest-frame worker.

A vision node is a lifecycle node. ``configure`` loads its models, ``activate``
subscribes to camera/image_raw (sensor QoS), or with ``image_transport:=compressed``
to camera/image_raw/compressed (JPEG/PNG, image_transport's naming), and starts the worker thread,
``deactivate`` unsubscribes and stops it, so a parked node costs no CPU.
OpenCV runs single-threaded by default (``opencv_threads``): its thread pool's
workers spin between the small per-frame operations and cost more CPU than they save.

Frames are checked (glasses_bringup.foundation.ros.msgs.image_array); a corrupt one (wrong
step, truncated data, unknown encoding) is counted on /diagnostics and skipped.
Privacy: frames live only in memory, in a one-frame slot, until processed; no
vision node writes a frame to disk or publishes one.
"""

from __future__ import annotations

import time

import cv2
import numpy as np
from sensor_msgs.msg import CompressedImage, Image

from glasses_bringup.foundation.image_codec import CodecError, compressed_topic, decode_rgb
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.msgs import ImageError, image_array
from glasses_bringup.foundation.ros.node_base import GlassesLifecycleNode
from glasses_perception.vision.frames import FrameWorker

IMAGE_TOPIC = "camera/image_raw"


def rgb_view(msg: Image) -> np.ndarray:
    """(h, w, 3) RGB array of an image message (a copy only for bgr/mono/alpha encodings)."""
    pixels = image_array(msg)
    if msg.encoding == "rgb8":
        return pixels
    if msg.encoding == "bgr8":
        return np.ascontiguousarray(pixels[:, :, ::-1])
    if msg.encoding == "mono8":
        return np.repeat(pixels, 3, axis=2)
    if msg.encoding in ("rgba8", "bgra8"):
        rgb = pixels[:, :, :3]
        return np.ascontiguousarray(rgb if msg.encoding == "rgba8" else rgb[:, :, ::-1])
    raise ImageError(f"unsupported encoding {msg.encoding!r}")


class VisionNode(GlassesLifecycleNode):
    """Base of the code, text and product nodes; subclasses implement load/unload/on_frame/process."""

    def __init__(self, default_name: str, **kwargs):
        super().__init__(default_name, **kwargs)
        self.image_topic = self.declare("image_topic", IMAGE_TOPIC, "Camera topic to read frames from.")
        self.image_transport = self.declare(
            "image_transport", "raw", "Frames from the raw topic (sensor_msgs/Image) or from its "
            "/compressed sibling (sensor_msgs/CompressedImage, JPEG/PNG).", choices=("raw", "compressed"),
        )
        self.max_frame_age_s = self.declare(
            "max_frame_age_s", 1.0, "A frame waiting longer than this is dropped, not processed (s).",
            min=0.01, max=60.0,
        )
        self.opencv_threads = self.declare(
            "opencv_threads", 1, "OpenCV worker threads (cv2.setNumThreads; process-wide, so the vision nodes of a "
            "composed rig share it; 0 = OpenCV's default, one per core). One: with two, a product match took "
            "10-45 % more CPU for 15-35 % less wall time on 2 cores, and the pool spins between frames.",
            min=0, max=16,
        )  # fmt: skip
        if self.opencv_threads > 0:
            cv2.setNumThreads(self.opencv_threads)
        self.image_sub = None
        self.worker = FrameWorker(self._process_safely, max_age_s=self.max_frame_age_s, name=f"{self.get_name()}-worker")
        self.process_ms_total = 0.0
        self.last_process_ms = 0.0

    # -- lifecycle --------------------------------------------------------------------

    def configure(self) -> None:
        self.load()

    def activate(self) -> None:
        self.worker.start()
        if self.image_transport == "compressed":
            self.image_sub = self.create_subscription(
                CompressedImage, compressed_topic(self.image_topic), self.on_compressed,
                gq.for_topic(compressed_topic(IMAGE_TOPIC)),
            )
        else:
            self.image_sub = self.create_subscription(Image, self.image_topic, self.on_image, gq.for_topic(IMAGE_TOPIC))

    def deactivate(self) -> None:
        if self.image_sub is not None:
            self.destroy_subscription(self.image_sub)
            self.image_sub = None
        self.worker.stop()

    def cleanup(self) -> None:
        self.unload()

    def destroy_node(self):
        self.worker.stop()
        return super().destroy_node()

    # -- frames -----------------------------------------------------------------------

    def on_image(self, msg: Image) -> None:
        if not self.active:
            return
        self.health.tick(f"in.{IMAGE_TOPIC}")
        try:
            frame = rgb_view(msg)
        except ImageError as exc:
            self.health.reject("bad_image", str(exc))
            self.get_logger().warning(f"skipped corrupt frame: {exc}", throttle_duration_sec=2.0)
            return
        self.on_frame(frame, self.stamp_s(msg.header))

    def on_compressed(self, msg: CompressedImage) -> None:
        if not self.active:
            return
        self.health.tick(f"in.{compressed_topic(IMAGE_TOPIC)}")
        try:
            frame = decode_rgb(msg.data, msg.format)
        except CodecError as exc:
            self.health.reject("bad_image", str(exc))
            self.get_logger().warning(f"skipped corrupt compressed frame: {exc}", throttle_duration_sec=2.0)
            return
        self.on_frame(frame, self.stamp_s(msg.header))

    def submit(self, item, stamp: float) -> None:
        """Hand work to the worker; a waiting, unprocessed frame it replaces counts as a drop."""
        if not self.worker.submit(item, stamp):
            self.health.drop("frames")

    def _process_safely(self, item, stamp: float) -> None:
        start = time.perf_counter()
        try:
            self.process(item, stamp)
        except Exception as exc:  # never let one frame take the node down
            self.health.error(f"{type(exc).__name__} processing frame: {exc}")
            self.get_logger().error(f"error processing frame at {stamp:.3f}: {exc!r}", throttle_duration_sec=2.0)
        finally:
            self.last_process_ms = (time.perf_counter() - start) * 1000.0
            self.process_ms_total += self.last_process_ms
            self.health.tick("processed")

    def diagnostics_values(self) -> dict:
        s = self.worker.stats
        mean = self.process_ms_total / s.processed if s.processed else 0.0
        return {
            "frames.received": s.received,
            "frames.processed": s.processed,
            "frames.dropped_replaced": s.dropped_replaced,
            "frames.dropped_old": s.dropped_old,
            "process_ms.mean": f"{mean:.1f}",
            "process_ms.last": f"{self.last_process_ms:.1f}",
            "active": self.active,
        }

    # -- for subclasses ---------------------------------------------------------------

    def load(self) -> None:
        """Load models (configure)."""

    def unload(self) -> None:
        """Release models (cleanup)."""

    def on_frame(self, frame: np.ndarray, stamp: float) -> None:
        """Called in the subscriber callback for every good frame; default: hand it to the worker."""
        self.submit(frame, stamp)

    def process(self, item, stamp: float) -> None:
        """Each vision node's work on one item (runs on the worker thread); subclasses define it."""
        raise TypeError(f"{type(self).__name__} does not define process()")
