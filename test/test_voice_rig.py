"""The voice nodes composed with the simulated microphone by the rig runner, recorded, then replayed."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from transcripts import assert_transcripts

from glasses_bringup.foundation import events as ev
from glasses_perception.voice.wer import normalize

FIXTURES = Path(__file__).parent / "fixtures" / "voice"


def glasses_up(*args: str) -> None:
    cmd = [sys.executable, "-m", "glasses_bringup.cli", "up", *args]
    env = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]


def voice_events(bag: Path) -> dict[str, list]:
    from glasses_bringup.bag import read_messages

    found: dict[str, list] = {"wake": [], "transcript": [], "vad": []}
    for topic, _, _, msg in read_messages(bag):
        for name in found:
            if topic.endswith(f"perception/{name}"):
                found[name].append(ev.decode(msg.data))
    return found


@pytest.mark.slow
def test_wake_touch_and_commands_through_the_rig_and_its_replay(tmp_path):
    recorded = tmp_path / "recorded"
    glasses_up(
        "--rig",
        str(FIXTURES / "voice_rig.yaml"),
        "--scenario",
        str(FIXTURES / "scenario_voice.yaml"),
        "--record",
        str(recorded),
    )
    live = voice_events(recorded)
    assert [(w.reason, w.phrase) for w in live["wake"]] == [("wake_word", "okay nabu"), ("touch", "")]
    finals = [t for t in live["transcript"] if t.final]
    # "compare prices" at 9.5 s comes after the listening window closed: not transcribed
    assert_transcripts([t.text for t in finals], ["what is this", "take me to the airport"])
    assert finals[0].audio_start > live["wake"][0].stamp - 1.0 and finals[1].audio_start > live["wake"][1].stamp
    # the vad node scores audio on demand: every utterance after the wake word and the touch, transcribed or
    # not ("compare prices" is inside its window); the wake phrase itself came before anyone asked
    assert len([v for v in live["vad"] if v.state == "start"]) >= 3

    replayed = tmp_path / "replayed"
    glasses_up("--rig", str(FIXTURES / "voice_replay_rig.yaml"), "--bag", str(recorded), "--record", str(replayed))
    again = voice_events(replayed)
    assert [normalize(t.text) for t in again["transcript"] if t.final] == [normalize(t.text) for t in finals]
    assert [(w.reason, round(w.stamp, 2)) for w in again["wake"]] == [
        (w.reason, round(w.stamp, 2)) for w in live["wake"]
    ]
