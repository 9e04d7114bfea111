"""Replaying other devices' bags: remapping, bag profiles, REP-103/145 checks, the Aria fixture."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bag_fixtures import ARIA_PAY, write_aria_bag
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Imu

from glasses_bringup.bag import read_messages, summarize
from glasses_bringup.bag_profiles import (
    ProfileError,
    available_profiles,
    conformance_warnings,
    image_transport_for,
    load_profile,
    parse_remaps,
    remap_table,
)
from glasses_bringup.foundation.testing import wait_for

REPO = Path(__file__).resolve().parents[1]


def glasses(*args, timeout=180):
    env = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "glasses_bringup.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def aria_bag(tmp_path_factory):
    return write_aria_bag(tmp_path_factory.mktemp("aria") / "bag")


def test_remaps_and_profiles_parse_and_bad_ones_say_why(tmp_path):
    assert parse_remaps(["/a:=b", "c:=/d"]) == {"/a": "b", "/c": "/d"}
    for bad in ("/a", ":=b", "/a:="):
        with pytest.raises(ProfileError, match="FROM:=TO"):
            parse_remaps([bad])
    assert "aria" in available_profiles()
    aria = load_profile("aria")
    assert aria.remap["/aria/imu_right"] == "imu/data_raw"
    assert remap_table("aria", ["/aria/imu_right:=imu/other"])["/aria/imu_right"] == "imu/other"
    with pytest.raises(ProfileError, match="no bag profile"):
        load_profile("nosuchdevice")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nremap: [1, 2]\n")
    with pytest.raises(ProfileError, match="remap"):
        load_profile(str(broken))
    assert image_transport_for(["/glasses/camera/image_raw/compressed", "/glasses/imu/data_raw"]) == "compressed"
    assert image_transport_for(["/glasses/camera/image_raw", "/glasses/camera/image_raw/compressed"]) == "raw"


def test_frames_and_units_are_checked_against_rep103_and_rep145(tmp_path):
    good = write_aria_bag(tmp_path / "good", duration_s=1.0)
    topics = list(load_profile("aria").remap)
    warnings = conformance_warnings(good, topics)
    assert set(warnings) == {"/aria/camera_rgb/image_raw/compressed"}  # Aria's "camera-rgb" frame
    assert "optical" in warnings["/aria/camera_rgb/image_raw/compressed"]
    wrong = write_aria_bag(tmp_path / "wrong", duration_s=1.0, mag_scale=1e6, pressure_scale=0.01)
    warnings = conformance_warnings(wrong, topics)
    assert "tesla" in warnings["/aria/magnetometer"] and "hPa" in warnings["/aria/barometer"]
    assert "/aria/imu_right" not in warnings


def test_replay_publishes_bag_topics_under_their_remapped_names(ros, aria_bag):
    from glasses_bringup.replayer import Replayer

    got = ros.collect("imu/data_raw", Imu, qos=QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE))
    replayer = ros.add(Replayer(str(aria_bag), rate=0.0, namespace="/glasses",
                                remap={"/aria/imu_right": "imu/data_raw"}, topics=["imu/data_raw"]))
    assert wait_for(lambda: replayer.count_subscribers("/glasses/imu/data_raw") >= 1, 10)
    replayer.start()
    assert wait_for(lambda: replayer.done and len(got) == 800, 30)
    assert got[0].header.frame_id == "imu-right"
    assert "/aria/eye_gaze" in replayer.skipped_topics  # its type is not installed: listed, skipped


@pytest.mark.slow
def test_an_aria_style_bag_drives_orientation_gestures_and_vision_through_the_replay_rig(aria_bag, tmp_path):
    out = tmp_path / "out"
    result = glasses("up", "--rig", "replay", "--bag", str(aria_bag), "--profile", "aria", "--record", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "camera-rgb" in result.stderr and "REP-103" in result.stderr  # one warning for the camera topic
    assert "not replayed /aria/eye_gaze" in result.stderr and "projectaria_msgs/msg/EyeGaze" in result.stderr
    info = summarize(out)
    topics = info["topics"]
    # the orientation filter ran on /aria/imu_right: the nod shows as a pitch excursion of the head
    # (imu/data is best effort: a loaded machine may record fewer than the 800 samples)
    pitch = [math.degrees(math.asin(max(-1.0, min(1.0, 2 * (m.orientation.w * m.orientation.y
                                                         - m.orientation.z * m.orientation.x)))))
             for _, _, _, m in read_messages(out, ["/glasses/imu/data"])]
    assert len(pitch) >= 200 and max(pitch) - min(pitch) > 8.0 and abs(pitch[0]) < 3.0
    assert topics["/glasses/imu/mag"]["count"] == 80 and topics["/glasses/imu/pressure"]["count"] == 80
    gestures = [e for t, es in info["events"].items() if t.endswith("input/head_gesture") for e in es]
    assert [g["gesture"] for g in gestures] == ["nod"]
    codes = [e for t, es in info["events"].items() if t.endswith("perception/codes") for e in es]
    assert [c["text"] for c in codes] == [ARIA_PAY], json.dumps(codes)[:500]
