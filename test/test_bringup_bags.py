"""Record a scenario, read the bag with rosbags and mcap, replay it, and survive damaged bags."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore
from sensor_msgs.msg import Imu

from glasses_bringup.bag import raw_messages, read_messages, summarize
from glasses_bringup.foundation.audio_format import GapDetector
from glasses_bringup.foundation.testing import wait_for

REPO = Path(__file__).resolve().parents[1]
SHORT = REPO / "test" / "fixtures" / "bringup" / "short.yaml"
SMALL_CAMERA = ["--set", "camera.width=320", "--set", "camera.height=240", "--set", "camera.fps=10.0"]
# What the stack decided from the sensors: the replay rig must decide the same from a bag.
# (Follow-up listening windows and VAD segment edges depend on run timing, so they are
# compared through the decisions they lead to, not event by event.)
DOWNSTREAM_EVENTS = ("input/head_gesture", "perception/wake", "perception/transcript",
                     "perception/codes", "perception/product", "agent/intent", "agent/action")


def glasses(*args, timeout=180, check=True):
    env = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-m", "glasses_bringup.cli", *args], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if check:
        assert result.returncode == 0, f"glasses {' '.join(args)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def sim_bag(tmp_path_factory):
    bag = tmp_path_factory.mktemp("sim") / "bag"
    glasses("up", "--rig", "sim", "--scenario", str(SHORT), "--record", str(bag), *SMALL_CAMERA)
    return bag


def event_content(info: dict, topic_suffix: str) -> list:
    """The stable content of a topic's events (what, not when or who)."""
    volatile = {"stamp", "source", "latency_ms", "card_id", "turn_id", "utterance_id", "score", "confidence",
                "probability", "speech_start", "speech_end", "audio_start", "audio_end", "corners", "details"}
    out = []
    for topic, events in info["events"].items():
        if topic.endswith("/" + topic_suffix):
            for e in events:
                if e.get("schema") == "transcript" and not e.get("final"):
                    continue  # partials depend on decode timing; finals must match
                if e.get("schema") == "wake" and e.get("reason") == "follow_up":
                    continue  # opened by the speaker's timing, not by the sensors
                out.append({k: v for k, v in e.items() if k not in volatile})
    return out


@pytest.mark.slow
def test_recorded_bag_holds_every_sensor_and_opens_in_both_readers(sim_bag):
    info = summarize(sim_bag)
    assert info["error"] is None
    topics = info["topics"]
    for rel in ("camera/image_raw/compressed", "camera/camera_info", "camera/privacy_led", "audio/raw", "display/image",
                "input/touch", "sim/scenario"):
        assert f"/glasses/{rel}" in topics, rel
    assert "/diagnostics" in topics
    assert topics["/glasses/camera/image_raw/compressed"]["count"] >= 40
    assert "/glasses/camera/image_raw" not in topics  # raw frames only on request (--record-raw)

    # rosbags: deserialize the audio and check the sample-counter stamps have no gap
    gaps = GapDetector()
    n = 0
    for _, _, _, msg in read_messages(sim_bag, ["/glasses/audio/raw"]):
        gaps.check(msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9, msg.width, 16000)
        n += 1
    assert n > 250 and gaps.gaps == 0

    # the mcap library with its ROS 2 decoder reads the same file
    from mcap_ros2.reader import read_ros2_messages

    mcap_file = next(sim_bag.glob("*.mcap"))
    decoded = [m for m in read_ros2_messages(str(mcap_file), topics=["/glasses/input/touch"])]
    assert decoded and '"gesture": "tap"' in decoded[0].ros_msg.data


@pytest.mark.slow
def test_replay_rig_reproduces_the_downstream_messages(sim_bag, tmp_path):
    replay_bag = tmp_path / "replayed"
    glasses("up", "--rig", "replay", "--bag", str(sim_bag), "--record", str(replay_bag))
    original, replayed = summarize(sim_bag), summarize(replay_bag)
    # the sensors came back
    for rel in ("camera/image_raw/compressed", "audio/raw"):  # the camera is recorded as its JPEG stream
        assert replayed["topics"][f"/glasses/{rel}"]["count"] == original["topics"][f"/glasses/{rel}"]["count"], rel
    compared = 0
    for rel in DOWNSTREAM_EVENTS:
        before = event_content(original, rel)
        if before:
            assert event_content(replayed, rel) == before, rel
            compared += 1
    assert compared >= 1, "the sim bag holds no downstream events to compare"


def write_imu_bag(path: Path, n: int, rate_hz: float = 100.0) -> None:
    store = get_typestore(Stores.ROS2_KILTED)
    Imu_ = store.types["sensor_msgs/msg/Imu"]
    Header = store.types["std_msgs/msg/Header"]
    Time = store.types["builtin_interfaces/msg/Time"]
    Quat = store.types["geometry_msgs/msg/Quaternion"]
    Vec = store.types["geometry_msgs/msg/Vector3"]
    import numpy as np

    with Writer(path, version=9, storage_plugin=StoragePlugin.MCAP) as writer:
        conn = writer.add_connection("/imu/data", "sensor_msgs/msg/Imu", typestore=store)
        for i in range(n):
            t = 1_700_000_000_000_000_000 + int(i * 1e9 / rate_hz)
            msg = Imu_(header=Header(stamp=Time(sec=t // 10**9, nanosec=t % 10**9), frame_id="imu_link"),
                       orientation=Quat(x=0.0, y=0.0, z=0.0, w=1.0), orientation_covariance=np.zeros(9),
                       angular_velocity=Vec(x=0.0, y=0.0, z=float(i)), angular_velocity_covariance=np.zeros(9),
                       linear_acceleration=Vec(x=0.0, y=0.0, z=9.81), linear_acceleration_covariance=np.zeros(9))
            writer.write(conn, t, store.serialize_cdr(msg, "sensor_msgs/msg/Imu"))


def test_replay_delivers_every_message_of_an_imu_bag(ros, tmp_path):
    from glasses_bringup.replayer import Replayer

    bag = tmp_path / "imu"
    write_imu_bag(bag, 200)
    from rclpy.qos import QoSProfile, ReliabilityPolicy

    got = ros.collect("/imu/data", Imu, QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE))
    replayer = ros.add(Replayer(str(bag), rate=1.0, start_at=time.time() + 1.0))
    wait_for(lambda: ros.probe.count_publishers("/imu/data") >= 0, 1)
    replayer.start()
    assert wait_for(lambda: replayer.done, 10)
    assert wait_for(lambda: len(got) == 200, 5), len(got)
    assert [m.angular_velocity.z for m in got] == [float(i) for i in range(200)]
    assert replayer.error is None and replayer.published == 200


SLOW_SINK = """
import sys, time, rclpy
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Imu
rclpy.init()
node = Node("slow_sink")
seen = []
def take(msg):
    seen.append(int(msg.angular_velocity.z))
    time.sleep(0.0003)  # a consumer slower than the replayer
node.create_subscription(Imu, "/imu/data", take,
                         QoSProfile(depth=1, history=HistoryPolicy.KEEP_ALL, reliability=ReliabilityPolicy.RELIABLE))
while node.count_publishers("/imu/data") == 0:
    rclpy.spin_once(node, timeout_sec=0.02)
print("ready", flush=True)
expected, deadline = int(sys.argv[1]), time.time() + 60
while len(seen) < expected and time.time() < deadline:
    rclpy.spin_once(node, timeout_sec=0.05)
print(len(seen), int(seen == list(range(expected))), flush=True)
"""


def test_replay_as_fast_as_possible_loses_nothing_to_a_slow_subscriber(ros, tmp_path):
    """--rate 0 into a subscriber that cannot keep up: back-pressure, not overwritten messages."""
    from glasses_bringup.replayer import Replayer

    bag = tmp_path / "imu"
    write_imu_bag(bag, 4000)
    sink = subprocess.Popen([sys.executable, "-c", SLOW_SINK, "4000"], stdout=subprocess.PIPE, text=True)
    try:
        replayer = ros.add(Replayer(str(bag), rate=0.0))
        assert sink.stdout.readline().strip() == "ready"
        assert wait_for(lambda: replayer.count_subscribers("/imu/data") >= 1, 10)
        time.sleep(0.3)  # the sink's reader matches the writer, not only the graph entry
        replayer.start()
        assert wait_for(lambda: replayer.done, 60)
        count, in_order = sink.communicate(timeout=90)[0].split()
    finally:
        sink.kill()
    assert replayer.error is None and replayer.dropped == 0 and replayer.published == 4000
    assert (int(count), int(in_order)) == (4000, 1)


def test_truncated_bag_replays_what_is_readable_and_says_so(tmp_path):
    bag = tmp_path / "imu"
    write_imu_bag(bag, 10000)  # > 3 MiB: several 1 MiB chunks, the last ones cut off
    mcap_file = next(bag.glob("*.mcap"))
    data = mcap_file.read_bytes()
    mcap_file.write_bytes(data[: int(len(data) * 0.6)])
    stream = raw_messages(bag)
    messages = list(stream)
    assert 1000 < len(messages) < 10000
    assert stream.error and ("truncated" in stream.error or "damaged" in stream.error or "unreadable" in stream.error)

    result = glasses("replay", str(bag), "--rate", "0", check=False, timeout=60)
    assert result.returncode == 1
    assert "replayed" in result.stdout and "truncated" in (result.stderr + result.stdout)


def test_garbage_and_missing_bags_give_clear_errors(tmp_path):
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "junk.mcap").write_bytes(b"\x89MCAP0\r\n" + os.urandom(2000))
    stream = raw_messages(junk)
    assert list(stream) == [] and stream.error
    missing = glasses("replay", str(tmp_path / "nothing"), check=False, timeout=60)
    assert missing.returncode != 0 and "no bag" in (missing.stderr + missing.stdout)
    info = glasses("bag-info", str(junk), check=False, timeout=60)
    assert info.returncode == 1 and "warning" in info.stdout


@pytest.mark.slow
def test_isolated_mode_respawns_a_crashing_node(tmp_path):
    rig = tmp_path / "crashy.yaml"
    rig.write_text(
        "name: crashy\nnamespace: /glasses\nnodes:\n"
        "  - name: microphone\n    executable: microphone\n"
        "    parameters: {source: sim, scenario: /nonexistent/scenario.yaml}\n"
        "    respawn: true\n    respawn_delay_s: 0.2\n"
    )
    result = glasses("up", "--rig", str(rig), "--isolated", "--duration", "8", "--startup", "0.5", check=False, timeout=60)
    assert result.stderr.count("respawning") >= 2, result.stderr[-2000:]
    assert "cannot read scenario /nonexistent/scenario.yaml" in result.stderr


def test_replay_drops_one_message_with_a_diagnostic_when_a_subscriber_stays_stuck(ros, tmp_path, monkeypatch):
    from rclpy._rclpy_pybind11 import RCLError

    from glasses_bringup import replayer as replayer_module

    class StuckPublisher:
        def publish(self, data):
            raise RCLError("cannot publish data")

    bag = tmp_path / "imu"
    write_imu_bag(bag, 3)
    monkeypatch.setattr(replayer_module, "STUCK_S", 0.05)
    replayer = ros.add(replayer_module.Replayer(str(bag), rate=0.0))
    assert replayer._publish(StuckPublisher(), "/imu/data", b"\x00") is False
    assert replayer.dropped == 1 and replayer.publish_retries > 0
    assert "took nothing" in (replayer.health.last_error or "") and replayer.exit_code() == 1


def test_bag_info_rates_only_for_messages_spread_over_time(tmp_path):
    write_imu_bag(tmp_path / "steady", 300, rate_hz=100.0)
    write_imu_bag(tmp_path / "burst", 2, rate_hz=1e6)  # e.g. a latched state sent twice at start
    assert summarize(tmp_path / "steady")["topics"]["/imu/data"]["rate_hz"] == pytest.approx(100.0, rel=0.01)
    assert summarize(tmp_path / "burst")["topics"]["/imu/data"]["rate_hz"] is None
