"""The vision nodes composed with the simulated camera by the rig runner, recorded to a bag."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from glasses_bringup.foundation import events as ev

FIXTURES = Path(__file__).parent / "fixtures" / "vision"


@pytest.mark.slow
def test_scenario_through_the_rig(tmp_path):
    out = tmp_path / "bag"
    cmd = [sys.executable, "-m", "glasses_bringup.cli", "up", "--rig", str(FIXTURES / "vision_rig.yaml"),
           "--scenario", str(FIXTURES / "scenario_vision.yaml"), "--record", str(out)]
    env = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]

    from glasses_bringup.bag import read_messages

    frames, found = [], {"codes": [], "text": [], "product": []}
    for topic, _, _, msg in read_messages(out):
        if topic.endswith("camera/image_raw/compressed"):  # recorded as the JPEG stream
            frames.append(msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9)
        for name in found:
            if topic.endswith(f"perception/{name}"):
                found[name].append(ev.decode(msg.data))
    assert len(frames) > 100
    codes = {(c.kind, c.text) for c in found["codes"]}
    assert ("payment", "glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=T1001") in codes
    assert ("product", "6901234567892") in codes
    assert len(found["codes"]) == len(codes)  # each code once while it stays in view
    assert any((p.amount, p.currency) == (6.5, "CNY") for t in found["text"] for p in t.prices)
    assert [p.product_id for p in found["product"] if p.accepted] == ["p-chocolate"]
    # every event is stamped with a recorded camera frame
    for event in found["codes"] + found["text"] + found["product"]:
        assert min(abs(event.stamp - f) for f in frames) < 1e-6
