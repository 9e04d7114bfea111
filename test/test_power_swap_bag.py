"""Hot swap mid-stream: the sim rig runs and records; the bag shows no gap in the sensor streams.

Runs `glasses up --rig <sim subset> --record` in a subprocess with a scenario
that pulls the left pack and inserts a fresh one, then reads the bag back. The
rig is the sim rig cut down to the sensors and the power nodes, so model loading
of perception nodes does not delay the streams.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import yaml

from glasses_bringup.bag import read_messages
from glasses_bringup.foundation.audio_format import GapDetector, samples_from
from glasses_bringup.foundation.events import PowerState, decode
from glasses_bringup.foundation.paths import share_path
from glasses_bringup.rig import read_rig_document

PULL_AT, INSERT_AT, DURATION = 3.0, 6.0, 9.0
KEEP = {"scenario_clock", "camera", "microphone", "imu", "battery_manager", "power_policy"}
MAX_FRAME_GAP_S = 1.0  # a stalled stream, not scheduling jitter on a loaded machine


def stamp_s(msg) -> float:
    return msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9


@pytest.mark.slow
def test_swap_mid_stream_leaves_no_gap_in_sensor_topics(tmp_path, repo_root):
    scenario = tmp_path / "swap.yaml"
    scenario.write_text(
        textwrap.dedent(
            f"""
            name: swap_mid_stream
            duration_s: {DURATION}
            seed: 11
            batteries:
              left: {{soc: 0.7}}
              right: {{soc: 0.6}}
            timeline:
              - {{at: 0.5, motion: walk}}
              - {{at: {PULL_AT}, battery_pull: left}}
              - {{at: {INSERT_AT}, battery_insert: {{slot: left, soc: 0.95}}}}
            """
        )
    )
    rig = read_rig_document(share_path("config", "rigs", "sim.yaml"))  # with its base merged in
    rig["name"] = "sim_power"
    rig["nodes"] = [n for n in rig["nodes"] if n["executable"] in KEEP]
    rig_nodes = {n["executable"] for n in rig["nodes"]}
    assert {"camera", "microphone", "battery_manager", "power_policy"} <= rig_nodes
    rig_file = tmp_path / "sim_power.yaml"
    rig_file.write_text(yaml.safe_dump(rig))
    bag = tmp_path / "bag"
    env = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    cmd = [sys.executable, "-m", "glasses_bringup.cli", "up", "--rig", str(rig_file), "--scenario", str(scenario)]
    cmd += ["--record", str(bag), "--startup", "4"]
    proc = subprocess.run(cmd, cwd=repo_root, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]

    streams = {"/glasses/camera/image_raw/compressed": [], "/glasses/audio/raw": []}
    if "imu" in rig_nodes:
        streams["/glasses/imu/data_raw"] = []
    left, states = [], []
    for topic, _, _, msg in read_messages(bag):
        if topic in streams:
            streams[topic].append(msg)
        elif topic == "/glasses/power/battery/left":
            left.append(msg)
        elif topic == "/glasses/power/state":
            states.append(decode(msg.data, PowerState))

    # the swap happened and was seen: the slot went absent and came back with a new pack
    presence = [m.present for m in left]
    assert False in presence and presence[-1] is True
    first_absent = presence.index(False)
    assert True in presence[first_absent:]
    swap_states = [s.swap_state for s in states]
    assert "right_only" in swap_states and swap_states[-1] == "both"
    pull_stamp = stamp_s(left[first_absent])
    back_stamp = stamp_s(left[first_absent + presence[first_absent:].index(True)])

    for topic, msgs in streams.items():
        stamps = np.array([stamp_s(m) for m in msgs])
        assert len(stamps) > 10, f"{topic}: too few messages"
        # the stream covers the whole swap and never stalls around it
        assert stamps[0] < pull_stamp - 0.5 and stamps[-1] > back_stamp + 0.5, topic
        window = stamps[(stamps > pull_stamp - 1.0) & (stamps < back_stamp + 1.0)]
        assert np.max(np.diff(window)) < MAX_FRAME_GAP_S, f"{topic}: gap {np.max(np.diff(window)):.2f} s at the swap"

    # audio stamps come from the sample counter: any lost chunk is an exact gap
    gaps = GapDetector()
    for m in streams["/glasses/audio/raw"]:
        caps, samples = samples_from(m.encoding, m.width, m.step, bytes(m.data))
        gaps.check(stamp_s(m), samples.shape[0], caps.rate)
    assert gaps.gaps == 0 and gaps.overlaps == 0
