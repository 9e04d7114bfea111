"""Transport benchmark: camera publish -> subscriber latency, and bag replay throughput.

- Latency: the camera node (simulated source) publishes rgb8 frames; a subscriber
  measures (receive time - header stamp). Composed = both nodes in one process on
  the EventsExecutor, as `glasses up` runs them; isolated = camera in its own
  process with the shared-memory Fast DDS profile (config/dds). >= 300 frames each.
- Replay: raw CDR replay of an IMU bag (the real Jackal recording when
  ../shared/data is present, else a generated one) as fast as possible, as a
  ratio to the raw rosbags read rate of the same bag.
- Recording size: the demo scenario recorded the default way (camera as its JPEG
  stream at 10 Hz, zstd MCAP chunks), scaled to MB per hour.
- Compressed vs raw decode: bench/vision.py's simulated code scenes decoded from the
  raw frame and from its JPEG (the camera's default quality); the detection-rate
  difference in percentage points.
- Demo bag replay: that bag replayed as fast as possible into another process with
  a subscriber per topic: real-time factor (bag duration / time to deliver it) and MB/s.
- Foxglove bridge: CPU of the bridge process while a websocket client watches every
  channel of the demo bag replayed in a loop.
Writes bench/results/transport.json; ``--only tooling`` reruns only the last four and
merges them into the existing file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from glasses_bringup.foundation.ros.domain import claim_free_domain  # noqa: E402 - before rclpy

os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.setdefault("ROS_DOMAIN_ID", str(claim_free_domain(101, 100)))
os.environ.setdefault("ROS_LOG_DIR", tempfile.mkdtemp(prefix="bench_roslog_"))
SHM_PROFILE = REPO / "config" / "dds" / "fastdds_shm_loopback.xml"
os.environ["FASTDDS_DEFAULT_PROFILES_FILE"] = str(SHM_PROFILE)

import rclpy  # noqa: E402
from rclpy.node import Node  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

from bench.common import percentile, write_result  # noqa: E402
from glasses_bringup.foundation.ros import qos as gq  # noqa: E402
from glasses_bringup.foundation.ros.node_base import make_executor  # noqa: E402

FRAMES = 330
WARMUP = 20
SCENARIO = REPO / "config" / "scenarios" / "demo.yaml"
SHARED_IMU_BAG = REPO.parent / "shared" / "data" / "bags" / "robot_localization_jackal_test2"


class LatencyProbe(Node):
    def __init__(self):
        super().__init__("latency_probe", namespace="/bench")
        self.latencies_ms: list[float] = []
        self.create_subscription(Image, "camera/image_raw", self.on_image, gq.for_topic("camera/image_raw"))

    def on_image(self, msg: Image) -> None:
        now = self.get_clock().now().nanoseconds
        stamp = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        self.latencies_ms.append((now - stamp) / 1e6)


def camera_params(width: int, height: int) -> dict:
    return {"source": "sim", "scenario": str(SCENARIO), "width": width, "height": height, "fps": 30.0}


def spin_until_frames(executor, probe, timeout_s: float = 120.0) -> None:
    """Spin until the probe has the warm-up plus the measured frames (or the time-out)."""
    deadline = time.time() + timeout_s
    while len(probe.latencies_ms) < FRAMES + WARMUP and time.time() < deadline:
        executor.spin_once(timeout_sec=0.05)


def measure_composed(width: int, height: int) -> list[float]:
    from rclpy.parameter import Parameter

    from glasses_bringup.drivers.nodes.camera_node import CameraNode

    rclpy.init()
    camera = CameraNode(namespace="/bench", parameter_overrides=[Parameter(k, value=v) for k, v in camera_params(width, height).items()])
    probe = LatencyProbe()
    executor = make_executor("events")
    executor.add_node(camera)
    executor.add_node(probe)
    spin_until_frames(executor, probe)
    camera.destroy_node()
    probe.destroy_node()
    rclpy.shutdown()
    return probe.latencies_ms[WARMUP:]


def measure_isolated(width: int, height: int) -> list[float]:
    args = ["--ros-args", "-r", "__ns:=/bench"]
    for k, v in camera_params(width, height).items():
        args += ["-p", f"{k}:={v}"]
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from glasses_bringup.drivers.nodes.camera_node import main; sys.exit(main())", *args],
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        rclpy.init()
        probe = LatencyProbe()
        executor = make_executor("events")
        executor.add_node(probe)
        spin_until_frames(executor, probe)
        probe.destroy_node()
        rclpy.shutdown()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return probe.latencies_ms[WARMUP:]


def imu_bag() -> tuple[Path, str]:
    if SHARED_IMU_BAG.exists():
        return SHARED_IMU_BAG, "robot_localization_jackal_test2 (/imu/data, real, 3061 msgs)"
    sys.path.insert(0, str(REPO / "test"))
    from test_bringup_bags import write_imu_bag

    path = Path(tempfile.mkdtemp()) / "imu"
    write_imu_bag(path, 5000)
    return path, "generated IMU bag (5000 msgs)"




# A reader process with one subscriber per topic: raw + EventsExecutor, the fastest Python
# consumer, so it measures the replayer, not itself. argv: {topic: type} JSON, expected count,
# time-out, optionally --wait-publisher (report ready only once every topic has a publisher).
SINK = """
import json, sys, time, importlib, rclpy
from rclpy.experimental import EventsExecutor
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
rclpy.init()
node = Node("replay_sink_all")
topics = json.loads(sys.argv[1])
count, last = [0], [0.0]
def take(_raw):
    count[0] += 1
    last[0] = time.time()
for topic, msgtype in topics.items():  # one subscriber per topic
    pkg, kind, name = msgtype.split("/")
    cls = getattr(importlib.import_module(pkg + "." + kind), name)
    node.create_subscription(cls, topic, take, QoSProfile(depth=1, history=HistoryPolicy.KEEP_ALL,
                             reliability=ReliabilityPolicy.RELIABLE), raw=True)
executor = EventsExecutor()
executor.add_node(node)
while sys.argv[4:] == ["--wait-publisher"] and any(node.count_publishers(t) == 0 for t in topics):
    executor.spin_once(timeout_sec=0.02)
print("ready", flush=True)
expected, deadline = int(sys.argv[2]), time.time() + float(sys.argv[3])
while count[0] < expected and time.time() < deadline:
    executor.spin_once(timeout_sec=0.05)
print(count[0], last[0], flush=True)
"""


def imu_topic(topic: str) -> str:
    import json

    return json.dumps({topic: "sensor_msgs/msg/Imu"})


def raw_read_rate(bag: Path) -> tuple[float, int, str]:
    from rosbags.rosbag2 import Reader

    t0 = time.perf_counter()
    with Reader(bag) as reader:
        conns = [c for c in reader.connections if c.msgtype == "sensor_msgs/msg/Imu"]
        n = sum(1 for _ in reader.messages(connections=conns))
    return n / (time.perf_counter() - t0), n, conns[0].topic


def play_through(replayer) -> tuple[float, float]:
    """Start a replayer and wait for the end of the bag: (wall start, published msg/s)."""
    t_start = time.time()
    replayer.start()
    while not replayer.done:
        time.sleep(0.005)
    return t_start, replayer.published / (replayer.done_at - t_start)


def measure_replay(bag: Path, runs: int = 5) -> dict:
    """Raw read rate vs replay rate into a sink in another process (best of `runs` each).

    Replay rate: messages / (start of playback -> last publish returned); with KEEP_ALL
    back-pressure the replayer cannot run ahead of the sink, and the delivered rate
    (start -> last message received) is reported beside it.
    """
    from glasses_bringup.replayer import Replayer

    raw = [raw_read_rate(bag) for _ in range(runs)]
    raw_rate, n, topic = max(raw)
    replay_rates, delivered_rates, alone_rates = [], [], []
    delivered = published = 0
    rclpy.init()
    for _ in range(runs):
        sink = subprocess.Popen([sys.executable, "-c", SINK, imu_topic(topic), str(n), "30", "--wait-publisher"],
                                stdout=subprocess.PIPE, text=True,
                                env=dict(os.environ, PYTHONPATH=str(REPO)))
        replayer = Replayer(str(bag), topics=[topic], rate=0.0)
        assert sink.stdout.readline().strip() == "ready"
        deadline = time.time() + 10
        while replayer.count_subscribers(topic) == 0 and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        t_start, rate = play_through(replayer)
        count, last = sink.communicate(timeout=60)[0].split()
        delivered, published = int(count), replayer.published
        replay_rates.append(rate)
        delivered_rates.append(delivered / max(float(last) - t_start, 1e-9))
        replayer.destroy_node()
        # the same replay with nobody subscribed: the replayer's own cost (read + publish)
        alone = Replayer(str(bag), topics=[topic], rate=0.0)
        alone_rates.append(play_through(alone)[1])
        alone.destroy_node()
    rclpy.shutdown()
    return {
        "raw_rate": raw_rate, "replay_rate": max(replay_rates), "delivered_rate": max(delivered_rates),
        "alone_rate": max(alone_rates), "delivered": delivered, "published": published, "expected": n,
    }


def measure_cli_replay(bag: Path, topic: str, expected: int) -> int:
    """`glasses replay BAG` at the original timing into a sink process: messages delivered."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    sink = subprocess.Popen([sys.executable, "-c", SINK, imu_topic(topic), str(expected), "180"], stdout=subprocess.PIPE,
                            text=True, env=env)
    assert sink.stdout.readline().strip() == "ready"
    subprocess.run([sys.executable, "-m", "glasses_bringup.cli", "replay", str(bag), "--topics", topic], env=env, check=True, timeout=300)
    return int((sink.communicate(timeout=200)[0].split() or ["0"])[0])


def record_demo_bag(out: Path, fps: float = 10.0) -> Path:
    """The demo scenario on the sim rig, recorded the default way (JPEG camera, zstd chunks)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    subprocess.run([sys.executable, "-m", "glasses_bringup.cli", "up", "--rig", "sim", "--scenario", str(SCENARIO),
                    "--record", str(out), "--set", f"camera.fps={fps}"], env=env, check=True, timeout=600,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out


def bag_mb_per_hour(bag: Path) -> dict:
    from glasses_bringup.bag import raw_messages, summarize

    info = summarize(bag)
    size = sum(f.stat().st_size for f in bag.rglob("*") if f.is_file())
    by_topic: dict[str, int] = {}
    for topic, _, _, data in raw_messages(bag):
        by_topic[topic] = by_topic.get(topic, 0) + len(data)
    biggest = sorted(by_topic.items(), key=lambda kv: -kv[1])[:4]
    camera = info["topics"].get("/glasses/camera/image_raw/compressed", {})
    return {"demo_bag_mb": size / 1e6, "demo_bag_duration_s": info["duration_s"],
            "demo_bag_camera_frames": camera.get("count", 0),
            "demo_bag_uncompressed_mb_by_topic": {t: round(n / 1e6, 2) for t, n in biggest},
            "demo_bag_mb_per_hour_recorded": size / 1e6 / info["duration_s"] * 3600.0,
            "demo_bag_camera_fps": camera.get("count", 0) / max(info["duration_s"], 1e-9),
            "demo_bag_camera_topic": "camera/image_raw/compressed (JPEG q80; camera.fps=10 at start, "
                                     "the power policy sets the rate while vision is active)"}


def compressed_vs_raw_decode(per_difficulty: int = 60, quality: int = 80) -> dict:
    """Code detection rate on bench/vision.py's sim scenes: raw frame vs its JPEG (percentage points)."""
    import numpy as np

    from bench.vision import DIFFICULTY, PAYLOADS
    from glasses_bringup.drivers.sim.scenario import Show
    from glasses_bringup.drivers.sim.scene import SceneRenderer
    from glasses_bringup.foundation.image_codec import decode_rgb, encode_jpeg
    from glasses_perception.vision.codes import CodeReader

    reader = CodeReader()
    kinds = list(PAYLOADS)
    raw_hits = jpeg_hits = total = 0
    figures = {}
    for level, ranges in DIFFICULTY.items():
        rng = np.random.default_rng(1000 + list(DIFFICULTY).index(level))  # the same scenes as bench/vision.py
        level_raw = level_jpeg = 0
        for i in range(per_difficulty):
            kind = kinds[i % len(kinds)]
            text = PAYLOADS[kind][int(rng.integers(len(PAYLOADS[kind])))]
            knobs = {k: float(rng.uniform(*v)) for k, v in ranges.items()}
            center = (float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.3, 0.7)))
            frame = SceneRenderer(640, 480, seed=int(rng.integers(1 << 30))).render(
                float(i), [Show(kind=kind, text=text, center=center, **knobs)])
            expected = "0" + text if kind == "upca" else text
            level_raw += expected in [c.gtin or c.text for c in reader.decode(frame)]
            jpeg = decode_rgb(encode_jpeg(frame, quality), "jpeg")
            level_jpeg += expected in [c.gtin or c.text for c in reader.decode(jpeg)]
        figures[f"decode_rate_{level}_raw"] = level_raw / per_difficulty
        figures[f"decode_rate_{level}_compressed"] = level_jpeg / per_difficulty
        raw_hits, jpeg_hits, total = raw_hits + level_raw, jpeg_hits + level_jpeg, total + per_difficulty
    figures["compressed_vs_raw_decode_rate_delta_pp"] = (jpeg_hits - raw_hits) / total * 100.0
    figures["compressed_decode_scenes"] = total
    figures["compressed_jpeg_quality"] = quality
    return figures




def replay_realtime_factor(bag: Path, runs: int = 3) -> dict:
    """The demo bag replayed as fast as possible into a process with a subscriber per topic (best of runs)."""
    import json

    from glasses_bringup.bag import raw_messages, topics_and_types
    from glasses_bringup.replayer import Replayer

    types = {t: m for t, m in topics_and_types(bag).items() if m != "rosgraph_msgs/msg/Clock"}
    stream = list(raw_messages(bag))
    n = len(stream)
    payload_mb = sum(len(m[3]) for m in stream) / 1e6
    duration_s = (stream[-1][2] - stream[0][2]) * 1e-9
    best = None
    rclpy.init()
    for _ in range(runs):
        sink = subprocess.Popen([sys.executable, "-c", SINK, json.dumps(types), str(n), "120", "--wait-publisher"],
                                stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
        replayer = Replayer(str(bag), rate=0.0)
        assert sink.stdout.readline().strip() == "ready"
        replayer.wait_for_subscribers(10.0)
        time.sleep(0.5)
        t_start, _ = play_through(replayer)
        wall = replayer.done_at - t_start
        count, last = sink.communicate(timeout=180)[0].split()
        replayer.destroy_node()
        run = {"wall_s": wall, "delivered": int(count), "delivered_wall_s": max(float(last) - t_start, 1e-9)}
        if best is None or run["delivered_wall_s"] < best["delivered_wall_s"]:
            best = run
    rclpy.shutdown()
    return {
        "replay_demo_bag_messages": n,
        "replay_demo_bag_topics": len(types),
        "replay_demo_bag_duration_s": duration_s,
        "replay_demo_bag_delivered": best["delivered"],
        "replay_demo_bag_realtime_factor": duration_s / best["delivered_wall_s"],
        "replay_demo_bag_mb_per_s": payload_mb / best["delivered_wall_s"],
        "target_replay_demo_bag_realtime_factor": 20.0,
    }


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def foxglove_bridge_cpu(bag: Path, seconds: float = 20.0) -> dict:
    """CPU of the bridge process while a client watches every channel of a looping demo replay."""
    import json
    import socket

    import websocket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    player = subprocess.Popen([sys.executable, "-m", "glasses_bringup.cli", "replay", str(bag), "--loop"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bridge = subprocess.Popen([sys.executable, "-c", "import sys; from glasses_bringup.foxglove_bridge_node "
                               "import main; sys.exit(main())", "--ros-args", "-r", "__ns:=/glasses",
                               "-p", f"port:={port}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    received = 0
    try:
        ws = None
        deadline = time.time() + 30
        while ws is None and time.time() < deadline:
            try:
                ws = websocket.create_connection(f"ws://127.0.0.1:{port}", subprotocols=["foxglove.sdk.v1"], timeout=5)
            except OSError:
                time.sleep(0.2)
        channels = []
        ws.settimeout(0.2)
        end = time.time() + 2
        while time.time() < end:
            try:
                frame = ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            if isinstance(frame, str) and json.loads(frame).get("op") == "advertise":
                channels += json.loads(frame)["channels"]
        ws.send(json.dumps({"op": "subscribe", "subscriptions": [{"id": i, "channelId": c["id"]}
                                                                 for i, c in enumerate(channels)]}))
        time.sleep(2.0)  # subscriptions made, streams flowing
        cpu0, t0 = proc_cpu_s(bridge.pid), time.time()
        per_channel: dict[str, int] = {}
        while time.time() < t0 + seconds:
            try:
                frame = ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            if isinstance(frame, bytes) and frame[:1] == b"\x01":
                received += 1
                topic = channels[int.from_bytes(frame[1:5], "little")]["topic"]
                per_channel[topic] = per_channel.get(topic, 0) + 1
        cpu = (proc_cpu_s(bridge.pid) - cpu0) / (time.time() - t0) * 100.0
        ws.close()
    finally:
        for proc in (bridge, player):
            proc.terminate()
            proc.wait(timeout=10)
    rates = {topic: n / seconds for topic, n in per_channel.items()}
    print("foxglove bridge channels (msg/s): " + ", ".join(f"{t} {r:.1f}" for t, r in sorted(rates.items())))
    return {"foxglove_bridge_cpu_percent": cpu, "foxglove_bridge_messages_per_s": received / seconds,
            "foxglove_bridge_camera_fps": rates.get("/glasses/camera/image_raw/compressed", 0.0),
            "foxglove_bridge_hud_fps": rates.get("/glasses/display/image", 0.0),
            "foxglove_bridge_setup": "demo bag replayed in a loop; one client subscribed to every channel; "
                                     "percent of one core"}


def tooling_figures() -> dict:
    figures = compressed_vs_raw_decode()
    print(f"compressed vs raw decode rate: {figures['compressed_vs_raw_decode_rate_delta_pp']:+.2f} pp", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        bag = record_demo_bag(Path(tmp) / "demo")
        figures.update(bag_mb_per_hour(bag))
        print(f"demo bag: {figures['demo_bag_mb_per_hour_recorded']:.0f} MB/h", flush=True)
        figures.update(replay_realtime_factor(bag))
        print(f"demo bag replay: {figures['replay_demo_bag_realtime_factor']:.1f}x real time", flush=True)
        figures.update(foxglove_bridge_cpu(bag))
        print(f"foxglove bridge: {figures['foxglove_bridge_cpu_percent']:.1f} % CPU", flush=True)
    return figures


def merge_result(name: str, new: dict) -> None:
    import json

    from bench.common import RESULTS

    path = RESULTS / f"{name}.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    old_date = old.get("date")
    for key in ("machine", "cpu_model", "cpu_simd_flags", "date", "date_tooling_figures"):
        old.pop(key, None)
    write_result(name, {**old, **new})
    # the figures kept from the last full run keep its date; the new ones get their own
    doc = json.loads(path.read_text())
    doc["date_tooling_figures"] = doc["date"]
    if old_date:
        doc["date"] = old_date
    path.write_text(json.dumps(doc, indent=2) + "\n")


def main() -> int:
    if sys.argv[1:] == ["--only", "tooling"]:
        merge_result("transport", tooling_figures())
        return 0
    figures: dict = {}
    for width, height in ((640, 480), (1280, 720)):
        for mode, fn in (("composed", measure_composed), ("isolated", measure_isolated)):
            lat = fn(width, height)
            key = f"camera_{width}x{height}_{mode}"
            figures[f"{key}_p50_ms"] = percentile(lat, 50)
            figures[f"{key}_p99_ms"] = percentile(lat, 99)
            figures[f"{key}_frames"] = len(lat)
            print(f"{key}: p50 {figures[f'{key}_p50_ms']:.2f} ms, p99 {figures[f'{key}_p99_ms']:.2f} ms over {len(lat)} frames", flush=True)
    bag, label = imu_bag()
    replay = measure_replay(bag)
    realtime_delivered = measure_cli_replay(bag, "/imu/data", replay["published"])
    figures.update({
        "replay_bag": label,
        "replay_realtime_imu_delivered": realtime_delivered,
        "raw_read_imu_msgs_per_s": replay["raw_rate"],
        "replay_imu_msgs_per_s": replay["replay_rate"],
        "replay_imu_ratio_to_raw_read": replay["replay_rate"] / replay["raw_rate"],
        "replay_imu_delivered_msgs_per_s": replay["delivered_rate"],
        "replay_imu_delivered_ratio_to_raw_read": replay["delivered_rate"] / replay["raw_rate"],
        "replay_imu_no_subscriber_msgs_per_s": replay["alone_rate"],
        "replay_imu_no_subscriber_ratio_to_raw_read": replay["alone_rate"] / replay["raw_rate"],
        "replay_imu_published": replay["published"],
        "replay_burst_imu_delivered": replay["delivered"],
        "target_camera_640x480_composed_p99_ms": 15.0,
        "target_replay_imu_ratio_to_raw_read": 0.5,
    })
    for key in ("replay_imu_ratio_to_raw_read", "replay_imu_delivered_ratio_to_raw_read",
                "replay_imu_no_subscriber_ratio_to_raw_read"):
        print(f"{key}: {figures[key]:.2f}", flush=True)
    figures.update(tooling_figures())
    write_result("transport", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
