"""CPU cost of running rigs, per process, from /proc (Linux): what the battery pays for.

``CpuSampler`` polls the user + system CPU time of a set of processes (a
composed rig, or every node process of an isolated rig found by its
``__node:=NAME`` argument) and answers "how much of one core did each use
between t0 and t1" for any window of wall time, so states of a scenario (worn
idle, listening, busy) can be costed after the run from their timeline.
"""

from __future__ import annotations

import os
import threading
import time
from bisect import bisect_left
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process (all its threads); None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid``."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def node_processes(runner_pid: int) -> dict[str, int]:
    """node name -> pid of the processes an isolated rig runner started (``-r __node:=NAME``)."""
    found = {}
    for pid in children(runner_pid):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        for arg in args:
            if arg.startswith(b"__node:="):
                found[arg.split(b"=", 1)[1].decode()] = pid
    return found


class CpuSampler:
    """Samples CPU seconds of named processes every ``period_s`` on a background thread.

    ``discover`` (optional) is called each period and returns name -> pid, so processes
    that start late or are respawned are followed (a respawned node's time adds up).
    """

    def __init__(self, processes: dict[str, int] | None = None, period_s: float = 0.5, discover=None):
        self.processes = dict(processes or {})
        self.period_s = period_s
        self.discover = discover
        self.times: list[float] = []
        self.samples: list[dict[str, float]] = []
        self._base: dict[str, float] = {}  # CPU of earlier incarnations of a respawned name
        self._last: dict[tuple[str, int], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu_sampler", daemon=True)

    def start(self) -> CpuSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def sample(self) -> None:
        if self.discover is not None:
            try:
                for name, pid in self.discover().items():
                    old = self.processes.get(name)
                    if old is not None and old != pid:
                        self._base[name] = self._base.get(name, 0.0) + self._last.get((name, old), 0.0)
                    self.processes[name] = pid
            except OSError:
                pass
        now = time.time()
        row = {}
        for name, pid in self.processes.items():
            cpu = process_cpu_s(pid)
            if cpu is None:
                cpu = self._last.get((name, pid))
                if cpu is None:
                    continue
            self._last[(name, pid)] = cpu
            row[name] = self._base.get(name, 0.0) + cpu
        self.times.append(now)
        self.samples.append(row)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.period_s)

    def _at(self, t: float) -> int:
        return min(max(bisect_left(self.times, t), 0), len(self.times) - 1)

    def usage(self, t0: float, t1: float) -> dict[str, float]:
        """name -> percent of one core used between wall times t0 and t1 (nearest samples)."""
        if not self.times:
            return {}
        i, j = self._at(t0), self._at(t1)
        span = self.times[j] - self.times[i]
        if span <= 0:
            return {}
        a, b = self.samples[i], self.samples[j]
        return {name: 100.0 * (b[name] - a.get(name, 0.0)) / span for name in b if name in a}
