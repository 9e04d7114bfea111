"""`glasses replay-check`: a recorded run replayed through the replay rig decides the same again."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from glasses_bringup.replay_check import Decision, canonical, compare

REPO = Path(__file__).resolve().parents[1]
# Scenarios checked by a test of their own that replays the run and compares the same
# decisions (a long run would be recorded twice otherwise); e2e_* are the latency bench's
# load scenarios (bench/e2e.py), not stories with decisions to compare.
CHECKED_ELSEWHERE = {"meeting": "test_skills_meeting_rig.py (sim rig, then its bag through the replay rig)",
                     **dict.fromkeys(("music", "alarm", "leave_now"), "test_skills_rigs.py (with the music library, "
                                     "the restart and the booked trips they need)")}  # fmt: skip
SCENARIOS = [s for s in sorted((REPO / "config" / "scenarios").glob("*.yaml"))
             if s.stem not in CHECKED_ELSEWHERE and not s.stem.startswith("e2e_")]
# Recording every scenario once (module fixture) runs inside the first test's time limit.
pytestmark = pytest.mark.timeout(1500)
TOLERANCE = "2.0"  # s; speech recognition latency moves with the machine's load
# Agent parameters a scenario needs, given to the run and to its replay alike (the
# sandbox phone's incoming call is the agent's, not the bag's).
SCENARIO_SETS = {"call": ["--set", "agent.sandbox_incoming_call_s=3.0"]}


def glasses(*args, timeout=300):
    env = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "glasses_bringup.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def d(topic, t, **payload):
    return Decision(topic, t, canonical(payload))


def test_compare_finds_order_payload_and_timing_differences():
    run = [d("agent/intent", 1.0, intent="pay"), d("agent/action", 1.1, action="pay", status="pending"),
           d("display/card", 1.2, title="Pay 12.50 CNY?", card_id="c1", stamp=5.0)]
    again = [d("agent/intent", 1.3, intent="pay"), d("agent/action", 1.2, action="pay", status="pending"),
             d("display/card", 1.4, title="Pay 12.50 CNY?", card_id="c9", stamp=7.0)]  # ids and stamps differ
    assert compare(run, again, 0.5).same
    late = compare(run, [again[0], d("agent/action", 2.0, action="pay", status="pending"), again[2]], 0.5)
    assert not late.same and not late.diff and "agent/action" in late.late[0]
    other = compare(run, [again[0], d("agent/action", 1.1, action="pay", status="paid"), again[2]], 0.5)
    assert not other.same and any('"status": "paid"' in line for line in other.diff)
    swapped = [d("agent/action", 1.0, action="b", status="x"), d("agent/action", 1.1, action="a", status="x")]
    assert not compare(list(reversed(swapped)), swapped, 0.5).same  # same events, other order
    assert not compare(run, run[:2], 0.5).same  # a card went missing
    assert canonical({"details": {"key": "k", "payment_id": 7, "amount": "3"}, "stamp": 1}) == \
        '{"details": {"amount": "3"}}'  # fmt: skip
    photo = {"body": "640×480 · IMG_20261201_193418_m1-1.jpg", "image": "/tmp/r1/thumbs/IMG_20261201_193418_m1-1.jpg",
             "details": {"path": "/tmp/r1/IMG_20261201_193418_m1-1.jpg", "bytes": 74102, "frames": 1}}
    again = {**photo, "body": "640×480 · IMG_20261201_193600_m1-1.jpg", "image": "/tmp/r2/t.jpg",
             "details": {"path": "/tmp/r2/IMG_20261201_193600_m1-1.jpg", "bytes": 50742, "frames": 1}}
    assert canonical(photo) == canonical(again)  # run folder, wall-clock name and JPEG size are the run's own
    assert canonical(photo) != canonical({**again, "details": {"frames": 2}})


@pytest.fixture(scope="module")
def recorded_runs(tmp_path_factory):
    runs = {}
    for scenario in SCENARIOS:
        bag = tmp_path_factory.mktemp(scenario.stem) / "bag"
        result = glasses("up", "--rig", "sim", "--scenario", str(scenario), "--record", str(bag),
                         *SCENARIO_SETS.get(scenario.stem, []))
        assert result.returncode == 0, result.stderr[-2000:]
        runs[scenario.stem] = bag
    return runs


@pytest.mark.slow
@pytest.mark.parametrize("scenario", [s.stem for s in SCENARIOS])
def test_every_scenario_replays_to_the_same_decisions(recorded_runs, scenario):
    result = glasses("replay-check", str(recorded_runs[scenario]), "--tolerance", TOLERANCE,
                     *SCENARIO_SETS.get(scenario, []))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "same decisions" in result.stdout
    recorded = int(result.stdout.split("same decisions (")[1].split()[0])
    assert recorded >= 3  # the scenario made the agent act: the check compared something


@pytest.mark.slow
def test_a_different_run_is_reported_with_a_diff_and_exit_1(recorded_runs):
    first, second = sorted(recorded_runs)[:2]
    result = glasses("replay-check", str(recorded_runs[first]), "--replayed", str(recorded_runs[second]))
    assert result.returncode == 1 and "DIFFERENT" in result.stdout
    assert "--- recorded" in result.stdout and "+++ replayed" in result.stdout


def test_a_missing_bag_is_a_clear_error(tmp_path):
    result = glasses("replay-check", str(tmp_path / "nothing"), timeout=60)
    assert result.returncode == 2 and "no bag" in result.stderr
