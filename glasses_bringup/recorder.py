"""`glasses record`: raw subscriptions written straight into a rosbag2 MCAP bag (rosbags).

Messages are taken as CDR bytes (no deserialization) and written by a writer
thread, so recording keeps up with camera rates. Subscriptions adapt their QoS to
the publishers' (reliable only if every publisher is, transient local for
latched topics), as `ros2 bag record` does. The bag opens in `ros2 bag`,
Foxglove, rosbags and the mcap readers.

Size: MCAP chunks are zstd-compressed (rosbags' storage compression), and the camera
is stored as its JPEG stream (camera/image_raw/compressed, which the camera encodes
only because the recorder subscribes) instead of raw rgb8 frames; ``raw_images``
(``--raw``) records the raw frames too.
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rosbags.rosbag2 import CompressionFormat, CompressionMode, StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

from glasses_bringup.foundation.image_codec import compressed_topic
from glasses_bringup.foundation.interfaces import lookup
from glasses_bringup.foundation.ros.node_base import GlassesNode

HIDDEN = ("/rosout", "/parameter_events")


def message_class(msgtype: str):
    """rclpy message class from 'pkg/msg/Type' (ImportError names a missing interface package)."""
    import importlib

    pkg, kind, name = msgtype.split("/")
    return getattr(importlib.import_module(f"{pkg}.{kind}"), name)


def has_compressed_sibling(topic: str, msgtype: str) -> bool:
    """A raw image topic of the contract whose image_transport /compressed stream exists too."""
    contract = lookup(topic)
    return (msgtype == "sensor_msgs/msg/Image" and contract is not None
            and lookup(compressed_topic(contract.name)) is not None)


class WriterThread:
    """Writes queued (connection, stamp, data) to a bag writer on its own thread.

    ``close()`` writes everything queued before it, however long that takes, as long
    as the writer keeps making progress: closing the bag while the thread still
    writes damaged the MCAP (a 900 MB bag on a loaded machine, after a fixed 60 s
    wait). Only a writer stalled for ``stall_s`` is given up on (``stalled`` in the
    counts: the bag may then be incomplete).
    """

    def __init__(self, writer, maxsize: int = 5000):
        self.writer = writer
        self.queue: queue.Queue = queue.Queue(maxsize=maxsize)
        self.written = 0
        self.dropped = 0
        self.closing = False
        self._thread = threading.Thread(target=self._loop, name="bag_writer", daemon=True)
        self._thread.start()

    def put(self, conn, stamp: int, data: bytes) -> bool:
        """Queue one message; False when it is dropped (queue full) or the bag is closing."""
        if self.closing:
            return False
        try:
            self.queue.put_nowait((conn, stamp, data))
            return True
        except queue.Full:
            self.dropped += 1
            return False

    def _loop(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            self.writer.write(*item)
            self.written += 1

    def close(self, stall_s: float = 60.0, poll_s: float = 1.0) -> dict:
        self.closing = True
        last, since = self.written, time.monotonic()
        ended = False  # the end mark is queued after every message queued so far
        while self._thread.is_alive():
            if not ended:
                try:
                    self.queue.put(None, timeout=poll_s)
                    ended = True
                except queue.Full:
                    pass
            else:
                self._thread.join(timeout=poll_s)
            if self.written != last:
                last, since = self.written, time.monotonic()
            elif time.monotonic() - since > stall_s:
                break
        stalled = self._thread.is_alive()
        self.writer.close()
        return {"written": self.written, "dropped": self.dropped, "stalled": stalled}


class Recorder(GlassesNode):
    """Records all (or the given) topics into ``out_dir`` (a new rosbag2 directory)."""

    def __init__(self, out_dir: str | Path, topics: list[str] | None = None, discovery_s: float = 0.2,
                 raw_images: bool = False, compression: str = "zstd", **kwargs):
        super().__init__("recorder", **kwargs)
        self.out_dir = Path(out_dir)
        if self.out_dir.exists():
            raise FileExistsError(f"bag directory {self.out_dir} already exists")
        self.wanted = set(topics) if topics else None
        self.typestore = get_typestore(Stores.ROS2_KILTED)
        self.raw_images = raw_images
        self.writer = Writer(self.out_dir, version=9, storage_plugin=StoragePlugin.MCAP)
        if compression == "zstd":
            self.writer.set_compression(CompressionMode.STORAGE, CompressionFormat.ZSTD)  # zstd MCAP chunks
        elif compression != "none":
            raise ValueError(f"compression must be zstd or none, not {compression!r}")
        self.writer.open()
        self.connections: dict[str, object] = {}
        self.subscriptions_by_topic: dict[str, object] = {}
        self.bag = WriterThread(self.writer)
        self.discover()
        self.create_timer(discovery_s, self.discover)

    def _qos_for(self, topic: str) -> QoSProfile:
        infos = self.get_publishers_info_by_topic(topic)
        reliable = bool(infos) and all(i.qos_profile.reliability == ReliabilityPolicy.RELIABLE for i in infos)
        latched = bool(infos) and all(i.qos_profile.durability == DurabilityPolicy.TRANSIENT_LOCAL for i in infos)
        return QoSProfile(
            history=HistoryPolicy.KEEP_LAST,
            depth=100,
            reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT,
            durability=DurabilityPolicy.TRANSIENT_LOCAL if latched else DurabilityPolicy.VOLATILE,
        )

    def discover(self) -> None:
        for topic, types in self.get_topic_names_and_types():
            if topic in self.subscriptions_by_topic or topic in HIDDEN:
                continue
            if self.wanted is not None and topic not in self.wanted:
                continue
            msgtype = types[0]
            if self.wanted is None and not self.raw_images and has_compressed_sibling(topic, msgtype):
                continue  # its /compressed stream is recorded instead
            try:
                cls = message_class(msgtype)
                conn = self.writer.add_connection(topic, msgtype, typestore=self.typestore)
            except Exception as exc:
                self.health.error(f"cannot record {topic} ({msgtype}): {exc}")
                self.subscriptions_by_topic[topic] = None
                continue
            self.connections[topic] = conn
            self.subscriptions_by_topic[topic] = self.create_subscription(
                cls, topic, lambda data, c=conn: self._receive(c, data), self._qos_for(topic), raw=True
            )

    def _receive(self, conn, data: bytes) -> None:
        if self.bag.put(conn, self.get_clock().now().nanoseconds, data):
            self.health.tick("messages")
        elif not self.bag.closing:
            self.health.drop("messages")

    @property
    def written(self) -> int:
        return self.bag.written

    @property
    def dropped(self) -> int:
        return self.bag.dropped

    def close(self) -> dict:
        """Write everything received so far and close the bag; returns counts."""
        if self.bag.closing:
            return {"written": self.written, "dropped": self.dropped}
        counts = self.bag.close()
        if counts["stalled"]:
            self.get_logger().error(f"bag writer stalled; {self.out_dir} may be incomplete")
        return {**counts, "topics": len(self.connections)}


def add_arguments(parser) -> None:
    parser.add_argument("-o", "--output", required=True, help="new bag directory to write")
    parser.add_argument("topics", nargs="*", help="topics to record (default: all)")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument("--raw", action="store_true",
                        help="also record raw camera frames (default: only camera/image_raw/compressed)")
    parser.add_argument("--compression", choices=("zstd", "none"), default="zstd",
                        help="MCAP chunk compression (default zstd)")


def run(args) -> int:
    import rclpy
    from rclpy.executors import ExternalShutdownException

    from glasses_bringup.foundation.ros.node_base import make_executor

    rclpy.init(args=[])
    recorder = Recorder(args.output, args.topics or None, raw_images=args.raw, compression=args.compression)
    executor = make_executor()
    executor.add_node(recorder)
    end = time.time() + args.duration if args.duration else None
    try:
        while rclpy.ok() and (end is None or time.time() < end):
            executor.spin_once(timeout_sec=0.1)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        counts = recorder.close()
        recorder.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()
    print(f"recorded {counts['written']} messages on {counts.get('topics', 0)} topics to {args.output}"
          f" ({counts['dropped']} dropped)")
    return 0
