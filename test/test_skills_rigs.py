"""Daily skills through the whole rigs, each in the sim rig and then from its bag through the
replay rig (slow): an incoming call answered by a nod; music by voice with its level measured
on speaker/music; an alarm set, the rig stopped and started again, ringing on time; a
leave-now reminder from the route time to the station."""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.audio_format import samples_from

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


def events(bag, topic, kind):
    from glasses_bringup.bag import read_messages

    return [(stamp / 1e9, ev.decode(m.data, kind)) for _, _, stamp, m in read_messages(bag, topics=[f"/glasses/{topic}"])]


# -- music ------------------------------------------------------------------------------------


def jazz_library(folder):
    """One track tagged Jazz: a 440 Hz tone at half scale, long enough for the whole run."""
    import mutagen

    folder.mkdir()
    rate = 22050
    t = np.arange(40 * rate) / rate
    sf.write(str(folder / "blue_tone.flac"), 0.5 * np.sin(2 * np.pi * 440.0 * t), rate)
    f = mutagen.File(str(folder / "blue_tone.flac"), easy=True)
    f["title"], f["artist"], f["genre"] = "Blue Tone", "Miles Tester", "Jazz"
    f.save()
    return folder


def music_story(bag):
    """(music actions, the level before / after the volume change, the tone, the rate) from a bag."""
    from glasses_bringup.bag import read_messages

    acts = [(a.action, a.status, a.details.get("title"), a.details.get("volume"))
            for _, a in events(bag, "agent/action", ev.Action) if a.action in ("play_music", "volume") and a.status == "done"]  # fmt: skip
    states = events(bag, "music/state", ev.MusicState)
    turned = next(t for t, s in states if s.volume == 30)
    chunks = []
    for _, _, stamp, m in read_messages(bag, topics=["/glasses/speaker/music"]):
        caps, samples = samples_from(m.encoding, m.width, m.step, bytes(m.data))
        chunks.append((stamp / 1e9, caps.rate, samples[:, 0].astype(np.float64)))
    rate = chunks[0][1]

    def level(selected):
        # the assistant's own speech ducks the music: the loud chunks are the undocked level
        return float(np.percentile([np.sqrt(np.mean(x**2)) for x in selected], 90))

    before = [x for t, _, x in chunks if t < turned]
    after = [x for t, _, x in chunks if t > turned + 0.3]
    whole = np.concatenate(before)
    tone = float(np.argmax(np.abs(np.fft.rfft(whole * np.hanning(len(whole))))) * rate / len(whole))
    return acts, level(before), level(after), tone, rate


def test_music_by_voice_measured_on_the_speaker_topic_through_sim_then_replay(tmp_path):
    library = ["--set", f"music_player.music_dir={jazz_library(tmp_path / 'music')}"]
    bag = tmp_path / "bag"
    glasses("up", "--rig", "sim", "--scenario", str(REPO / "config" / "scenarios" / "music.yaml"), "--record", str(bag),
            "--set", f"agent.db_path={tmp_path / 'sim.sqlite'}", *library)  # fmt: skip
    acts, before, after, tone, rate = music_story(bag)
    assert acts == [("play_music", "done", "Blue Tone", 60), ("volume", "done", "Blue Tone", 30)]
    assert rate == 22050 and tone == pytest.approx(440, abs=3)
    assert before == pytest.approx(0.6 * 0.5 / np.sqrt(2), rel=0.05)  # volume 60 of a half-scale sine
    assert after / before == pytest.approx(0.5, rel=0.08)  # "set the volume to thirty" halved the output
    replayed = tmp_path / "replayed"
    glasses("up", "--rig", "replay", "--bag", str(bag), "--record", str(replayed),
            "--set", f"agent.db_path={tmp_path / 'replay.sqlite'}", *library)  # fmt: skip
    again, before2, after2, tone2, _ = music_story(replayed)
    assert again == acts and tone2 == pytest.approx(440, abs=3)
    assert after2 / before2 == pytest.approx(0.5, rel=0.08)


# -- an alarm across a restart, then a leave-now reminder ------------------------------------
#
# One pair of runs per rig: alarm.yaml sets the alarm (no trips booked yet: sandbox_trips off),
# the stack stops; the trips are booked (IC 27 leaves 12 min after the second start, AY 57 is
# known delayed), and leave_now.yaml (62 s, longer than the alarm's minute) starts the stack
# again: the alarm rings on time, the trip change is told, then, after the proactive gap, the
# leave-now reminder from the walking route time to the station.

TRAIN_IN_S = 12 * 60  # with a 5-25 min walk: inside the leave-now window from the first fix on


def book_trips(db):
    from glasses_agent.backends.daily import DailyStore

    DailyStore(db, seed_trips=True, now=time.time() + TRAIN_IN_S - 3 * 3600).close()  # the sandbox train: seed + 3 h


def alarm_story(bag):
    return [(a.status, a.details) for _, a in events(bag, "agent/action", ev.Action) if a.action == "set_alarm"]


def leave_story(bag):
    acts = [a for _, a in events(bag, "agent/action", ev.Action)]
    shown = [(a.stamp, a.details["kind"]) for a in acts if a.action == "proactive" and a.status == "shown"]
    [due] = [a.details for a in acts if a.action == "proactive_leave"]
    cards = {c.card_id: c for _, c in events(bag, "display/card", ev.Card)}
    rings = [c for c in cards.values() if c.kind == "warning" and c.title.startswith("⏰")]
    leave = [c for c in cards.values() if c.title == "Time to leave"]
    said = [s.text for _, s in events(bag, "speaker/say", ev.Say) if s.text.startswith("Time to leave")]
    metrics = events(bag, "agent/metrics", ev.AgentMetrics)[-1][1].proactive
    return shown, due, rings, leave, said, metrics


def test_alarm_across_a_restart_then_a_leave_now_reminder_through_sim_then_replay(tmp_path):
    bags = {}
    for rig in ("sim", "replay"):
        db = tmp_path / f"{rig}.sqlite"
        first, second = tmp_path / f"{rig}-set", tmp_path / f"{rig}-restarted"
        source = ["--scenario", str(REPO / "config" / "scenarios" / "alarm.yaml")] if rig == "sim" else ["--bag", str(bags["sim"][0])]
        glasses("up", "--rig", rig, *source, "--record", str(first), "--set", f"agent.db_path={db}",
                "--set", "agent.sandbox_trips=false")  # fmt: skip
        [(status, alarm)] = alarm_story(first)
        assert status == "scheduled" and alarm["slot"] == "+1m"
        book_trips(db)
        source = ["--scenario", str(REPO / "config" / "scenarios" / "leave_now.yaml")] if rig == "sim" else ["--bag", str(bags["sim"][1])]
        glasses("up", "--rig", rig, *source, "--record", str(second), "--set", f"agent.db_path={db}")
        [(status, ringing)] = alarm_story(second)
        assert status == "ringing" and ringing["id"] == alarm["id"] and ringing["due"] == pytest.approx(alarm["due"])
        assert 0.0 <= ringing["late_s"] <= 1.0  # on time, after the restart
        shown, due, rings, leave, said, metrics = leave_story(second)
        assert len(rings) == 1
        assert [k for _, k in shown] == ["trip", "leave_now"] and shown[1][0] - shown[0][0] >= 30.0  # rate-limited
        assert due["trip"] == "trip-train" and due["how"] == "walk" and 5 < due["travel_min"] < 25, due
        assert len(leave) == 1 and leave[0].body.startswith("IC 27 at ") and "by walk to the station" in leave[0].body
        assert len(said) == 1  # spoken too
        assert metrics["leave_now.offered"] == metrics["leave_now.shown"] == 1 and metrics["trip.shown"] == 1
        bags[rig] = (first, second, due["travel_min"])
    assert bags["replay"][2] == pytest.approx(bags["sim"][2], abs=0.5)  # the same route time from the replayed fixes
