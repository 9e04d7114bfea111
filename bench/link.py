"""Co-processor link benchmark: throughput and host CPU at 400 Hz IMU + 10 Hz gauges + touch.

The MCU emulator runs in a child process behind a pseudo-terminal (as a UART or
USB-CDC port looks to the host); the host side runs in this process, measured
with process CPU time:

- ``session``: the plain-Python link session alone (decode, sequence, time sync);
- ``node``: the coprocessor_link node publishing imu/data_raw, power/gauge/* and
  input/touch on rclpy (EventsExecutor), what the jetson rig runs.

Writes bench/results/link.json.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from glasses_bringup.foundation.ros.domain import claim_free_domain  # noqa: E402 - before rclpy

os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
os.environ.setdefault("ROS_DOMAIN_ID", str(claim_free_domain(101, 100)))
os.environ.setdefault("ROS_LOG_DIR", tempfile.mkdtemp(prefix="bench_link_roslog_"))

from bench.common import percentile, write_result  # noqa: E402
from glasses_bringup.drivers.link import protocol as p  # noqa: E402
from glasses_bringup.drivers.link.emulator import McuEmulator, PtyMcu  # noqa: E402
from glasses_bringup.drivers.link.session import LinkSession  # noqa: E402
from glasses_bringup.drivers.sensors.imu import ImuBatch  # noqa: E402

IMU_HZ, GAUGE_HZ, TOUCH_HZ = 400.0, 10.0, 2.0
DURATION_S = float(os.environ.get("BENCH_LINK_S", "20"))
BAUD = 921600


def run_mcu(link_path: str, ready, stop, out) -> None:
    emulator = McuEmulator(drift_ppm=50.0, imu_rate_hz=IMU_HZ, imu_batch=8, gauge_rate_hz=GAUGE_HZ, seed=1)
    mcu = PtyMcu(emulator, link_path=link_path).start()
    ready.set()
    gestures = list(p.GESTURES)
    k = 0
    t0 = time.process_time()
    while not stop.wait(1.0 / TOUCH_HZ):
        with mcu.lock:
            emulator.touch(gestures[k % len(gestures)])
        k += 1
    out.put({"mcu_cpu_s": time.process_time() - t0, "sent": dict(emulator.sent), "tx_bytes": mcu.tx_bytes,
             "tx_dropped_bytes": mcu.tx_dropped})
    mcu.stop()


class Mcu:
    def __init__(self):
        ctx = mp.get_context("spawn")
        self.path = str(Path(tempfile.mkdtemp(prefix="bench_mcu_")) / "ttyMCU")
        self.ready, self.stop, self.out = ctx.Event(), ctx.Event(), ctx.Queue()
        self.proc = ctx.Process(target=run_mcu, args=(self.path, self.ready, self.stop, self.out), daemon=True)

    def __enter__(self):
        self.proc.start()
        if not self.ready.wait(20):
            raise RuntimeError("emulator did not start")
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.report = self.out.get(timeout=20)
        self.proc.join(timeout=10)


def bench_session() -> dict:
    with Mcu() as mcu:
        session = LinkSession(mcu.path, BAUD)
        deadline = time.time() + 3.0
        while session.state != "running" and time.time() < deadline:
            session.wait(0.01)
            session.poll(time.time())
        warm_up = time.time() + 2.0  # what queued in the pty before the handshake drains first
        while time.time() < warm_up:
            session.wait(0.02)
            session.poll(time.time())
        lag, samples, inputs = [], 0, 0
        cpu0, wall0, bytes0, frames0 = time.process_time(), time.time(), session.decoder.bytes, session.decoder.frames
        while time.time() - wall0 < DURATION_S:
            session.wait(0.02)
            now = time.time()
            for item in session.poll(now):
                if isinstance(item, ImuBatch):
                    samples += len(item)
                    if session.sync.synced:
                        lag.append(now - float(item.stamps[-1]))
                elif not hasattr(item, "slot"):
                    inputs += 1
        cpu, wall = time.process_time() - cpu0, time.time() - wall0
        session.close()
    byte_rate = (session.decoder.bytes - bytes0) / wall
    return {
        "session_cpu_percent": 100.0 * cpu / wall,
        "session_frames_per_s": (session.decoder.frames - frames0) / wall,
        "session_imu_samples_per_s": samples / wall,
        "session_touch_events": inputs,
        "link_bytes_per_s": byte_rate,
        "link_utilisation_at_921600_baud": byte_rate * 10 / BAUD,  # 8N1: 10 bits per byte
        "imu_arrival_lag_p50_ms": 1000 * percentile(lag, 50),
        "imu_arrival_lag_p90_ms": 1000 * percentile(lag, 90),
        "imu_arrival_lag_p99_ms": 1000 * percentile(lag, 99),  # scheduling on a loaded machine shows here
        "session_errors": session.error_total,
        "session_counters": dict(session.decoder.errors + session.counters),
        "sync_uncertainty_ms": 1000 * session.sync.uncertainty_s,
        "sync_drift_ppm_estimated": session.sync.drift_ppm,
        "mcu_emulator_cpu_percent": 100.0 * mcu.report["mcu_cpu_s"] / (wall + 5.0),
    }


def bench_node() -> dict:
    import rclpy
    from rclpy.parameter import Parameter

    from glasses_bringup.drivers.nodes.coprocessor_link_node import CoprocessorLinkNode
    from glasses_bringup.foundation.ros.node_base import make_executor

    with Mcu() as mcu:
        rclpy.init()
        node = CoprocessorLinkNode(namespace="/glasses", parameter_overrides=[Parameter("port", value=mcu.path)])
        executor = make_executor("events")
        executor.add_node(node)
        deadline = time.time() + 5.0
        while node.session.state != "running" and time.time() < deadline:
            executor.spin_once(timeout_sec=0.05)
        published0 = node.health.rates["imu/data_raw"].total if "imu/data_raw" in node.health.rates else 0
        cpu0, wall0 = time.process_time(), time.time()
        while time.time() - wall0 < DURATION_S:
            executor.spin_once(timeout_sec=0.05)
        cpu, wall = time.process_time() - cpu0, time.time() - wall0
        published = node.health.rates["imu/data_raw"].total - published0
        errors = node.session.error_total
        by_reason = dict(node.session.decoder.errors + node.session.counters)
        node.destroy_node()
        rclpy.shutdown()
    return {
        "node_process_cpu_percent": 100.0 * cpu / wall,  # node, its port thread and the executor
        "node_imu_published_per_s": published / wall,
        "node_link_errors": errors,
        "node_link_counters": by_reason,  # from start-up on: what queued in the pty before the port opened shows here
    }


def main() -> int:
    figures = {"imu_hz": IMU_HZ, "gauge_hz_per_slot": GAUGE_HZ, "touch_hz": TOUCH_HZ, "duration_s": DURATION_S,
               "imu_samples_per_frame": 8}
    figures.update(bench_session())
    figures.update(bench_node())
    figures["machine_load_1min"] = os.getloadavg()[0]  # other work on the machine during the run
    write_result("link", {k: (float(v) if isinstance(v, np.floating) else v) for k, v in figures.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
