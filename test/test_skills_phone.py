"""Calls and messages over the sandbox phone link: incoming call answered by a nod (or
declined, or missed), outgoing call with its duration, a message read back and sent
only after the confirmation; English and Chinese; the agent node with the sandbox
ringing."""

import time

import pytest
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


def test_incoming_call_answered_by_a_nod_through_the_agent_node(ros, tmp_path):
    from rclpy.parameter import Parameter

    from glasses_agent.nodes.agent_node import AgentNode

    got = ros.collect_events("display/card")
    gestures = ros.publisher("input/head_gesture", String)
    ros.add(AgentNode(namespace=ros.namespace, parameter_overrides=[
        Parameter("db_path", value=str(tmp_path / "agent.sqlite")), Parameter("nav_area", value=""),
        Parameter("sandbox_incoming_call_s", value=1.0), Parameter("tick_period_s", value=0.2)]))  # fmt: skip
    assert wait_for(lambda: any(c.title == "📞 Anna is calling" for c in got), 10)
    gestures.publish(String(data=ev.encode(ev.HeadGesture(stamp=time.time(), gesture="nod", confidence=0.9))))
    assert wait_for(lambda: any(c.title == "📞 In call with Anna" for c in got), 10)
