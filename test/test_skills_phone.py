"""Calls and messages over the sandbox phone link: incoming call answered by a nod (or
declined, or missed), outgoing call with its duration, a message read back and sent
only after the confirmation; English and Chinese; the agent node with the sandbox
ringing."""

import time

import numpy as np
import pytest
import soundfile as sf
from std_msgs.msg import String

from glasses_agent.backends.phone import SandboxPhone
from glasses_agent.backends.sqlite import SqliteSandbox
from glasses_agent.dialogue import DialogueManager
from glasses_agent.skills.phone import PhoneSkill
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.testing import wait_for


@pytest.fixture
def setup(tmp_path):
    sandbox = SqliteSandbox(tmp_path / "agent.sqlite")
    phone = SandboxPhone(tmp_path / "agent.sqlite", answer_after_s=2.0, ring_timeout_s=20.0)
    yield DialogueManager(sandbox, phone=PhoneSkill(phone)), phone
    phone.close()
    sandbox.close()


def say(d, text, t):
    return d.on_transcript(text, None, t, t)[0]


def cards(steps):
    return [r for s in steps for r in s.replies]


def test_incoming_call_answered_by_a_nod_then_hung_up(setup):
    d, phone = setup
    phone.ring_at("Anna", 10.0)
    assert d.tick(9.0) == []
    ring = cards(d.tick(10.0))
    assert ring[0].title == "📞 Anna is calling" and ring[0].kind == "confirm" and ring[0].speak
    answered = d.on_head_gesture("nod", 0.9, 11.0, 11.0)[0]
    assert answered.replies[0].title == "📞 In call with Anna" and answered.actions[0][:2] == ("answer_call", "active")
    assert phone._call(answered.actions[0][2]["call_id"]).state == "active"  # the link really has the call up
    states = [e.state for s in [answered] for topic, e in s.outbox if topic == "phone/call"]
    assert states == ["active"]  # for phone/call: the music player ducks on it
    ended = say(d, "hang up", 74.0)
    assert [e.state for topic, e in ended.outbox if topic == "phone/call"] == ["idle"]
    assert (ended.replies[0].title, ended.replies[0].body) == ("Call ended", "Anna · 1:03")
    assert ended.actions[0][2]["duration_s"] == pytest.approx(63.0)
    assert say(d, "hang up", 75.0).replies[0].message_id == "no_call"


def test_incoming_call_declined_by_a_shake_or_missed(setup):
    d, phone = setup
    phone.ring_at("Mom", 1.0)
    d.tick(1.0)
    declined = d.on_head_gesture("shake", 0.9, 2.0, 2.0)[0]
    assert declined.replies[0].title == "Call declined" and declined.actions[0][:2] == ("answer_call", "declined")
    phone.ring_at("Li Wei", 5.0)
    d.tick(5.0)
    assert d.on_touch("double_tap", 6.0, 6.0)[0].replies[0].title == "📞 In call with Li Wei"  # a double tap answers
    assert d.on_touch("long_press", 9.0, 9.0)[0].replies[0].body == "Li Wei · 0:03"  # a long press ends it
    phone.ring_at("Anna", 30.0)
    d.tick(30.0)
    missed = cards(d.tick(51.0))
    assert missed[0].title == "Missed call" and missed[0].body == "Anna"
    assert d.on_head_gesture("nod", 0.9, 52.0, 52.0) == []  # nothing ringing any more


def test_outgoing_call_is_in_call_only_when_the_far_end_answers(setup):
    d, phone = setup
    step = say(d, "call Anna", 1.0)
    assert step.replies[0].title == "📞 Calling Anna…" and step.actions[0][:2] == ("call", "dialing")
    assert cards(d.tick(2.0)) == []
    active = cards(d.tick(3.1))
    assert active[0].title == "📞 In call with Anna"
    assert say(d, "call mom", 4.0).replies[0].message_id == "call_busy"
    assert say(d, "end the call", 13.1).replies[0].body == "Anna · 0:10"
    assert say(d, "call Bartholomew", 14.0).replies[0].message_id == "unknown_contact"


def test_message_is_read_back_and_sent_only_after_confirmation(setup):
    d, phone = setup
    step = say(d, "send a message to Anna saying I am late", 1.0)
    card = step.replies[0]
    assert (card.kind, card.title, card.body) == ("confirm", "Send to Anna?", "“i am late”")
    assert phone.sent() == []  # read back, not sent
    assert d.on_head_gesture("shake", 0.9, 2.0, 2.0)[0].replies[0].message_id == "cancelled"
    assert phone.sent() == []
    say(d, "text mom that I will be home soon", 3.0)
    sent = d.on_head_gesture("nod", 0.9, 4.0, 4.0)[0]
    assert sent.replies[0].title == "Message sent" and [m["text"] for m in phone.sent()] == ["i will be home soon"]
    d.on_touch("double_tap", 5.0, 5.0)  # a second confirmation sends nothing more
    assert len(phone.sent()) == 1
    assert say(d, "send a message to anna", 6.0).replies[0].message_id == "ask_message"


def test_chinese_calls_and_messages(setup):
    d, phone = setup
    assert say(d, "给妈妈打电话", 1.0).replies[0].title == "📞 正在呼叫妈妈…"
    d.tick(3.5)
    assert say(d, "挂断", 10.0).replies[0].title == "通话结束"
    card = say(d, "给安娜发消息说我晚点到", 11.0).replies[0]
    assert (card.title, card.body) == ("发送给安娜？", "“我晚点到”")
    assert say(d, "确认", 12.0).replies[0].title == "消息已发送" and phone.sent()[0]["contact"] == "Anna"


def test_incoming_call_answered_by_a_nod_through_the_agent_node_carries_its_audio(ros, tmp_path):
    """The call's audio on rclpy: the microphone (a tone per phase on audio/raw) reaches the sandbox
    phone only between the answer and the hang-up; the far end's voice comes out on speaker/call
    only then."""
    import threading

    from rclpy.parameter import Parameter
    from sensor_msgs.msg import Image

    from glasses_agent.backends.phone import far_end_voice
    from glasses_agent.nodes.agent_node import AgentNode
    from glasses_bringup.foundation.audio_format import AudioCaps
    from glasses_bringup.foundation.ros.msgs import audio_msg, audio_samples, from_sec

    got = ros.collect_events("display/card")
    downlink = ros.collect("speaker/call", Image)
    gestures = ros.publisher("input/head_gesture", String)
    speech = ros.publisher("perception/transcript", String)
    mic = ros.publisher("audio/raw", Image)
    ros.add(AgentNode(namespace=ros.namespace, parameter_overrides=[
        Parameter("db_path", value=str(tmp_path / "agent.sqlite")), Parameter("nav_area", value=""),
        Parameter("sandbox_incoming_call_s", value=1.0), Parameter("tick_period_s", value=0.2),
        Parameter("sandbox_call_recordings", value=str(tmp_path / "calls"))]))  # fmt: skip
    phase = {"hz": 500.0}  # the wearer's "voice": 500 Hz before the answer, 1000 Hz in the call, 1500 Hz after
    stop = threading.Event()

    def talk():
        caps, n, k = AudioCaps(rate=16000, channels=1, sample_format="S16LE"), 320, 0
        while not stop.is_set():
            t = (k * n + np.arange(n)) / 16000
            x = (0.3 * 32767 * np.sin(2 * np.pi * phase["hz"] * t)).astype(np.int16)
            mic.publish(audio_msg(caps, x.reshape(-1, 1), from_sec(time.time()), "mic"))
            k += 1
            time.sleep(0.02)

    talker = threading.Thread(target=talk, daemon=True)
    talker.start()
    try:
        assert wait_for(lambda: any(c.title == "📞 Anna is calling" for c in got), 10)
        time.sleep(0.5)
        assert downlink == []  # ringing: the far end is not heard yet
        gestures.publish(String(data=ev.encode(ev.HeadGesture(stamp=time.time(), gesture="nod", confidence=0.9))))
        assert wait_for(lambda: any(c.title == "📞 In call with Anna" for c in got), 10)
        phase["hz"], answered = 1000.0, time.monotonic()
        time.sleep(2.0)
        t = time.time()
        speech.publish(String(data=ev.encode(ev.Transcript(stamp=t, text="hang up", final=True, lang="en",
                                                           audio_start=t - 1, audio_end=t, latency_ms=50.0))))  # fmt: skip
        assert wait_for(lambda: any(c.title.startswith("Call ended") for c in got), 10)
        phase["hz"], in_call_s, in_call = 1500.0, time.monotonic() - answered, len(downlink)
        time.sleep(1.0)
    finally:
        stop.set()
        talker.join(timeout=2)
    assert len(downlink) == in_call  # nothing after the hang-up
    heard = np.concatenate([audio_samples(m)[1][:, 0] for m in downlink])
    assert audio_samples(downlink[0])[0].rate == 16000 and len(heard) > 1.5 * 16000
    assert best_correlation(heard[: 2 * 16000], far_end_voice()) > 0.99  # the phone's downlink, sample for sample
    [recording] = (tmp_path / "calls").glob("call_*_uplink.wav")
    sent, rate = sf.read(str(recording), dtype="float32")
    assert rate == 16000 and 1.5 * 16000 < len(sent) < (in_call_s + 0.5) * 16000  # the call's span, no more
    assert band_energy(sent, rate, 1000) > 0.8  # the wearer's voice during the call ...
    assert band_energy(sent, rate, 1500) < 0.01  # ... nothing after the hang-up, and of the ringing tone only
    assert band_energy(sent, rate, 500) < 0.15  # what came between the answer and this test seeing its card


# -- call audio -------------------------------------------------------------------------------


def tone(freq, seconds, rate=16000, level=0.3):
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def band_energy(x, rate, freq, width=20.0):
    """Fraction of the energy of ``x`` within ``width`` Hz of ``freq``."""
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    return float(spectrum[np.abs(freqs - freq) < width].sum() / max(spectrum.sum(), 1e-12))


def best_correlation(x, reference):
    """Peak normalised cross-correlation of ``x`` against the looped ``reference`` (any offset)."""
    n = min(len(x), len(reference))
    x = x[:n] - x[:n].mean()
    loop = np.concatenate([reference, reference])
    scores = [np.dot(x, loop[k:k + n]) / (np.linalg.norm(x) * np.linalg.norm(loop[k:k + n]) + 1e-12)
              for k in range(0, len(reference), 8)]  # fmt: skip
    return float(max(scores))


def test_sandbox_phone_carries_audio_only_while_the_call_is_up(tmp_path):
    from glasses_agent.backends.call_audio import CallAudioRouter
    from glasses_agent.backends.phone import PhoneError, far_end_voice
    from glasses_bringup.foundation.audio_format import AudioCaps

    phone = SandboxPhone(tmp_path / "agent.sqlite", recordings_dir=tmp_path / "calls")
    router = CallAudioRouter(phone)
    mic = AudioCaps(rate=48000, channels=2, sample_format="S16LE")  # resampled and mixed down on the way up

    def speak(freq, seconds):
        x = (tone(freq, seconds, 48000) * 32767).astype(np.int16)
        return sum(router.on_mic(mic, np.stack([x, x], axis=1)[i:i + 960]) for i in range(0, len(x), 960))

    phone.ring_at("Anna", 0.0)
    [call] = phone.poll(0.0)
    router.on_call_state(ev.CallState(stamp=0.0, state="ringing", contact="Anna", call_id=call.call_id))
    assert speak(500, 0.5) == 0 and router.downlink() is None  # ringing: nothing either way
    with pytest.raises(PhoneError):
        phone.send_audio(call.call_id, tone(500, 0.1))
    phone.answer(call.call_id, 1.0)
    router.on_call_state(ev.CallState(stamp=1.0, state="active", contact="Anna", call_id=call.call_id))
    assert speak(1000, 1.0) > 15000
    heard = np.concatenate([router.downlink() for _ in range(50)])  # 2 s of the far end
    phone.hang_up(call.call_id, 3.0)
    router.on_call_state(ev.CallState(stamp=3.0, state="idle", call_id=call.call_id))
    assert speak(1500, 0.5) == 0 and router.downlink() is None  # after the hang-up: nothing
    sent = phone.uplink(call.call_id)
    assert len(sent) == pytest.approx(16000, abs=400)  # one second at the link's 16 kHz, less the resampler's delay
    assert band_energy(sent, 16000, 1000) > 0.95 and band_energy(sent, 16000, 500) + band_energy(sent, 16000, 1500) < 0.01
    recorded, rate = sf.read(str(tmp_path / "calls" / f"call_{call.call_id}_uplink.wav"), dtype="float32")
    assert rate == 16000 and np.array_equal(recorded, sent)  # the sandbox kept what it received
    assert best_correlation(heard, far_end_voice()) > 0.99
    phone.close()
