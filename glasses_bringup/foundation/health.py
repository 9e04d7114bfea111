"""Health bookkeeping for a node (pure Python): rates, drops, rejects, last error.

The ROS side (ros/node_base.py) turns a ``Health`` into a DiagnosticStatus on
/diagnostics every ``diagnostics_period_s``.
"""

from __future__ import annotations

import time
from collections import Counter, deque

OK, WARN, ERROR, STALE = 0, 1, 2, 3  # diagnostic_msgs/DiagnosticStatus levels


class RateMeter:
    """Events per second over a sliding window of arrival times (monotonic clock)."""

    def __init__(self, window_s: float = 5.0, clock=time.monotonic):
        self.window_s = window_s
        self.clock = clock
        self.times: deque[float] = deque()
        self.total = 0

    def tick(self, n: int = 1) -> None:
        now = self.clock()
        for _ in range(n):
            self.times.append(now)
        self.total += n
        self._trim(now)

    def _trim(self, now: float) -> None:
        while self.times and now - self.times[0] > self.window_s:
            self.times.popleft()

    def rate(self) -> float:
        now = self.clock()
        self._trim(now)
        if len(self.times) < 2:
            return 0.0
        span = max(now - self.times[0], 1e-9)
        return (len(self.times) - 1) / span if span < self.window_s else len(self.times) / self.window_s


class Health:
    """Counters a node reports: per-stream rates, drops, rejected inputs by reason, errors."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.rates: dict[str, RateMeter] = {}
        self.drops: Counter[str] = Counter()
        self.rejects: Counter[str] = Counter()
        self.values: dict[str, str] = {}
        self.last_error = ""
        self.last_error_time: float | None = None
        self.errors = 0
        self.level_override: tuple[int, str] | None = None

    def tick(self, stream: str, n: int = 1) -> None:
        meter = self.rates.get(stream)
        if meter is None:
            meter = self.rates[stream] = RateMeter(clock=self.clock)
        meter.tick(n)

    def drop(self, stream: str, n: int = 1) -> None:
        self.drops[stream] += n

    def reject(self, reason: str, detail: str = "") -> None:
        """Count a malformed input; it also becomes the last error."""
        self.rejects[reason] += 1
        self.error(f"rejected ({reason}) {detail}".strip(), count=False)

    def error(self, message: str, count: bool = True) -> None:
        if count:
            self.errors += 1
        self.last_error = message[:300]
        self.last_error_time = self.clock()

    def set(self, key: str, value) -> None:
        self.values[key] = str(value)

    def set_level(self, level: int, message: str) -> None:
        """Pin a level (e.g. device missing); cleared with clear_level()."""
        self.level_override = (level, message)

    def clear_level(self) -> None:
        self.level_override = None

    def status(self, recent_error_s: float = 10.0) -> tuple[int, str, dict[str, str]]:
        """(level, message, key/values) for one DiagnosticStatus."""
        kv: dict[str, str] = {}
        for stream, meter in sorted(self.rates.items()):
            kv[f"{stream}.rate_hz"] = f"{meter.rate():.2f}"
            kv[f"{stream}.count"] = str(meter.total)
        for stream, n in sorted(self.drops.items()):
            kv[f"{stream}.dropped"] = str(n)
        for reason, n in sorted(self.rejects.items()):
            kv[f"rejected.{reason}"] = str(n)
        kv["errors"] = str(self.errors)
        kv["last_error"] = self.last_error
        kv.update(self.values)
        if self.level_override is not None:
            level, msg = self.level_override
            return level, msg, kv
        recent = self.last_error_time is not None and self.clock() - self.last_error_time < recent_error_s
        if recent:
            return WARN, self.last_error, kv
        return OK, "ok", kv
