"""Isolated rigs: node death, respawn and down time on /diagnostics with the node's name."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from glasses_bringup.rig import load_rig
from glasses_bringup.supervision import ERROR, OK, WARN, Child, Supervisor

REPO = Path(__file__).resolve().parents[1]


def by_name(sup, now):
    return {name: (level, message, values) for level, name, message, values in sup.statuses(now)}


def test_death_respawn_and_down_time_are_reported_per_node():
    sup = Supervisor([Child("/glasses/agent", True, 1.0), Child("/glasses/camera", False, 1.0, "owns the device")],
                     warn_hold_s=5.0)
    sup.started("/glasses/agent", 100, 0.0)
    sup.started("/glasses/camera", 101, 0.0)
    assert {lvl for lvl, _, _ in by_name(sup, 1.0).values()} == {OK}
    assert "respawning in 1 s" in sup.exited("/glasses/agent", -9, 2.0)
    level, message, values = by_name(sup, 2.5)["/glasses/agent process"]
    assert level == ERROR and "killed by SIGKILL" in message and "respawning" in message and values["deaths"] == "1"
    sup.started("/glasses/agent", 102, 3.2)
    level, message, values = by_name(sup, 4.0)["/glasses/agent process"]
    assert level == WARN and "respawned after 1.2 s down" in message
    assert (values["respawns"], values["last_down_s"], values["pid"]) == ("1", "1.20", "102")
    assert by_name(sup, 9.0)["/glasses/agent process"][0] == OK  # the warning holds for warn_hold_s
    assert "not respawned: owns the device" in sup.exited("/glasses/camera", 1, 10.0)
    level, message, _ = by_name(sup, 11.0)["/glasses/camera process"]
    assert level == ERROR and "exited with code 1" in message and "not respawned: owns the device" in message


def test_every_node_of_the_shipped_rigs_respawns_or_says_why_not():
    for rig_file in sorted((REPO / "config" / "rigs").glob("*.yaml")):
        rig = load_rig(str(rig_file))
        silent = [n.name for n in rig.nodes if not n.respawn and not n.no_respawn_reason]
        assert silent == [], f"{rig_file.name}: {silent}"
        assert any(n.name == "agent" and n.respawn for n in rig.nodes), rig_file.name


@pytest.mark.slow
def test_isolated_rig_reports_a_dying_node_on_diagnostics(tmp_path):
    from glasses_bringup.bag import read_messages

    rig = tmp_path / "crashy.yaml"
    rig.write_text(
        "name: crashy\nnamespace: /glasses\nnodes:\n"
        "  - name: microphone\n    executable: microphone\n"
        "    parameters: {source: sim, scenario: /nonexistent/scenario.yaml}\n"
        "    respawn: true\n    respawn_delay_s: 0.5\n"
        "  - name: mic_once\n    executable: microphone\n"
        "    parameters: {source: sim, scenario: /nonexistent/scenario.yaml}\n"
        "    no_respawn_reason: a test of a node left down\n"
    )
    bag = tmp_path / "bag"
    env = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-m", "glasses_bringup.cli", "up", "--rig", str(rig), "--isolated",
                             "--duration", "8", "--startup", "0.5", "--record", str(bag)],
                            env=env, capture_output=True, text=True, timeout=90)
    assert result.returncode == 1  # a node without respawn died with an error
    seen = {}
    for _, _, _, msg in read_messages(bag, topics=["/diagnostics"]):
        for status in msg.status:
            seen.setdefault(status.name, set()).add((status.level, status.message.split(";")[0]))
    mic = seen.get("/glasses/microphone process", set())
    assert (ERROR, "exited with code 1") in mic, seen.keys()
    assert any(level == WARN and message.startswith("respawned after") for level, message in mic), mic
    once = seen.get("/glasses/mic_once process", set())
    assert (ERROR, "exited with code 1") in once
    assert "not respawned: a test of a node left down" in result.stderr
