"""The recorder's bag writer thread: close() writes everything queued, however slow the disk."""

from __future__ import annotations

import threading
import time

from rosbags.rosbag2 import Reader, StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

from glasses_bringup.recorder import WriterThread


class SlowWriter:
    """A real MCAP writer behind a slow disk: each write takes ``delay_s``."""

    def __init__(self, writer, delay_s: float):
        self.writer, self.delay_s = writer, delay_s
        self.closed_while_writing = False
        self._busy = False

    def write(self, conn, stamp, data):
        self._busy = True
        time.sleep(self.delay_s)
        self.writer.write(conn, stamp, data)
        self._busy = False

    def close(self):
        self.closed_while_writing = self._busy
        self.writer.close()


def test_close_waits_for_a_slow_writer_that_keeps_going_and_the_bag_is_whole(tmp_path):
    store = get_typestore(Stores.ROS2_KILTED)
    writer = Writer(tmp_path / "bag", version=9, storage_plugin=StoragePlugin.MCAP)
    writer.open()
    conn = writer.add_connection("/glasses/x", "std_msgs/msg/String", typestore=store)
    msg = store.types["std_msgs/msg/String"]
    slow = SlowWriter(writer, 0.004)
    bag = WriterThread(slow, maxsize=50)  # a small queue: some messages are dropped, never half-written
    queued = sum(bag.put(conn, i, store.serialize_cdr(msg(data=f"m{i}"), msg.__msgtype__)) for i in range(300))
    counts = bag.close(stall_s=0.2, poll_s=0.05)  # far shorter than the ~0.2 s the backlog takes
    assert not counts["stalled"] and not slow.closed_while_writing
    assert counts["written"] == queued and counts["dropped"] == 300 - queued
    assert not bag.put(conn, 999, b"")  # closing: nothing more is taken
    with Reader(tmp_path / "bag") as reader:
        assert sum(1 for _ in reader.messages()) == queued


class StuckWriter:
    def __init__(self):
        self.release = threading.Event()
        self.closed = False

    def write(self, conn, stamp, data):
        self.release.wait()

    def close(self):
        self.closed = True


def test_close_gives_up_on_a_stalled_writer_and_says_so():
    stuck = StuckWriter()
    bag = WriterThread(stuck, maxsize=2)
    for i in range(5):
        bag.put(None, i, b"x")
    t0 = time.monotonic()
    counts = bag.close(stall_s=0.3, poll_s=0.05)
    assert counts["stalled"] and stuck.closed and time.monotonic() - t0 < 5
    stuck.release.set()
