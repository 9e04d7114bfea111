"""Supervision of an isolated rig (one process per node): deaths, respawns and down time on /diagnostics.

``Supervisor`` is the plain-Python core: the runner tells it when a node's process
starts and exits, and it keeps, per node, what a tester needs to see on
/diagnostics (one DiagnosticStatus per supervised node, named after the node):

- ERROR while a node is down: its exit code or signal, and either when it is
  respawned or why it is not (``respawn: false`` in the rig, with the rig's reason);
- WARN for ``warn_hold_s`` after a respawn: how long it was down and how often it died;
- OK while running, with the death and respawn counts kept as values.

``SupervisorNode`` publishes those statuses every period and at once on a change.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

OK, WARN, ERROR = 0, 1, 2


def describe_exit(rc: int) -> str:
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exited with code {rc}"


@dataclass
class Child:
    name: str  # fully qualified node name, e.g. /glasses/camera
    respawn: bool
    respawn_delay_s: float = 1.0
    no_respawn_reason: str = ""
    pid: int | None = None
    running: bool = False
    deaths: int = 0
    respawns: int = 0
    last_exit: str = ""
    down_since: float | None = None
    last_down_s: float | None = None
    total_down_s: float = 0.0
    respawned_at: float | None = None


class Supervisor:
    def __init__(self, children: list[Child], warn_hold_s: float = 10.0):
        self.children = {c.name: c for c in children}
        self.warn_hold_s = warn_hold_s
        self.changed = True

    def started(self, name: str, pid: int, now: float) -> None:
        child = self.children[name]
        if child.down_since is not None:
            child.last_down_s = now - child.down_since
            child.total_down_s += child.last_down_s
            child.respawns += 1
            child.respawned_at = now
            child.down_since = None
        child.pid, child.running = pid, True
        self.changed = True

    def exited(self, name: str, rc: int, now: float, stopping: bool = False) -> str:
        """Record an exit; returns the line the runner prints."""
        child = self.children[name]
        child.running, child.pid = False, None
        child.deaths += 1
        child.last_exit = describe_exit(rc)
        child.down_since = now
        self.changed = True
        if stopping:
            return f"{name} {child.last_exit} while the rig stops"
        if child.respawn:
            return f"{name} {child.last_exit}; respawning in {child.respawn_delay_s:g} s"
        return f"{name} {child.last_exit}; not respawned: {child.no_respawn_reason or 'respawn is off in the rig'}"

    def status(self, child: Child, now: float) -> tuple[int, str, dict[str, str]]:
        values = {"deaths": str(child.deaths), "respawns": str(child.respawns), "respawn": str(child.respawn).lower(),
                  "total_down_s": f"{child.total_down_s + (now - child.down_since if child.down_since else 0):.2f}"}
        if child.pid is not None:
            values["pid"] = str(child.pid)
        if child.last_down_s is not None:
            values["last_down_s"] = f"{child.last_down_s:.2f}"
        if not child.running:
            if child.down_since is None:
                return WARN, "not started yet", values
            down = now - child.down_since
            if child.respawn:
                return ERROR, f"{child.last_exit}; down {down:.1f} s, respawning", values
            reason = child.no_respawn_reason or "respawn is off in the rig"
            return ERROR, f"{child.last_exit}; down {down:.1f} s, not respawned: {reason}", values
        if child.respawned_at is not None and now - child.respawned_at < self.warn_hold_s:
            return WARN, (f"respawned after {child.last_down_s:.1f} s down ({child.last_exit}; "
                          f"{child.deaths} death{'s' if child.deaths != 1 else ''})"), values
        return OK, "running", values

    def statuses(self, now: float) -> list[tuple[int, str, str, dict[str, str]]]:
        """(level, status name, message, values) per supervised node. The name is the node's
        name plus " process", apart from the status the node itself publishes while it runs."""
        self.changed = False
        out = []
        for child in self.children.values():
            level, message, values = self.status(child, now)
            out.append((level, f"{child.name} process", message, values))
        return out


def make_node(supervisor: Supervisor, period_s: float = 1.0):
    """The runner's ROS node that publishes the supervisor's statuses on /diagnostics."""
    import time

    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
    from rclpy.node import Node

    class SupervisorNode(Node):
        def __init__(self):
            super().__init__("rig_supervisor")
            self.pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
            self.last_publish = 0.0
            self.period_s = period_s
            self.create_timer(0.1, self.maybe_publish)

        def maybe_publish(self) -> None:
            now = time.time()
            if supervisor.changed or now - self.last_publish >= self.period_s:
                self.publish(now)

        def publish(self, now: float) -> None:
            arr = DiagnosticArray()
            arr.header.stamp = self.get_clock().now().to_msg()
            arr.status = [
                DiagnosticStatus(level=bytes([level]), name=name, message=message, hardware_id="process",
                                 values=[KeyValue(key=k, value=v) for k, v in values.items()])
                for level, name, message, values in supervisor.statuses(now)
            ]
            self.pub.publish(arr)
            self.last_publish = now

    return SupervisorNode()
