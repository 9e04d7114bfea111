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


def _glasses() -> str:
    import sys

    return str(Path(sys.executable).parent / "glasses")


def _env() -> dict:
    return dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")


def record_idle_bag(out_dir: Path, seconds: float = 34.0) -> Path:
    """Record `seconds` of worn idle (still head, nothing in view, room noise, both packs in) from the
    sim rig: the sensor topics the replay rig replays, by a separate `glasses record` process."""
    import signal
    import subprocess

    import yaml

    from glasses_bringup.foundation.paths import share_path

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    scenario = out_dir / "worn_idle.yaml"
    scenario.write_text(yaml.safe_dump({
        "name": "worn_idle", "duration_s": seconds, "seed": 5, "noise_snr_db": 30.0,
        "batteries": {"left": {"soc": 0.8}, "right": {"soc": 0.8}},
        "timeline": [{"at": 0.2, "motion": "still"}],
    }))  # fmt: skip
    topics = yaml.safe_load(share_path("config", "rigs", "replay.yaml").read_text())["replay"]["topics"]
    bag = out_dir / "idle_bag"
    recorder = subprocess.Popen([_glasses(), "record", "-o", str(bag), *[f"/glasses/{t}" for t in topics]],
                                env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        time.sleep(2.0)  # the recorder's subscriptions exist before the sensors start
        rig = subprocess.run([_glasses(), "up", "--rig", "sim", "--scenario", str(scenario)], env=_env(),
                             capture_output=True, text=True, timeout=300)  # fmt: skip
        if rig.returncode != 0:
            raise RuntimeError(f"sim rig exited with {rig.returncode}: {rig.stderr[-2000:]}")
    finally:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=120)
    return bag


def replay_cpu_pct(bag: Path, rig: str, window_s: float = 30.0) -> float:
    """CPU (% of one core) of a composed `glasses up --rig RIG --bag BAG` over the last `window_s` of the bag."""
    import subprocess

    proc = subprocess.Popen([_glasses(), "up", "--rig", rig, "--bag", str(bag)], env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    sampler = CpuSampler({"rig": proc.pid}, period_s=0.25).start()
    out, _ = proc.communicate(timeout=300)
    sampler.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"replay rig {rig} exited with {proc.returncode}: {out[-2000:]}")
    end = sampler.times[-1] - 2.5  # the runner stops 1.5 s after the bag's last message
    return sampler.usage(end - window_s, end)["rig"]


def worn_idle_stack_cpu(work_dir: Path, window_s: float = 30.0, rounds: int = 2) -> dict[str, float]:
    """Worn-idle CPU of the composed replay rig, the replayer alone, and their difference (the stack).

    Each is measured ``rounds`` times, alternating, and the least of each is kept: other
    work on a shared machine only ever adds CPU time to a run (cache and core contention),
    so the least-disturbed run is the closest to the stack's own cost.
    """
    import yaml

    from glasses_bringup.foundation.paths import share_path
    from glasses_bringup.rig import read_rig_document

    bag = record_idle_bag(Path(work_dir), window_s + 4.0)
    replay_rig = read_rig_document(share_path("config", "rigs", "replay.yaml"))
    bare = Path(work_dir) / "replayer_only.yaml"  # the same bag topics, no node of the stack
    bare.write_text(yaml.safe_dump({**replay_rig, "name": "replayer_only", "nodes": []}))
    replayer_runs, rig_runs = [], []
    for _ in range(max(rounds, 1)):
        replayer_runs.append(replay_cpu_pct(bag, str(bare), window_s))
        rig_runs.append(replay_cpu_pct(bag, "replay", window_s))
    replayer, rig = min(replayer_runs), min(rig_runs)
    return {"replay_rig_pct": rig, "replayer_alone_pct": replayer, "stack_pct": rig - replayer,
            "replay_rig_runs_pct": rig_runs, "replayer_alone_runs_pct": replayer_runs}  # fmt: skip
