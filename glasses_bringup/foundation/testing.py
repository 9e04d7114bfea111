"""Helpers for tests that run real rclpy nodes: a spinning harness and waits with deadlines.

The harness spins the executor the rig uses (``make_executor``: the EventsExecutor
unless GLASSES_EXECUTOR or ``executor`` says otherwise) on its own thread, with
spin_once so the test's thread keeps the GIL between waits, and lets a test wait
for an expected output with a deadline instead of sleeping a fixed time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import rclpy
from rclpy.node import Node

from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.node_base import make_executor, start_node


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, period: float = 0.02) -> bool:
    """Poll predicate until true or the deadline passes; returns the last result."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(period)
    return bool(predicate())


class RosHarness:
    """Owns rclpy init/shutdown, an executor thread, the nodes under test and a probe node."""

    def __init__(self, namespace: str = "/glasses", executor: str | None = None):
        self.namespace = namespace
        rclpy.init()
        self.executor = make_executor(executor)
        self.nodes: list[Node] = []
        self.probe = Node("test_probe", namespace=namespace)
        self.executor.add_node(self.probe)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._stop = threading.Event()
        self._thread.start()

    def _spin(self) -> None:
        while not self._stop.is_set() and rclpy.ok():
            self.executor.spin_once(timeout_sec=0.05)

    def add(self, node: Node) -> Node:
        start_node(node)
        self.nodes.append(node)
        self.executor.add_node(node)
        return node

    def collect(self, topic: str, msg_type, qos=None, raw: bool = False) -> list:
        """Subscribe on the probe node; returns the list the messages are appended to."""
        got: list = []
        self.probe.create_subscription(msg_type, topic, got.append, qos or gq.for_topic(topic), raw=raw)
        return got

    def collect_events(self, topic: str, schema: type[ev.Event] | None = None) -> list[ev.Event]:
        from std_msgs.msg import String

        got: list[ev.Event] = []
        self.probe.create_subscription(
            String, topic, lambda m: got.append(ev.decode(m.data, schema)), gq.for_topic(topic)
        )
        return got

    def publisher(self, topic: str, msg_type, qos=None):
        return self.probe.create_publisher(msg_type, topic, qos or gq.for_topic(topic))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for node in self.nodes:
            try:
                node.destroy_node()
            except Exception:
                pass
        self.probe.destroy_node()
        shutdown = getattr(self.executor, "shutdown", None)
        if shutdown is not None:
            shutdown(timeout_sec=1)
        if rclpy.ok():
            rclpy.shutdown()


def latest_status(arrays: list, name_suffix: str) -> tuple[object | None, dict[str, str]]:
    """The newest DiagnosticStatus whose name ends with name_suffix in collected DiagnosticArrays, and its values."""
    for arr in reversed(arrays):
        for status in arr.status:
            if status.name.endswith(name_suffix):
                return status, {kv.key: kv.value for kv in status.values}
    return None, {}
