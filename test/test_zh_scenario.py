"""The Chinese scenario end to end: Mandarin commands through the sim rig (real ASR,
parser, skills, sandbox ledger), then its bag through the replay rig: the same agent
actions, all replies in Chinese."""

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from glasses_agent.backends.sqlite import SqliteSandbox
from glasses_bringup.foundation import events as ev

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "config" / "scenarios" / "zh.yaml"
pytestmark = pytest.mark.slow


def glasses(*args, timeout=400):
    env = dict(os.environ, PYTHONPATH=str(REPO), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    cmd = [sys.executable, "-m", "glasses_bringup.cli", *args]
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def agent_events(bag):
    from glasses_bringup.bag import read_messages

    found = {"action": [], "response": [], "card": [], "transcript": []}
    topics = ["/glasses/agent/action", "/glasses/agent/response", "/glasses/display/card", "/glasses/perception/transcript"]
    for topic, _, _, msg in read_messages(bag, topics=topics):
        found[topic.rsplit("/", 1)[-1]].append(ev.decode(msg.data))
    return found


def ledger(db):
    s = SqliteSandbox(db)
    try:
        return [(p.kind, p.status, p.amount, p.payee) for p in s.ledger()]
    finally:
        s.close()


def test_chinese_scenario_through_sim_rig_then_replay(tmp_path):
    bag = tmp_path / "bag"
    glasses("up", "--rig", "sim", "--scenario", str(SCENARIO), "--record", str(bag),
            "--set", f"agent.db_path={tmp_path / 'sim.sqlite'}")  # fmt: skip
    live = agent_events(bag)
    actions = [(a.action, a.status) for a in live["action"]]
    for done in ("pay", "compare_price", "hail_taxi"):
        assert (done, "done") in actions, actions
    assert actions.index(("pay", "awaiting_confirmation")) < actions.index(("pay", "done"))
    assert actions.count(("pay", "done")) == 1 and actions.count(("hail_taxi", "done")) == 1
    finals = [t for t in live["transcript"] if t.final]
    assert finals and all(t.lang == "zh" for t in finals)
    # after the first Chinese command every reply is Chinese, on the HUD and in speech
    first_zh = next(i for i, r in enumerate(live["response"]) if r.lang == "zh")
    assert all(r.lang == "zh" for r in live["response"][first_zh:])
    # the payee that is charged is named (the code's Chinese name is shown as unverified)
    assert any("xingguang-cafe" in r.text or "星光咖啡" in r.text for r in live["response"])
    assert {c.lang for c in live["card"] if c.kind == "confirm"} == {"zh"}
    paid = ledger(tmp_path / "sim.sqlite")
    assert [(k, s, a, p) for k, s, a, p in paid if k == "pay"] == [("pay", "done", Decimal("12.50"), "xingguang-cafe")]

    replayed = tmp_path / "replayed"
    glasses("up", "--rig", "replay", "--bag", str(bag), "--record", str(replayed),
            "--set", f"agent.db_path={tmp_path / 'replay.sqlite'}")  # fmt: skip
    again = agent_events(replayed)
    assert [(a.action, a.status) for a in again["action"]] == actions
    assert ledger(tmp_path / "replay.sqlite") == paid
