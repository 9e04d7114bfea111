"""Voice nodes on real rclpy: audio chunks published on audio/raw through the harness."""

from __future__ import annotations

import time

import numpy as np
import pytest
from rclpy.parameter import Parameter
from sensor_msgs.msg import Image
from std_msgs.msg import String
from transcripts import assert_transcript

from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.audio_format import AudioCaps
from glasses_bringup.foundation.audio_io import read_audio, resample, to_int16
from glasses_bringup.foundation.ros.msgs import audio_msg, from_sec
from glasses_bringup.foundation.testing import wait_for
from glasses_perception.voice import wer

RATE = 16000
CHUNK = 320  # 20 ms


def clip(repo_root, name: str) -> np.ndarray:
    return read_audio(repo_root / "assets" / "audio" / f"{name}.wav")


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.float32)


def received_by(node):
    """Chunks the node has taken from audio/raw (good or rejected)."""
    return lambda: (
        (node.health.rates["audio"].total if "audio" in node.health.rates else 0) + node.health.rejects["bad_audio"]
    )


def publish_audio(pub, x, stamp0, received, rate: int = RATE, chunk_s: float = 0.02, skip: set | None = None):
    """Publish float audio as S16LE chunks as fast as the node takes them.

    The audio QoS keeps the last 50 chunks, so the publisher never runs more than
    20 chunks ahead of what ``received()`` says the node has consumed.
    """
    caps = AudioCaps(rate=rate)
    n = int(rate * chunk_s)
    base = received()
    sent = 0
    for k, i in enumerate(range(0, x.size, n)):
        if skip and k in skip:
            continue
        block = np.clip(x[i : i + n] * 32767, -32768, 32767).astype(np.int16)
        pub.publish(audio_msg(caps, block, from_sec(stamp0 + i / rate), "mic_array"))
        sent += 1
        assert wait_for(lambda n=sent: received() - base >= n - 20, 10, period=0.002), "node stopped taking audio"


def events_on(ros, topic, schema):
    return ros.collect_events(topic, schema)


def start_vad_node(ros, always_on: bool):
    """A vad node, its perception/vad events and a publisher on audio/raw it has matched."""
    from glasses_perception.nodes.vad_node import VadNode

    node = ros.add(VadNode(namespace="/glasses", parameter_overrides=[Parameter("always_on", value=always_on)]))
    got = events_on(ros, "perception/vad", ev.Vad)
    pub = ros.publisher("audio/raw", Image)
    assert wait_for(lambda: pub.get_subscription_count() >= 1, 5)
    return node, got, pub


def test_vad_node_publishes_start_and_end_and_survives_bad_audio(ros, repo_root):
    node, got, pub = start_vad_node(ros, always_on=True)

    # malformed chunks first: wrong step, NaN floats, empty, not audio
    bad = audio_msg(AudioCaps(), np.zeros(320, np.int16), from_sec(1.0), "mic")
    bad.step = 7
    pub.publish(bad)
    nan = audio_msg(AudioCaps(sample_format="F32LE"), np.full(320, np.nan, np.float32), from_sec(1.0), "mic")
    pub.publish(nan)
    empty = Image(encoding=AudioCaps().encoding())
    pub.publish(empty)
    pub.publish(Image(encoding="rgb8", width=2, height=1, step=6, data=bytes(6)))

    x = np.concatenate([silence(0.5), clip(repo_root, "navigate_train_station"), silence(0.6)])
    publish_audio(pub, x, 100.0, received_by(node))
    assert wait_for(lambda: len(got) >= 2, 15)
    start, end = got[0], got[1]
    assert (start.state, end.state) == ("start", "end")
    assert 100.8 < start.speech_start < 101.1 and 102.4 < end.speech_end < 102.9
    assert end.stamp >= end.speech_end and start.source.endswith("vad")
    assert wait_for(lambda: sum(node.health.rejects.values()) >= 4, 5)
    assert node.health.rejects["bad_audio"] >= 4


def test_vad_node_resamples_48k_and_reports_gaps(ros, repo_root):
    node, got, pub = start_vad_node(ros, always_on=True)
    x = resample(np.concatenate([silence(0.5), clip(repo_root, "what_is_this"), silence(0.6)]), RATE, 48000)
    # drop chunks 60..64 (1.2-1.3 s, inside the speech): a gap
    publish_audio(pub, x, 10.0, received_by(node), rate=48000, skip=set(range(60, 65)))
    assert wait_for(lambda: len(got) >= 2, 15)
    assert [e.state for e in got[:2]] == ["start", "end"]
    assert node.health.drops["audio_gap"] == 1
    assert node.health.values.get("audio_resampled_from_hz") == "48000"


def test_vad_node_scores_only_while_the_assistant_speaks_or_after_a_wake(ros, repo_root):
    node, got, pub = start_vad_node(ros, always_on=False)
    speaker = ros.publisher("speaker/state", String)
    wake = ros.publisher("perception/wake", String)
    assert wait_for(lambda: min(p.get_subscription_count() for p in (speaker, wake)) >= 1, 5)
    x = np.concatenate([silence(0.5), clip(repo_root, "navigate_train_station"), silence(0.6)])
    publish_audio(pub, x, 100.0, received_by(node))  # worn idle: nobody needs the events
    assert wait_for(lambda: received_by(node)() >= -(-x.size // 320), 10)
    assert got == [] and node.vad.vad.windows == 0

    speaker.publish(String(data=ev.encode(ev.SpeakerState(stamp=110.0, state="speaking", text="…"))))
    assert wait_for(lambda: node.vad.held, 5)
    publish_audio(pub, x, 110.0, received_by(node))  # the wearer talks over the assistant: barge-in needs the start
    assert wait_for(lambda: len(got) >= 2, 15)
    assert [e.state for e in got[:2]] == ["start", "end"] and 110.8 < got[0].speech_start < 111.1
    speaker.publish(String(data=ev.encode(ev.SpeakerState(stamp=113.0, state="idle"))))
    assert wait_for(lambda: not node.vad.held, 5)

    wake.publish(String(data=ev.encode(ev.Wake(stamp=119.9, reason="touch"))))
    assert wait_for(lambda: node.vad.until > 120.0, 5)
    publish_audio(pub, x, 120.0, received_by(node))  # a listen window: the utterance's end is marked
    assert wait_for(lambda: len(got) >= 4, 15)
    assert [e.state for e in got[2:4]] == ["start", "end"] and 122.4 < got[3].speech_end < 122.9


def test_wake_node_wake_word_touch_and_follow_up(ros, repo_root):
    from glasses_perception.nodes.wake_node import WakeNode

    node = ros.add(WakeNode(namespace="/glasses"))
    got = events_on(ros, "perception/wake", ev.Wake)
    audio = ros.publisher("audio/raw", Image)
    touch = ros.publisher("input/touch", String)
    speaker = ros.publisher("speaker/state", String)
    assert wait_for(lambda: audio.get_subscription_count() >= 1 and touch.get_subscription_count() >= 1, 5)
    publish_audio(
        audio, np.concatenate([silence(0.3), clip(repo_root, "hey_jarvis"), silence(0.5)]), 20.0, received_by(node)
    )
    assert wait_for(lambda: len(got) >= 1, 15)
    assert (got[0].reason, got[0].phrase) == ("wake_word", "hey jarvis") and 20.5 < got[0].stamp < 22.0

    touch.publish(String(data=ev.encode(ev.Touch(stamp=30.0, gesture="tap"))))
    touch.publish(String(data=ev.encode(ev.Touch(stamp=31.0, gesture="long_press"))))
    speaker.publish(String(data=ev.encode(ev.SpeakerState(stamp=40.0, state="speaking", text="ok"))))
    speaker.publish(String(data=ev.encode(ev.SpeakerState(stamp=42.0, state="idle", text="ok"))))
    assert wait_for(lambda: len(got) >= 3, 10)
    assert [(e.reason, e.stamp) for e in got[1:3]] == [("touch", 31.0), ("follow_up", 42.0)]


def test_asr_node_transcribes_after_wake_only(ros, repo_root):
    from glasses_perception.nodes.asr_node import AsrNode

    node = ros.add(AsrNode(namespace="/glasses"))
    assert node.active, node.health.last_error
    got = events_on(ros, "perception/transcript", ev.Transcript)
    audio = ros.publisher("audio/raw", Image)
    wake = ros.publisher("perception/wake", String)
    assert wait_for(lambda: audio.get_subscription_count() >= 1 and wake.get_subscription_count() >= 1, 5)

    # not listening: a command is ignored
    publish_audio(audio, np.concatenate([clip(repo_root, "compare_prices"), silence(0.6)]), 50.0, received_by(node))
    # touch-style wake at 60 s, then the command
    wake.publish(String(data=ev.encode(ev.Wake(stamp=59.9, reason="touch"))))
    assert wait_for(lambda: node.health.rates.get("wake.touch") is not None, 5)
    x = np.concatenate([silence(0.3), clip(repo_root, "order_noodles"), silence(0.8)])
    publish_audio(audio, x, 60.0, received_by(node))
    assert wait_for(lambda: any(t.final for t in got), 30)
    finals = [t for t in got if t.final]
    assert len(finals) == 1
    assert_transcript(finals[0].text, "order a large beef noodle from the usual place")
    assert 60.5 < finals[0].audio_start < 61.0 and finals[0].audio_end > 63.0
    assert finals[0].stamp == finals[0].audio_end and finals[0].latency_ms > 0
    partials = [t for t in got if not t.final]
    assert all(p.utterance_id == finals[0].utterance_id for p in partials)
    time.sleep(1.0)  # a partial still decoding when the final went out must not follow it
    assert got[-1].final


def test_asr_node_parked_or_saving_falls_back_to_the_grammar(ros, repo_root):
    from rclpy.parameter import Parameter

    from glasses_perception.nodes.asr_node import AsrNode

    node = ros.add(AsrNode(namespace="/glasses", parameter_overrides=[Parameter("always_listen", value=True)]))
    assert node.active and node.current == "whisper" and set(node.recognizers) == {"whisper", "grammar"}
    got = events_on(ros, "perception/transcript", ev.Transcript)
    audio = ros.publisher("audio/raw", Image)
    power = ros.publisher("power/state", String)
    assert wait_for(lambda: audio.get_subscription_count() >= 1 and power.get_subscription_count() >= 1, 5)

    node.trigger_deactivate()  # what the power policy does to park full ASR
    assert not node.active and node.current == "grammar"
    publish_audio(audio, np.concatenate([clip(repo_root, "airport"), silence(0.6)]), 5.0, received_by(node))
    assert wait_for(lambda: any(t.final for t in got), 15)
    final = next(t for t in got if t.final)
    assert (final.text, final.engine) == ("take me to the airport", "grammar")

    # resumed, but the packs are low: power/state saver keeps the grammar path
    power.publish(
        String(
            data=ev.encode(
                ev.PowerState(stamp=9.0, mode="saver", soc=0.1, runtime_left_h=0.5, load_w=0.8, swap_state="left_only")
            )
        )
    )
    node.trigger_activate()
    # the spin thread sets the flag, then switches engine: wait for both
    assert wait_for(lambda: node.power_saving and node.current == "grammar", 5)
    power.publish(
        String(
            data=ev.encode(
                ev.PowerState(stamp=10.0, mode="normal", soc=0.9, runtime_left_h=5, load_w=0.8, swap_state="both")
            )
        )
    )
    assert wait_for(lambda: node.current == "whisper", 5)


def test_speaker_node_speaks_and_barge_in_interrupts(ros):
    from glasses_bringup.drivers.nodes.speaker_node import SpeakerNode

    node = ros.add(SpeakerNode(namespace="/glasses"))
    got = events_on(ros, "speaker/state", ev.SpeakerState)
    say = ros.publisher("speaker/say", String)
    vad = ros.publisher("perception/vad", String)
    assert wait_for(lambda: say.get_subscription_count() >= 1 and vad.get_subscription_count() >= 1, 5)

    say.publish(String(data=ev.encode(ev.Say(stamp=1.0, text="Paid twelve yuan fifty to Cafe Lumi."))))
    assert wait_for(lambda: [s.state for s in got] == ["speaking", "idle"], 20)
    assert got[0].stamp == 1.0 and node.player.sink.played_s > 1.0
    # the same reply again plays from the speech cache, as long as it did the first time
    played, hits = node.player.sink.played_s, node.diagnostics_values()["speech_cache_hits"]
    say.publish(String(data=ev.encode(ev.Say(stamp=1.5, text="Paid twelve yuan fifty to Cafe Lumi."))))
    assert wait_for(lambda: [s.state for s in got] == ["speaking", "idle"] * 2, 20)
    assert node.diagnostics_values()["speech_cache_hits"] == hits + 1
    assert node.player.sink.played_s - played == pytest.approx(played, rel=0.05)
    del got[:2]

    say.publish(
        String(
            data=ev.encode(
                ev.Say(stamp=2.0, text="Turn left in two hundred meters, then keep straight for one kilometer.")
            )
        )
    )
    assert wait_for(lambda: len(got) >= 3, 10)
    vad.publish(String(data=ev.encode(ev.Vad(stamp=3.0, state="start", speech_start=2.9))))
    assert wait_for(lambda: len(got) >= 4, 10)
    assert [s.state for s in got[2:4]] == ["speaking", "interrupted"]
    say.publish(String(data='{"schema": "say", "v": 1, "stamp": 1.0, "text": ""}'))  # empty text: rejected
    assert wait_for(lambda: node.health.rejects.get("invalid_fields", 0) == 1, 5)


def test_speaker_plays_the_listening_earcon_on_a_wake_without_a_state_change(ros):
    from glasses_bringup.drivers.nodes.speaker_node import SpeakerNode, listening_earcon

    node = ros.add(SpeakerNode(namespace="/glasses"))
    got = events_on(ros, "speaker/state", ev.SpeakerState)
    wake = ros.publisher("perception/wake", String)
    assert wait_for(lambda: wake.get_subscription_count() >= 1, 5)
    wake.publish(String(data=ev.encode(ev.Wake(stamp=1.0, reason="wake_word", phrase="hey jarvis"))))
    assert wait_for(lambda: node.player.cues_played == 1, 20)  # after the voice warm-up
    assert node.player.sink.played_s == pytest.approx(0.12, abs=0.021)
    wake.publish(String(data=ev.encode(ev.Wake(stamp=2.0, reason="follow_up"))))  # after an answer: no earcon
    time.sleep(0.3)
    assert node.player.cues_played == 1 and got == []  # not an answer: no speaking/idle, no follow-up window
    earcon = listening_earcon(22050, 0.3)
    assert earcon.size == int(0.06 * 22050) * 2 and float(abs(earcon).max()) <= 0.3
    assert listening_earcon(22050, 0.0).size == 0


def test_asr_node_lang_auto_chinese_after_wake_and_in_the_follow_up_window(ros, repo_root):
    from rclpy.parameter import Parameter

    from glasses_perception.nodes.asr_node import AsrNode

    zh = repo_root / "test" / "fixtures" / "voice" / "zh"
    node = ros.add(AsrNode(namespace="/glasses", parameter_overrides=[Parameter("lang", value="auto")]))
    assert node.active, node.health.last_error
    assert node.health.values["english_model"] != "main"  # tiny.en for English speech
    got = events_on(ros, "perception/transcript", ev.Transcript)
    audio = ros.publisher("audio/raw", Image)
    wake = ros.publisher("perception/wake", String)
    assert wait_for(lambda: audio.get_subscription_count() >= 1 and wake.get_subscription_count() >= 1, 5)

    wake.publish(String(data=ev.encode(ev.Wake(stamp=9.9, reason="wake_word", phrase="hey jarvis"))))
    assert wait_for(lambda: node.health.rates.get("wake.wake_word") is not None, 5)
    first = read_audio(zh / "aishell1_BAC009S0764W0121.flac")
    publish_audio(audio, np.concatenate([silence(0.3), first, silence(0.8)]), 10.0, received_by(node))
    assert wait_for(lambda: len([t for t in got if t.final]) == 1, 30)
    # the answer was spoken: the follow-up window opens, no wake word needed
    wake.publish(String(data=ev.encode(ev.Wake(stamp=16.0, reason="follow_up"))))
    assert wait_for(lambda: node.health.rates.get("wake.follow_up") is not None, 5)
    second = read_audio(zh / "aishell1_BAC009S0764W0122.flac")
    english = clip(repo_root, "what_is_this")
    x = np.concatenate([silence(0.5), second, silence(0.8)])
    publish_audio(audio, x, 16.0, received_by(node))
    assert wait_for(lambda: len([t for t in got if t.final]) == 2, 30)
    # the wearer switches language in the next turn
    wake.publish(String(data=ev.encode(ev.Wake(stamp=23.0, reason="touch"))))
    assert wait_for(lambda: node.health.rates.get("wake.touch") is not None, 5)
    publish_audio(audio, np.concatenate([silence(0.3), english, silence(0.8)]), 23.0, received_by(node))
    assert wait_for(lambda: len([t for t in got if t.final]) == 3, 30)
    finals = [t for t in got if t.final]
    assert [t.lang for t in finals] == ["zh", "zh", "en"]
    refs = ["甚至出现交易几乎停滞的情况", "一二线城市虽然也处于调整中"]
    assert wer.cer(refs, [t.text for t in finals[:2]]) <= 0.2
    assert wer.normalize(finals[2].text) == "what is this"


def test_asr_node_lang_auto_final_reuses_the_probed_language_in_real_time(ros, repo_root):
    from rclpy.parameter import Parameter

    from glasses_perception.nodes.asr_node import AsrNode

    node = ros.add(AsrNode(namespace="/glasses", parameter_overrides=[
        Parameter("lang", value="auto"), Parameter("always_listen", value=True)]))  # fmt: skip
    got = events_on(ros, "perception/transcript", ev.Transcript)
    audio = ros.publisher("audio/raw", Image)
    assert wait_for(lambda: audio.get_subscription_count() >= 1, 5)
    x = np.concatenate([silence(0.3), clip(repo_root, "navigate_train_station"), silence(0.8)])
    caps, t0 = AudioCaps(), time.perf_counter()
    for k, i in enumerate(range(0, x.size, 320)):  # as a microphone: one 20 ms chunk every 20 ms
        time.sleep(max(t0 + k * 0.02 - time.perf_counter(), 0.0))
        audio.publish(audio_msg(caps, to_int16(x[i : i + 320]), from_sec(50.0 + i / RATE), "mic_array"))
    assert wait_for(lambda: any(t.final for t in got), 20)
    final = next(t for t in got if t.final)
    assert final.lang == "en" and "train station" in wer.normalize(final.text)
    # the probe 0.8 s into the command told the language: the decodes after it did not detect again
    assert node.diagnostics_values()["lang_detections_skipped"] >= 1


def test_speaker_node_speaks_chinese_and_reports_its_voices(ros):
    from glasses_bringup.drivers.nodes.speaker_node import SpeakerNode
    from glasses_bringup.drivers.speech.tts import espeak_available

    node = ros.add(SpeakerNode(namespace="/glasses"))
    if not espeak_available():  # make installs espeak-ng; without it the node says why
        assert node.voices["zh"] == "none" and node.health.level_override[0] == 2
        return
    assert node.voices == {"en": "piper", "zh": "espeak"} and node.health.level_override is None
    got = events_on(ros, "speaker/state", ev.SpeakerState)
    say = ros.publisher("speaker/say", String)
    assert wait_for(lambda: say.get_subscription_count() >= 1, 5)
    say.publish(String(data=ev.encode(ev.Say(stamp=1.0, text="已向星光咖啡支付12.50 CNY。", lang="zh"))))
    assert wait_for(lambda: [s.state for s in got] == ["speaking", "idle"], 20)
    assert node.player.sink.played_s > 1.0


def play_jazz_in_real_time(audio, got, repo_root):
    """"Play some jazz" published as a microphone does (20 ms chunks in real time); returns the
    index of the first final in ``got`` and the pause transcripts before it."""
    x = np.concatenate([silence(0.3), clip(repo_root, "play_jazz"), silence(2.0)])
    caps, t0 = AudioCaps(), time.perf_counter()
    for k, i in enumerate(range(0, x.size, 320)):
        time.sleep(max(t0 + k * 0.02 - time.perf_counter(), 0.0))
        audio.publish(audio_msg(caps, to_int16(x[i : i + 320]), from_sec(50.0 + i / RATE), "mic_array"))
    assert wait_for(lambda: any(t.final for t in got), 20)
    final_at = next(i for i, t in enumerate(got) if t.final)
    return final_at, [t for t in got[:final_at] if t.at_pause]


def test_asr_node_publishes_the_decode_at_a_pause_before_the_final(ros, repo_root):
    from rclpy.parameter import Parameter

    from glasses_perception.nodes.asr_node import AsrNode

    # a long hangover, so the decode at the pause surely ends while the end is still unsure
    node = ros.add(AsrNode(namespace="/glasses", parameter_overrides=[
        Parameter("always_listen", value=True), Parameter("hangover_ms", value=1500.0)]))  # fmt: skip
    got = events_on(ros, "perception/transcript", ev.Transcript)
    audio = ros.publisher("audio/raw", Image)
    assert wait_for(lambda: audio.get_subscription_count() >= 1, 5)
    final_at, pauses = play_jazz_in_real_time(audio, got, repo_root)
    assert pauses, [(t.text, t.final, t.at_pause) for t in got]
    pause, final = pauses[-1], got[final_at]
    assert not pause.final and pause.utterance_id == final.utterance_id
    assert_transcript(pause.text, "play some jazz")
    assert_transcript(final.text, "play some jazz")
    assert pause.audio_end == final.audio_end  # the final reused the decode at the pause
    passes = node.diagnostics_values()
    assert passes["english_first_pass_taken"] + passes["english_second_passes"] >= 1
    if passes["english_second_passes"] == 0:  # the fast first pass was sure: its text is the final's
        assert pause.text == final.text
    assert not any(t.at_pause for t in got if t.final)
    assert node.health.rates["pause_transcripts"].total >= 1


class UnsureFirstPass:
    """A two-pass recognizer whose first pass is unsure and ends after the VAD has ended the utterance."""

    engine = "whisper"

    def __init__(self, first_s: float, second_s: float):
        self.first_s, self.second_s = first_s, second_s
        self.first_pass_taken = self.second_passes = 0  # the node's /diagnostics read them

    def recognize(self, samples, lang=None, on_first_pass=None):
        from glasses_perception.voice.asr import Recognition

        if on_first_pass is not None:
            time.sleep(self.first_s)
            on_first_pass("play sum jars")
            self.second_passes += 1
            time.sleep(self.second_s)
        return Recognition("Play some jazz.", "en", self.engine, 1000 * (self.first_s + self.second_s), passes=2)


def test_asr_node_publishes_an_unsure_first_pass_that_outlasts_the_hangover(ros, repo_root):
    from rclpy.parameter import Parameter

    from glasses_perception.nodes.asr_node import AsrNode

    node = ros.add(AsrNode(namespace="/glasses", parameter_overrides=[Parameter("always_listen", value=True)]))
    # the first pass ends 0.7 s into the pause, after the 300 ms hangover; the second pass 0.6 s later
    node.recognizers[node.current] = UnsureFirstPass(first_s=0.7, second_s=0.6)
    got = events_on(ros, "perception/transcript", ev.Transcript)
    audio = ros.publisher("audio/raw", Image)
    assert wait_for(lambda: audio.get_subscription_count() >= 1, 5)
    final_at, pauses = play_jazz_in_real_time(audio, got, repo_root)
    # the early text is out before the final, which waited for the second pass
    assert [t.text for t in pauses] == ["play sum jars"], [(t.text, t.final, t.at_pause) for t in got]
    assert got[final_at].text == "Play some jazz." and pauses[0].audio_end == got[final_at].audio_end
