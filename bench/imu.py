"""IMU benchmark: orientation filter and gesture detector CPU per sample, gesture detection
rate, false alarms and latency on simulated head motion, the node chain's CPU at 100 Hz,
and (when ../shared/data is present) the filter and detector on a real 50 Hz IMU recording.

Writes bench/results/imu.json.
"""

from __future__ import annotations

import math
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
os.environ.setdefault("ROS_LOG_DIR", tempfile.mkdtemp(prefix="bench_imu_roslog_"))

from bench.common import percentile, write_result  # noqa: E402
from glasses_bringup.drivers.sensors.imu import OrientationEstimator, quaternion_to_euler  # noqa: E402
from glasses_bringup.drivers.sim.motion import MotionPlan, SimulatedImu  # noqa: E402
from glasses_perception.gestures import HeadGestureDetector, score  # noqa: E402

REAL_BAG = REPO.parent / "shared" / "data" / "bags" / "robot_localization_jackal_test2"
RATE_HZ = 100.0


def sim_run(seed: int, walking: bool, kinds: list[str], count: int, spacing_s: float = 6.0, duration_s=None):
    plan = MotionPlan(seed=seed)
    if walking:
        plan.add_mode(0.0, "walk")
    gestures = [plan.add_gesture(kinds[i % len(kinds)], 4.0 + i * spacing_s) for i in range(count)]
    duration_s = duration_s or 4.0 + count * spacing_s + 2.0
    t, gyro, accel, truth_q = SimulatedImu(plan, RATE_HZ).samples(0, int(duration_s * RATE_HZ))
    return t, gyro, accel, truth_q, [(g.kind, g.start_s, g.end_s) for g in gestures]


def cpu_us_per_sample(fn, n: int) -> float:
    start = time.process_time()
    fn()
    return (time.process_time() - start) / n * 1e6


def filter_figures(out: dict) -> None:
    t, gyro, accel, truth_q, _ = sim_run(3, True, ["nod", "shake"], 8)
    want = np.array([quaternion_to_euler(q) for q in truth_q])
    for algorithm in OrientationEstimator.ALGORITHMS:
        est = OrientationEstimator(algorithm)
        got: list = []
        us = cpu_us_per_sample(
            lambda est=est, got=got: got.extend(est.update(t[i], gyro[i], accel[i]) for i in range(len(t))), len(t)
        )
        err = np.degrees(np.abs(np.array([quaternion_to_euler(q) for q in got]) - want))
        out[f"filter_{algorithm}_cpu_us_per_sample"] = us
        out[f"filter_{algorithm}_cpu_percent_at_100hz"] = us * RATE_HZ / 1e4
        out[f"filter_{algorithm}_walking_roll_rms_deg"] = float(np.sqrt(np.mean(err[:, 0] ** 2)))
        out[f"filter_{algorithm}_walking_pitch_rms_deg"] = float(np.sqrt(np.mean(err[:, 1] ** 2)))
        got_yaw = np.unwrap([quaternion_to_euler(q)[2] for q in got])
        yaw_err = np.degrees(got_yaw - np.unwrap(want[:, 2]))
        out[f"filter_{algorithm}_yaw_drift_deg_per_min"] = float(abs(yaw_err[-1]) / (t[-1] / 60.0))


def gesture_figures(out: dict) -> None:
    seeds = range(10)
    for walking in (False, True):
        mode = "walking" if walking else "still"
        for kind in ("nod", "shake"):
            hits = expected = false = wrong = 0
            from_start: list[float] = []
            from_end: list[float] = []
            for seed in seeds:
                t, gyro, _, _, truth = sim_run(seed, walking, [kind], 20)
                result = score(HeadGestureDetector().process(t, gyro), truth)
                hits, expected = hits + result.hits, expected + result.expected
                false, wrong = false + result.false_alarms, wrong + result.wrong_kind
                from_start += result.from_start_s
                from_end += result.from_end_s
            out[f"{kind}_{mode}_detected"] = hits
            out[f"{kind}_{mode}_total"] = expected
            out[f"{kind}_{mode}_detection_rate"] = hits / expected
            out[f"{kind}_{mode}_wrong_kind"] = wrong
            out[f"{kind}_{mode}_false_alarms"] = false
            out[f"{kind}_{mode}_latency_from_start_p50_ms"] = percentile(from_start, 50) * 1e3
            out[f"{kind}_{mode}_latency_from_start_p90_ms"] = percentile(from_start, 90) * 1e3
            out[f"{kind}_{mode}_latency_from_end_p50_ms"] = percentile(from_end, 50) * 1e3
        # No gestures at all: every detection is a false alarm (walking includes glances aside).
        minutes = 30.0
        t, gyro, _, _, _ = sim_run(100, walking, [], 0, duration_s=minutes * 60.0)
        cpu0 = time.process_time()
        detections = HeadGestureDetector().process(t, gyro)
        us = (time.process_time() - cpu0) / len(t) * 1e6
        out[f"no_gesture_{mode}_minutes"] = minutes
        out[f"no_gesture_{mode}_false_alarms"] = len(detections)
        if not walking:
            out["gesture_detector_cpu_us_per_sample"] = us
    # Sim generation cost, one timer tick (1 sample) at a time as the node does at 100 Hz.
    imu = SimulatedImu(MotionPlan(seed=1), RATE_HZ)
    out["sim_imu_cpu_us_per_sample_1_per_call"] = cpu_us_per_sample(
        lambda: [imu.samples(k, 1) for k in range(2000)], 2000
    )
    out["sim_imu_cpu_us_per_sample_10_per_call"] = cpu_us_per_sample(
        lambda: [imu.samples(k, 10) for k in range(0, 20000, 10)], 20000
    )


def real_bag_figures(out: dict) -> None:
    """The Jackal robot's 50 Hz IMU (real sensor noise, turns up to 1.35 rad/s): no gestures in it."""
    if not REAL_BAG.exists():
        return
    from glasses_bringup.bag import read_messages

    rows = []
    for _, _, _, m in read_messages(REAL_BAG, topics=["/imu/data"]):
        rows.append(
            (
                m.header.stamp.sec + m.header.stamp.nanosec * 1e-9,
                m.angular_velocity.x, m.angular_velocity.y, m.angular_velocity.z,
                m.linear_acceleration.x, m.linear_acceleration.y, m.linear_acceleration.z,
                m.orientation.w, m.orientation.x, m.orientation.y, m.orientation.z,
            )
        )  # fmt: skip
    data = np.array(rows)
    t, gyro, accel, onboard = data[:, 0], data[:, 1:4], data[:, 4:7], data[:, 7:11]
    est = OrientationEstimator("madgwick", rate_hz=50.0)
    got: list = []
    us = cpu_us_per_sample(lambda: got.extend(est.update(t[i], gyro[i], accel[i]) for i in range(len(t))), len(t))
    ours = np.array([quaternion_to_euler(q) for q in got])
    theirs = np.array([quaternion_to_euler(q) for q in onboard])
    diff = np.degrees(ours[:, :2] - theirs[:, :2])
    out["real_bag_imu_samples"] = len(t)
    out["real_bag_imu_duration_s"] = float(t[-1] - t[0])
    out["real_bag_filter_madgwick_cpu_us_per_sample"] = us
    out["real_bag_roll_rms_diff_vs_onboard_deg"] = float(np.sqrt(np.mean(diff[:, 0] ** 2)))
    out["real_bag_pitch_rms_diff_vs_onboard_deg"] = float(np.sqrt(np.mean(diff[:, 1] ** 2)))
    out["real_bag_gesture_false_alarms"] = len(HeadGestureDetector().process(t, gyro))


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def node_chain_figures(out: dict) -> None:
    """imu (sim, 100 Hz) -> orientation_filter + head_gesture under `glasses up` (composed, EventsExecutor).

    CPU is measured in steady state for the imu node alone, the chain, and the chain
    while recording; the recorded run's bag gives the gesture events and their arrival
    times.
    """
    import json
    import subprocess

    from glasses_bringup.bag import read_messages

    seconds, gestures = 20.0, 6
    with tempfile.TemporaryDirectory() as tmp:
        scenario, rig, bag = Path(tmp) / "gestures.yaml", Path(tmp) / "imu_chain.yaml", Path(tmp) / "bag"
        timeline = "\n".join(
            f"  - {{at: {2.0 + 3.0 * i:.1f}, head: {'nod' if i % 2 == 0 else 'shake'}}}" for i in range(gestures)
        )
        scenario.write_text(
            f"name: bench-imu\nduration_s: {seconds}\nseed: 5\ntimeline:\n  - {{at: 0.5, motion: walk}}\n{timeline}\n"
        )
        nodes = {
            "imu": "  - {name: imu, executable: imu, parameters: {source: sim, scenario: $(scenario),"
            " scenario_start: $(scenario_start)}}\n",
            "orientation_filter": "  - {name: orientation_filter, executable: orientation_filter}\n",
            "head_gesture": "  - {name: head_gesture, executable: head_gesture}\n",
        }
        runs = [  # (figure prefix, nodes, record)
            ("imu_node_alone", ["imu"], False),
            ("node_chain", list(nodes), False),
            ("node_chain_recording", list(nodes), True),
        ]
        for key, names, record in runs:
            rig.write_text(
                "name: imu_chain\nnamespace: /glasses\nvariant: s1\nneeds_scenario: true\nnodes:\n"
                + "".join(nodes[n] for n in names)
            )
            cmd = [sys.executable, "-m", "glasses_bringup.cli", "up", "--rig", str(rig), "--scenario", str(scenario)]
            cmd += ["--record", str(bag)] if record else []
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
            # Steady state only: CPU between 8 s and 18 s after launch (start-up and imports excluded).
            time.sleep(8.0)
            cpu0, wall0 = process_cpu_s(proc.pid), time.monotonic()
            time.sleep(10.0)
            cpu1, wall1 = process_cpu_s(proc.pid), time.monotonic()
            if proc.wait(timeout=120) != 0:
                raise RuntimeError(f"glasses up failed: {' '.join(cmd)}")
            out[f"{key}_cpu_percent_of_one_core"] = (cpu1 - cpu0) / (wall1 - wall0) * 100.0
        raw_stamps, delays, kinds = [], [], []
        for topic, _, t_ns, msg in read_messages(bag):
            if topic.endswith("imu/data_raw"):
                raw_stamps.append(msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9)
            elif topic.endswith("input/head_gesture"):
                event = json.loads(msg.data)
                kinds.append(event["gesture"])
                delays.append(t_ns * 1e-9 - event["stamp"])
        steps = np.diff(raw_stamps)
        out["node_chain_imu_samples_recorded"] = len(raw_stamps)
        out["node_chain_imu_gaps_over_15ms"] = int(np.sum(steps > 0.015))
        out["node_chain_gestures_planned"] = gestures
        out["node_chain_gestures_detected"] = len(kinds)
        out["node_chain_gestures_right_kind"] = sum(
            k == ("nod" if i % 2 == 0 else "shake") for i, k in enumerate(kinds[:gestures])
        )
        out["node_chain_event_arrival_after_sample_p50_ms"] = percentile(delays, 50) * 1e3
        out["node_chain_event_arrival_after_sample_max_ms"] = max(delays) * 1e3 if delays else math.nan


def main() -> int:
    out: dict = {"rate_hz": RATE_HZ}
    filter_figures(out)
    gesture_figures(out)
    real_bag_figures(out)
    node_chain_figures(out)
    write_result("imu", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
