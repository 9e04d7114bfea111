"""The jetson rig on a machine without any of its devices: it starts, reports each missing device, idles."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rosbags.highlevel import AnyReader
from rosbags.typesys import Stores, get_typestore

REPO = Path(__file__).resolve().parents[1]
DEVICES = {  # node -> what its error message names
    "camera": "/dev/video0",
    "microphone": "audio input",
    "speaker": "output device",
    "coprocessor_link": "/dev/ttyTHS1",
    "gnss": "/dev/ttyTHS2",
    "ring_controller": "ring not connected",
}


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_jetson_rig_without_devices_reports_each_and_does_not_spin(tmp_path):
    for dev in ("/dev/video0", "/dev/ttyTHS1", "/dev/ttyTHS2"):
        if os.path.exists(dev):
            pytest.skip(f"{dev} exists here: this test needs a machine without the glasses' devices")
    bag = tmp_path / "bag"
    env = dict(os.environ, PYTHONUNBUFFERED="1", ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    proc = subprocess.Popen(
        [sys.executable, "-m", "glasses_bringup.cli", "up", "--rig", "jetson", "--duration", "9", "--record", str(bag)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = []
    try:
        for line in proc.stdout:  # nodes are built (models loaded) before the link node's first report
            log.append(line)
            if "MCU link down" in line:
                break
        time.sleep(1.0)
        cpu0, wall0 = process_cpu_s(proc.pid), time.monotonic()
        time.sleep(6.0)
        cpu = (process_cpu_s(proc.pid) - cpu0) / (time.monotonic() - wall0)
        log += proc.stdout.readlines()
        assert proc.wait(timeout=60) == 0, "".join(log)[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert cpu < 0.35, f"the idle rig used {cpu:.2f} of a core"  # a busy loop would take a whole core
    last = {}
    with AnyReader([bag], default_typestore=get_typestore(Stores.ROS2_KILTED)) as reader:
        conns = [c for c in reader.connections if c.topic == "/diagnostics"]
        for conn, _, raw in reader.messages(connections=conns):
            for st in reader.deserialize(raw, conn.msgtype).status:
                last[st.name.rsplit("/", 1)[-1]] = (st.level, st.message)
    for node, needle in DEVICES.items():
        level, message = last[node]
        assert level == 2 and needle in message, (node, level, message)
    assert last["battery_manager"][0] == 1 and "power/gauge" in last["battery_manager"][1]
    assert all(level < 2 for name, (level, _) in last.items() if name not in DEVICES)
