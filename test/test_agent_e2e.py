"""End to end through the rigs: the pay scenario (speech clip + camera scene + nod) in the sim rig ->
one confirmed payment in the ledger; the recorded bag replayed through the replay rig -> the same."""

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from glasses_agent.backends.sqlite import SqliteSandbox
from glasses_bringup.foundation import events as ev

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "config" / "scenarios" / "pay.yaml"
pytestmark = pytest.mark.slow


def glasses(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(REPO), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    cmd = [sys.executable, "-m", "glasses_bringup.cli", *args]
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc


def pay_actions(bag):
    from glasses_bringup.bag import read_messages

    out = []
    for _topic, _, _, msg in read_messages(bag, topics=["/glasses/agent/action"]):
        event = ev.decode(msg.data, ev.Action)
        if event.action in ("pay", "confirm"):
            out.append((event.action, event.status))
    return out


def ledger(db):
    s = SqliteSandbox(db)
    try:
        return [(p.kind, p.status, p.amount, p.payee, p.ref) for p in s.ledger()]
    finally:
        s.close()


def test_pay_scenario_through_sim_rig_then_replay(tmp_path):
    expected = [("pay", "done", Decimal("12.50"), "cafe-lumi", "T1001")]
    bag = tmp_path / "bag"
    glasses("up", "--rig", "sim", "--scenario", str(SCENARIO), "--record", str(bag),
            "--set", f"agent.db_path={tmp_path / 'sim.sqlite'}")  # fmt: skip
    assert ledger(tmp_path / "sim.sqlite") == expected
    recorded = pay_actions(bag)
    assert ("pay", "awaiting_confirmation") in recorded and recorded.count(("pay", "done")) == 1

    replay_bag = tmp_path / "replay_bag"
    glasses("up", "--rig", "replay", "--bag", str(bag), "--record", str(replay_bag),
            "--set", f"agent.db_path={tmp_path / 'replay.sqlite'}")  # fmt: skip
    assert ledger(tmp_path / "replay.sqlite") == expected
    replayed = pay_actions(replay_bag)
    assert [a for a in replayed if a[0] == "pay"] == [a for a in recorded if a[0] == "pay"]
