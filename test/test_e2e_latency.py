"""End-to-end latency read from a bag, the HUD card order it depends on, and CPU sampling.

The bag here is written by hand with known times, so every figure the analysis
reports can be checked against what was put in.
"""

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from glasses_bringup.cpu import CpuSampler, process_cpu_s
from glasses_bringup.drivers.sensors.display import CardQueue
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.audio_format import AudioCaps
from glasses_bringup.latency import analyze, budget, figures

T0 = 1000.0  # wall time of scenario t=0 in the hand-made bag
NS = "/glasses"


def card(card_id: str, priority: int, stamp: float = 1.0, kind: str = "info", ttl: float = 6.0) -> ev.Card:
    return ev.Card(stamp=stamp, card_id=card_id, kind=kind, title=card_id, priority=priority, ttl_s=ttl)


def test_a_new_card_is_shown_over_an_older_answer_but_not_over_a_confirmation():
    q = CardQueue()
    q.push(card("seen-1", 5), now=0.0)
    q.push(card("listening-2", 3, ttl=4.0), now=1.0)
    assert q.current(1.0).card_id == "listening-2"  # the cue is not hidden behind the old answer
    q.push(card("action-3", 4), now=2.0)
    assert q.current(2.0).card_id == "action-3"  # nor is the new answer behind the cue
    q.push(card("confirm_pay-4", 8, kind="confirm", ttl=15.0), now=3.0)
    q.push(card("listening-5", 3, ttl=4.0), now=4.0)
    assert q.current(4.0).card_id == "confirm_pay-4"  # a pending confirmation stays in front
    assert q.current(10.0).card_id == "confirm_pay-4"  # the others expired meanwhile
    assert q.current(18.5) is None


def test_a_clear_card_takes_its_card_down_and_nothing_else():
    q = CardQueue()
    q.push(card("listening-1", 3, ttl=4.0), now=0.0)
    q.push(card("heard-2", 4, kind="heard", ttl=3.0), now=0.5)
    assert q.current(0.6).card_id == "heard-2"
    q.push(card("seen-3", 5), now=0.8)
    q.push(card("heard-2", 0, kind=ev.CARD_CLEAR), now=0.81)
    assert q.current(0.9).card_id == "seen-3"
    q.push(card("seen-3", 0, kind=ev.CARD_CLEAR), now=1.0)
    assert q.current(1.0).card_id == "listening-1"  # the older live card shows again
    q.push(card("nothing-9", 0, kind=ev.CARD_CLEAR), now=1.1)  # a card not live: no error
    assert q.current(1.1).card_id == "listening-1"


# -- a hand-made bag -------------------------------------------------------------------


def _bag(path, provisional: bool = False, command: dict | None = None):
    from rosbags.rosbag2 import StoragePlugin, Writer
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS2_KILTED)
    String = store.types["std_msgs/msg/String"]
    Image = store.types["sensor_msgs/msg/Image"]
    Header = store.types["std_msgs/msg/Header"]
    Time = store.types["builtin_interfaces/msg/Time"]

    def header(t):
        return Header(stamp=Time(sec=int(t), nanosec=int(round((t - int(t)) * 1e9))), frame_id="")

    rows = []  # (log time, topic, msgtype, message)

    def event(log_t, topic, e):
        rows.append((log_t, f"{NS}/{topic}", "std_msgs/msg/String", String(data=ev.encode(e))))

    def hud(log_t, stamp):
        rows.append((log_t, f"{NS}/display/image", "sensor_msgs/msg/Image",
                     Image(header=header(stamp), height=1, width=4, encoding="mono8", is_bigendian=0, step=4,
                           data=np.zeros(4, np.uint8))))  # fmt: skip

    # speech: a loud tone from 1.2 to 2.0 s (wake phrase) and from 3.5 to 4.5 s (command) over faint noise
    rng = np.random.default_rng(1)
    for i in range(int(8.0 / 0.02)):
        t = i * 0.02
        x = rng.standard_normal(320) * 0.001
        s = t + np.arange(320) / 16000
        x[((s >= 1.2) & (s < 2.0)) | ((s >= 3.5) & (s < 4.5))] += 0.3 * np.sin(2 * np.pi * 440 * s[((s >= 1.2) & (
            s < 2.0)) | ((s >= 3.5) & (s < 4.5))])
        pcm = (np.clip(x, -1, 1) * 32767).astype("<i2").view(np.uint8)
        rows.append((T0 + t + 0.02, f"{NS}/audio/raw", "sensor_msgs/msg/Image",
                     Image(header=header(T0 + t), height=1, width=320, encoding=AudioCaps().encoding(),
                           is_bigendian=0, step=640, data=pcm)))  # fmt: skip
    command = command or {"text": "what is this"}
    for at, kind, details in ((1.0, "say", {"text": "hey jarvis"}), (3.0, "say", command),
                              (6.0, "show", {"kind": "qr", "text": "glasspay://x", "duration_s": 2.0})):  # fmt: skip
        event(T0 + at, "sim/scenario", ev.ScenarioEvent(stamp=T0 + at, at=at, kind=kind, details=details))
    event(T0 + 2.15, "perception/wake", ev.Wake(stamp=T0 + 2.1, reason="wake_word", phrase="hey jarvis"))
    event(T0 + 2.16, "display/card", card("listening-1", 3, stamp=T0 + 2.1))
    hud(T0 + 2.17, T0 + 2.1)
    event(T0 + 4.85, "perception/vad", ev.Vad(stamp=T0 + 4.8, state="end", speech_start=T0 + 3.4,
                                              speech_end=T0 + 4.5))  # fmt: skip
    if provisional:
        event(T0 + 4.9, "perception/transcript", ev.Transcript(stamp=T0 + 4.55, text="What is this?", final=False,
                                                               audio_start=T0 + 3.4, audio_end=T0 + 4.55,
                                                               latency_ms=300.0, at_pause=True))  # fmt: skip
        event(T0 + 4.902, "display/card", card("heard-1", 4, stamp=T0 + 4.55, kind="heard", ttl=3.0))
        hud(T0 + 4.91, T0 + 4.55)
    event(T0 + 5.2, "perception/transcript", ev.Transcript(stamp=T0 + 4.8, text="What is this?", final=True,
                                                           audio_start=T0 + 3.4, audio_end=T0 + 4.8,
                                                           latency_ms=700.0))  # fmt: skip
    event(T0 + 5.201, "agent/intent", ev.Intent(stamp=T0 + 4.8, intent="what_is_this", confidence=0.9))
    event(T0 + 5.202, "display/card", card("seen-2", 5, stamp=T0 + 4.8))
    hud(T0 + 5.21, T0 + 4.8)
    if provisional:
        event(T0 + 5.203, "display/card", card("heard-1", 0, stamp=T0 + 4.8, kind=ev.CARD_CLEAR))
    event(T0 + 5.4, "speaker/state", ev.SpeakerState(stamp=T0 + 4.8, state="speaking", text="…"))
    event(T0 + 6.05, "perception/codes", ev.Code(stamp=T0 + 6.03, symbology="QR_CODE", text="glasspay://x",
                                                 kind="payment"))  # fmt: skip
    event(T0 + 6.06, "display/card", card("confirm_pay-3", 8, stamp=T0 + 6.03, kind="confirm"))
    hud(T0 + 6.07, T0 + 6.03)

    rows.sort(key=lambda r: r[0])
    with Writer(path, version=9, storage_plugin=StoragePlugin.MCAP) as writer:
        conns = {}
        for log_t, topic, msgtype, msg in rows:
            if topic not in conns:
                conns[topic] = writer.add_connection(topic, msgtype, typestore=store)
            writer.write(conns[topic], int(log_t * 1e9), store.serialize_cdr(msg, msgtype))
    return path


def test_latencies_come_from_the_bag_stamps(tmp_path):
    result = analyze(_bag(tmp_path / "bag"))
    assert result["t0"] == pytest.approx(T0)
    wake, command = result["utterances"]
    assert wake.end == pytest.approx(T0 + 2.0, abs=0.011) and command.end == pytest.approx(T0 + 4.5, abs=0.011)
    f = figures(result)
    assert f["wake_phrase_end_to_cue_p95_ms"] == pytest.approx(170, abs=12)
    assert f["speech_end_to_first_card_p95_ms"] == pytest.approx(710, abs=12)
    assert f["speech_end_to_first_audio_p95_ms"] == pytest.approx(900, abs=12)
    assert f["qr_in_view_to_confirm_card_p95_ms"] == pytest.approx(70, abs=1)
    assert f["commands"] == 1 and f["commands_without_card"] == 0 and f["wake_phrases_missed"] == 0
    stages = budget(result)["command"]
    parts = [row["p50_ms"] for row in stages.values()]
    assert parts[0] == pytest.approx(350, abs=12)  # speech end -> VAD end event
    assert parts[1] == pytest.approx(350, abs=1)  # VAD end -> final transcript
    assert sum(parts) == pytest.approx(710, abs=12)  # the stages add up to the whole


def test_a_provisional_card_counts_as_the_first_card_and_the_answer_is_reported_apart(tmp_path):
    result = analyze(_bag(tmp_path / "bag", provisional=True))
    f = figures(result)
    assert f["speech_end_to_first_card_p95_ms"] == pytest.approx(410, abs=12)  # the heard card's HUD frame
    assert f["speech_end_to_answer_card_p95_ms"] == pytest.approx(710, abs=12)  # the clear is not an answer
    assert f["commands_with_provisional_card"] == 1 and f["provisional_cards_changed_by_final"] == 0
    assert f["commands_without_card"] == 0
    stages = budget(result)["provisional"]
    assert [row["p50_ms"] for row in stages.values()] == pytest.approx([400, 2, 8], abs=12)
    without = figures(analyze(_bag(tmp_path / "bag2")))
    assert without["speech_end_to_first_card_p95_ms"] == pytest.approx(without["speech_end_to_answer_card_p95_ms"])
    assert without["commands_with_provisional_card"] == 0


def test_commands_in_two_languages_get_figures_of_their_own(tmp_path):
    english = analyze(_bag(tmp_path / "en"))
    chinese = analyze(_bag(tmp_path / "zh", provisional=True, command={"text": "请帮我比价", "lang": "zh"}))
    assert [u.lang for u in chinese["utterances"]] == ["en", "zh"]  # the wake phrase has no lang: English
    assert "zh_commands" not in figures(chinese)  # one language: no split
    both = {"utterances": english["utterances"] + chinese["utterances"], "codes": []}
    f = figures(both, prefix="s1_")
    assert f["s1_commands"] == 2 and f["s1_en_commands"] == 1 and f["s1_zh_commands"] == 1
    assert f["s1_en_speech_end_to_first_card_p95_ms"] == pytest.approx(710, abs=12)
    assert f["s1_zh_speech_end_to_first_card_p95_ms"] == pytest.approx(410, abs=12)  # its provisional card
    assert f["s1_speech_end_to_first_card_n"] == 2
    # the bag's transcript is "What is this?": said so in English, not in Chinese
    assert f["s1_en_commands_heard_as_said"] == 1 and f["s1_zh_commands_heard_as_said"] == 0
    assert f["s1_commands_heard_as_said"] == 1
    zh_stages = budget(both, lang="zh")["provisional"]
    assert [row["n"] for row in zh_stages.values()] == [1, 1, 1]
    assert budget(both, lang="en")["provisional"]["ASR decode at the pause (speech end -> pause transcript)"]["n"] == 0


def test_a_card_that_never_reaches_the_hud_is_not_counted_as_shown(tmp_path):
    bag = _bag(tmp_path / "bag")
    result = analyze(bag)
    result["run"].hud.clear()
    result = analyze(bag)
    for u in result["utterances"]:
        u.marks.pop("card_hud", None)
        u.marks.pop("cue_hud", None)
        u.marks.pop("first_card_hud", None)
    f = figures(result)
    assert "speech_end_to_first_card_p95_ms" not in f and "wake_phrase_end_to_cue_p95_ms" not in f


def test_cpu_sampler_attributes_a_busy_child_and_an_idle_one():
    busy = subprocess.Popen([sys.executable, "-c", "import time\nt=time.time()\nwhile time.time()-t<3: pass"])
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])
    time.sleep(0.8)  # both past interpreter start-up
    sampler = CpuSampler({"busy": busy.pid, "idle": idle.pid}, period_s=0.1).start()
    time.sleep(1.5)
    sampler.stop()
    busy.wait()
    idle.wait()
    usage = sampler.usage(sampler.times[0], sampler.times[-1])
    assert usage["busy"] > 10.0 and usage["busy"] > 10 * usage["idle"]  # a loaded machine gives the spinner less than a core
    assert process_cpu_s(os.getpid()) > 0.0
    assert json.dumps(usage)  # plain floats
