"""The meeting scenario through the sim rig, then its recorded bag through the replay rig: a three-minute
meeting -> notes -> summary -> export, live captions of another speaker and of a Chinese colleague (real
Mandarin: Chinese subtitles, then English ones offline), "what is this" with a product in view, and the
teleprompter following the wearer reading aloud (with a skipped sentence).

One scenario for all of it, run twice (live, then its bag), about 11 minutes: each skill's part shares
the start-up and model loading of the others instead of a rig run of its own."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from transcripts import assert_english, assert_transcript_zh

from glasses_agent.notes import NotesStore
from glasses_bringup.drivers.sim.scenario import load as load_scenario
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.ros.domain import claim_free_domain
from glasses_perception.voice.wer import normalize, normalize_zh, wer

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "config" / "scenarios" / "meeting.yaml"
SCRIPT = REPO / "config" / "scenarios" / "talk.txt"
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]  # a 4.5-minute scenario, then its replay (real time:
# faster replay drops audio chunks the voice nodes cannot take, which splits utterances)
SKILLS = ("start_notes", "stop_notes", "summarize_notes", "start_subtitles", "stop_subtitles", "translate",
          "what_is_this", "teleprompter")  # fmt: skip
CHINESE_COLLEAGUE = "甚至出现交易几乎停滞的情况"  # the first AISHELL-1 clip, before "translate into English"

RIG_DOMAIN = claim_free_domain(201, 30)


def glasses(*args, timeout=900):
    # a domain of its own, outside conftest's 1-100: another stack on this machine must not join this run
    env = dict(os.environ, PYTHONPATH=str(REPO), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
               ROS_DOMAIN_ID=str(RIG_DOMAIN))  # fmt: skip
    proc = subprocess.run([sys.executable, "-m", "glasses_bringup.cli", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


def events(bag):
    from glasses_bringup.bag import read_messages

    wanted = {"agent/action": ("action", ev.Action), "display/card": ("card", ev.Card),
              "perception/caption": ("caption", ev.Caption), "sim/scenario": ("scenario", ev.ScenarioEvent)}  # fmt: skip
    out = {"action": [], "card": [], "caption": [], "scenario": []}
    for topic, _, _, msg in read_messages(bag):
        for suffix, (name, schema) in wanted.items():
            if topic.endswith(suffix):
                out[name].append(ev.decode(msg.data, schema))
    return out


def skill_actions(found):
    return [(a.action, a.status) for a in found["action"] if a.action in SKILLS]


def check_captions(found, t0):
    """Subtitles of other people only: English, the Chinese colleague in Chinese, then translated into English.
    ``t0``: the ROS time of scenario t = 0 (the replay keeps the recorded audio stamps)."""
    subtitles = [c for c in found["card"] if c.kind == "subtitle"]
    shown = normalize(" ".join(" ".join(c.lines) for c in subtitles))
    # the sentence's words up to its last one: Whisper tiny.en once heard "approved" as "a proof" in a live
    # run (its cut of the audio depends on when the command hold ended); the other checks are exact
    assert "budget for the next quarter is" in shown and "turn on" not in shown and "translate" not in shown
    clips = [at for at, say in ((e.at, e.say) for e in load_scenario(SCENARIO).entries("say")) if say.lang == "zh"]
    finals = [c for c in found["caption"] if c.final and c.speaker == "other"]
    heard = [[c for c in finals if abs(c.audio_start - t0 - at) < 2.0] for at in clips]
    context = [(round(c.audio_start - t0, 1), c.text, c.task, c.spoken_lang) for c in finals if c.audio_start - t0 > 190]
    assert len(heard) == 2 and all(heard), context  # a pause inside a sentence may cut it in two finals
    said, english = heard
    assert all((c.task, c.spoken_lang, c.lang) == ("transcribe", "zh", "zh") for c in said), context
    assert_transcript_zh("".join(c.text for c in said), CHINESE_COLLEAGUE)
    assert any(normalize_zh(said[-1].text) in normalize_zh("".join(c.lines)) for c in subtitles)  # in Chinese
    assert all((c.task, c.spoken_lang, c.lang) == ("translate", "zh", "en") for c in english), context
    assert_english(" ".join(c.text for c in english))
    assert " ".join(normalize(english[-1].text).split()[-3:]) in shown  # its card's last line


def run(tmp_path, name, *rig_args):
    bag = tmp_path / f"{name}_bag"
    notes = tmp_path / f"{name}_notes.sqlite"
    glasses("up", *rig_args, "--record", str(bag), "--set", f"agent.notes_db_path={notes}",
            "--set", f"agent.db_path={tmp_path / (name + '_agent.sqlite')}",
            "--set", f"agent.teleprompter_script={SCRIPT}")  # fmt: skip
    return bag, notes, events(bag)


def test_meeting_scenario_through_sim_rig_then_replay(tmp_path):
    # the simulated microphone synthesizes the scenario's 30 sentences while it is built (about 20 s here):
    # start the scenario clock after that
    bag, notes_db, live = run(tmp_path, "sim", "--rig", "sim", "--scenario", str(SCENARIO), "--startup", "45")
    acts = skill_actions(live)
    for expected in [("start_notes", "started"), ("start_subtitles", "started"), ("translate", "captions"),
                     ("stop_subtitles", "stopped"),
                     ("stop_notes", "saved"), ("summarize_notes", "done"), ("what_is_this", "done"),
                     ("teleprompter", "loaded")]:  # fmt: skip
        assert expected in acts, (expected, acts)

    # notes: every sentence of the meeting stored, with who said it (loudness heuristic); the wearer's
    # commands to the glasses (a long press, then the words) are not meeting content and are left out
    scenario = load_scenario(SCENARIO)
    said = [(e.at, e.say) for e in scenario.entries("say")]
    presses = [e.at for e in scenario.entries("touch")]
    commands = [(at, s) for at, s in said if any(0.0 < at - t <= 1.0 for t in presses)]
    store = NotesStore(notes_db)
    segments = store.segments(1)
    stop_at = next(at for at, s in said if s.text == "stop taking notes")
    meeting_lines = [(at, s) for at, s in said if 12.0 <= at < stop_at and (at, s) not in commands]
    assert len(segments) >= len(meeting_lines) - 1
    t0 = live["scenario"][0].stamp - live["scenario"][0].at  # ROS time of scenario t = 0
    spoken_to_glasses = [s.text for at, s in commands if 12.0 <= at < stop_at]
    assert len(spoken_to_glasses) == 3, spoken_to_glasses  # captions on, translate, captions off
    in_notes = [(at, s.text) for at, s in commands for seg in segments if abs(seg.t_start - t0 - at) < 1.0]
    assert not in_notes, in_notes
    matched, right = 0, 0
    for at, say in meeting_lines:
        seg = min(segments, key=lambda s: abs(s.t_start - t0 - at))
        if abs(seg.t_start - t0 - at) < 2.0:
            matched += 1
            right += seg.speaker == ("other" if say.gain_db < 0 else "wearer")
    assert matched >= len(meeting_lines) - 1 and right >= matched - 1, (matched, right)
    summary = next(a for a in live["action"] if a.action == "summarize_notes" and a.status == "done").details
    assert any("ship the captions" in normalize(d) for d in summary["decisions"]), summary
    assert any("li wei" in normalize(a) or "tom" in normalize(a) for a in summary["action_items"]), summary
    store.close()
    out = tmp_path / "meeting.md"
    glasses("notes", "export", "1", "-o", str(out), "--db", str(notes_db))
    text = out.read_text()
    assert "## Decisions" in text and "**other**" in text and "**wearer**" in text

    # captions: the other speakers' sentences as rolling subtitles, none of the wearer's commands
    check_captions(live, t0)
    # what is this: the product in view, offline
    seen = next(a for a in live["action"] if a.action == "what_is_this")
    assert seen.status == "done" and "chocolate" in seen.details["what"].lower()
    # teleprompter: followed the reading past the skipped sentence to the last line read
    prompter = [c for c in live["card"] if c.kind == "teleprompter"]
    shown = [int(c.title.split()[1].split("/")[0]) for c in prompter]
    assert shown == sorted(shown), shown  # never jumps back while the wearer reads on
    # the third sentence, read after skipping one, ends on HUD line 12 (the fourth, on line 14, is read
    # last and Whisper sometimes splits it into fragments the alignment rightly does not follow)
    assert 12 <= shown[-1] <= 15, shown

    replayed_bag, replay_notes, again = run(tmp_path, "replay", "--rig", "replay", "--bag", str(bag))
    assert skill_actions(again) == acts
    check_captions(again, t0)
    store = NotesStore(replay_notes)
    again_segments = store.segments(1)
    store.close()
    # the same segments at the same audio times, by the same speakers; Whisper's words may differ a little
    # (a command said as notes stop may land on either side of the stop)
    assert abs(len(again_segments) - len(segments)) <= 1
    pairs = [(s, min(again_segments, key=lambda a: abs(a.t_start - s.t_start))) for s in segments]
    same = [(s, a) for s, a in pairs if abs(a.t_start - s.t_start) < 0.5 and a.speaker == s.speaker]
    assert len(same) >= len(segments) - 1
    heard = [(round(s.t_start - t0, 1), normalize(s.text), normalize(a.text)) for s, a in same]
    differ = [row for row in heard if row[1] != row[2]]
    # 0.127 was seen once in CI: a segment cut a little differently is decoded a little differently
    assert wer([live for _, live, _ in heard], [replayed for _, _, replayed in heard]) <= 0.15, differ
