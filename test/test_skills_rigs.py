"""Daily skills through the whole rigs: an incoming call answered by a nod in the sim rig,
and the same from its bag through the replay rig (slow)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from glasses_bringup.foundation import events as ev

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def glasses(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    proc = subprocess.run([sys.executable, "-m", "glasses_bringup.cli", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def call_story(bag):
    from glasses_bringup.bag import read_messages

    actions = [ev.decode(m.data, ev.Action) for _, _, _, m in read_messages(bag, topics=["/glasses/agent/action"])]
    states = [ev.decode(m.data, ev.CallState) for _, _, _, m in read_messages(bag, topics=["/glasses/phone/call"])]
    calls = [(a.action, a.status, a.details.get("via", "")) for a in actions if a.action in ("answer_call", "hang_up")]
    return calls, [s.state for s in states]


def test_incoming_call_answered_by_a_nod_through_sim_then_replay(tmp_path):
    bag = tmp_path / "bag"
    ring = ["--set", "agent.sandbox_incoming_call_s=3.0"]
    glasses("up", "--rig", "sim", "--scenario", str(REPO / "config" / "scenarios" / "call.yaml"), "--record", str(bag),
            "--set", f"agent.db_path={tmp_path / 'sim.sqlite'}", *ring)  # fmt: skip
    calls, states = call_story(bag)
    assert calls == [("answer_call", "ringing", ""), ("answer_call", "active", "nod")]
    assert states == ["ringing", "active"]
    replayed = tmp_path / "replayed"
    glasses("up", "--rig", "replay", "--bag", str(bag), "--record", str(replayed),
            "--set", f"agent.db_path={tmp_path / 'replay.sqlite'}", *ring)  # fmt: skip
    assert call_story(replayed) == (calls, states)  # the nod recomputed from the replayed IMU answers again
