"""Interaction rounds per task (no rclpy): how many inputs a task took, how long, how many touches.

A task is what one request started (its turn): "pay", "navigate to …", a photo by a
tap, a look-and-pay by a nod. Every later input that acts on it (a confirmation by
voice, nod or touch; a cancel) is one more round, touches are counted apart. It ends
done (a completed outcome), failed (refused, failed, expired) or cancelled. The
summary per intent is what agent/metrics carries and the demo prints.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class Task:
    turn_id: int
    intent: str
    started: float
    rounds: int = 1
    touches: int = 0
    status: str = "open"  # open, done, failed, cancelled
    ended: float | None = None

    @property
    def time_s(self) -> float:
        return max(0.0, (self.ended if self.ended is not None else self.started) - self.started)


@dataclass
class TaskLog:
    keep: int = 200
    open: dict[int, Task] = field(default_factory=dict)
    closed: deque = field(default_factory=lambda: deque(maxlen=200))

    def start(self, turn_id: int, intent: str, stamp: float, touch: bool = False) -> None:
        if intent in ("unknown", "confirm", "cancel") or turn_id in self.open:
            return
        self.open[turn_id] = Task(turn_id, intent, stamp, touches=int(touch))

    def input(self, turn_id: int, touch: bool = False) -> None:
        task = self.open.get(turn_id)
        if task is not None:
            task.rounds += 1
            task.touches += int(touch)

    def finish(self, turn_id: int, status: str, stamp: float) -> None:
        task = self.open.pop(turn_id, None)
        if task is not None:
            task.status, task.ended = status, max(stamp, task.started)
            self.closed.append(task)

    def summary(self) -> dict[str, dict[str, float]]:
        """Per intent: tasks done / failed / cancelled, mean rounds, mean seconds, touches; plus open ones."""
        out: dict[str, dict[str, float]] = {}
        for task in self.closed:
            s = out.setdefault(task.intent, {"done": 0, "failed": 0, "cancelled": 0, "rounds": 0, "time_s": 0.0,
                                             "touches": 0, "open": 0})  # fmt: skip
            s[task.status] += 1
            s["rounds"] += task.rounds
            s["time_s"] += task.time_s
            s["touches"] += task.touches
        for s in out.values():
            n = s["done"] + s["failed"] + s["cancelled"]
            s["rounds_mean"] = round(s.pop("rounds") / n, 2)
            s["time_s_mean"] = round(s.pop("time_s") / n, 2)
        for task in self.open.values():
            out.setdefault(task.intent, {"done": 0, "failed": 0, "cancelled": 0, "touches": 0, "open": 0,
                                         "rounds_mean": 0.0, "time_s_mean": 0.0})["open"] += 1  # fmt: skip
        return out
