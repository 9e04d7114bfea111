"""Time, alarms across a restart, calendar, trips with status changes, weather, battery."""

import time
from datetime import datetime, timedelta

import pytest
from std_msgs.msg import String

from glasses_agent.backends.daily import DailyStore, SandboxWeather
from glasses_agent.backends.sqlite import SqliteSandbox
from glasses_agent.dialogue import DialogueManager
from glasses_agent.intents import ParseResult
from glasses_agent.skills.daily import DailySkill
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.testing import wait_for

NOW = datetime(2026, 12, 1, 10, 0).timestamp()


@pytest.fixture
def make(tmp_path):
    made = []

    def build(now=NOW):
        sandbox = SqliteSandbox(tmp_path / "agent.sqlite")
        store = DailyStore(tmp_path / "agent.sqlite", now=now)
        made.extend([sandbox, store])
        return DialogueManager(sandbox, daily=DailySkill(store, SandboxWeather(), "Helsinki")), store

    yield build
    for x in made:
        x.close()


def say(d, text, t):
    return d.on_transcript(text, None, t, t)[0]


def replies(steps):
    return [r for s in steps for r in s.replies]


def rings(steps):
    return [r for r in replies(steps) if r.message_id == "alarm_ring"]  # the trip sandbox talks too


def test_time_in_english_and_chinese(make):
    d, _ = make()
    card = say(d, "what time is it", NOW + 125).replies[0]
    assert (card.title, card.body) == ("10:02", "Tuesday 01 December 2026")
    card = say(d, "现在几点", NOW).replies[0]
    assert (card.title, card.body, card.lang) == ("10:00", "12月1日 星期二", "zh")


def test_alarm_rings_on_time_once_across_a_restart(make):
    d, store = make()
    step = say(d, "set an alarm for 7", NOW)
    seven = datetime(2026, 12, 2, 7, 0).timestamp()  # 07:00 already passed today: tomorrow
    assert step.replies[0].title == "⏰ Alarm 07:00" and step.replies[0].body == "tomorrow"
    assert [a["due"] for a in store.pending_alarms()] == [seven]
    assert say(d, "wake me up at 6:30", NOW).actions[0][2]["due"] == datetime(2026, 12, 2, 6, 30).timestamp()
    assert say(d, "明天早上七点叫醒我", NOW).replies[0].title == "⏰ 闹钟 07:00"
    assert say(d, "set an alarm", NOW).replies[0].message_id == "alarm_ask_time"
    store.close()  # the glasses restart before the alarms are due
    d2, store2 = make(now=NOW + 3600)
    assert rings(d2.tick(seven - 1800 - 1)) == []
    rung = rings(d2.tick(datetime(2026, 12, 2, 6, 30).timestamp() + 1))
    assert [r.title for r in rung] == ["⏰ 06:30"] and rung[0].kind == "warning" and rung[0].speak
    rung = rings(d2.tick(seven + 0.5))
    assert sorted(r.title for r in rung) == ["⏰ 07:00", "⏰ 07:00"] and {r.lang for r in rung} == {"en", "zh"}
    assert rings(d2.tick(seven + 60)) == [] and store2.pending_alarms() == []  # each rang once
    store2.close()
    d3, _ = make(now=seven + 120)
    assert rings(d3.tick(seven + 120)) == []  # and never again after another restart


def test_alarm_due_while_off_rings_at_start_saying_how_late(make):
    d, store = make()
    say(d, "set an alarm for 11:00", NOW)
    store.close()
    d2, _ = make()
    rung = rings(d2.tick(datetime(2026, 12, 1, 11, 20).timestamp()))
    assert rung[0].title == "⏰ 11:00" and "(20 min late)" in rung[0].body


def test_calendar_add_and_list(make):
    d, store = make()
    step = say(d, "schedule a meeting with Anna tomorrow at 3 pm", NOW)
    assert step.replies[0].title == "Added: Meeting with Anna" and step.replies[0].body == "tomorrow 15:00"
    assert store.events_between(NOW, NOW + 2 * 86400)[0]["title"] == "Meeting with Anna"
    card = say(d, "what's on my calendar tomorrow", NOW).replies[0]
    assert card.title == "tomorrow: 1 on the calendar" and card.lines == ["15:00 Meeting with Anna"]
    assert say(d, "what's on my calendar", NOW).replies[0].message_id == "schedule_empty"
    assert say(d, "明天有什么安排", NOW).replies[0].title == "明天：1项安排"


def test_flight_and_train_status_change_with_the_sandbox_clock(make):
    d, _ = make()
    card = say(d, "when is my flight", NOW).replies[0]
    assert card.title == "AY 57 to Shanghai" and card.body == "15:00 · gate 32 · on time"
    assert d.tick(NOW + 60) == []  # nothing new
    updates = replies(d.tick(NOW + 1800))  # the delay and the new gate are announced
    assert [u.title for u in updates] == ["AY 57: delayed"] and updates[0].body == "15:25 · gate 35 · delayed 25 min"
    assert replies(d.tick(NOW + 1900)) == []  # told once
    assert "delayed 25 min" in say(d, "is my flight delayed", NOW + 2000).replies[0].body
    train = ParseResult("flight_status", {}, 0.9, "en", "is my train on time")
    assert d.on_parsed(train, train.text, NOW, NOW)[0].replies[0].title == "IC 27 to Tampere"
    boarding = replies(d.tick(NOW + 3 * 3600 - 300))
    assert [u.title for u in boarding] == ["IC 27: boarding"]
    later = [u.title for u in replies(d.tick(NOW + 5 * 3600 + 25 * 60))]
    assert later == ["IC 27: departed"]  # proactive prompts go out one at a time ...
    assert replies(d.tick(NOW + 5 * 3600 + 25 * 60 + 10)) == []
    assert [u.title for u in replies(d.tick(NOW + 5 * 3600 + 25 * 60 + 31))] == ["AY 57: departed"]  # ... 30 s apart
    assert say(d, "when is my flight", NOW + 6 * 3600).replies[0].message_id == "no_trip"
    assert say(d, "我的航班几点", NOW).replies[0].title == "AY 57 去上海"


def test_weather_sandbox_is_deterministic_and_says_so(make):
    d, _ = make()
    today = say(d, "what's the weather", NOW)
    again = say(d, "what's the weather", NOW + 60)
    assert today.replies[0].title == again.replies[0].title and today.replies[0].title.startswith("Helsinki: ")
    assert today.replies[0].body.startswith("today") and today.replies[0].body.endswith("sandbox")
    assert say(d, "weather tomorrow", NOW).actions[0][2]["day"] == (datetime.fromtimestamp(NOW) + timedelta(days=1)).strftime("%Y-%m-%d")
    assert say(d, "今天天气怎么样", NOW).replies[0].title.startswith("Helsinki：")


def test_battery_from_the_power_state(make):
    d, _ = make()
    assert say(d, "how much battery is left", NOW).replies[0].message_id == "battery_unknown"
    d.on_power(ev.PowerState(stamp=1.0, mode="saver", soc=0.234, runtime_left_h=2.04, load_w=0.5, swap_state="left_only"))
    card = say(d, "how much battery is left", NOW).replies[0]
    assert (card.title, card.body) == ("Battery 23%", "about 2.0 h left · left pack only · saver mode")
    assert say(d, "还剩多少电", NOW).replies[0].title == "电量 23%"


def test_agent_node_battery_answer_and_an_alarm_set_before_it_started(ros, tmp_path):
    from rclpy.parameter import Parameter

    from glasses_agent.nodes.agent_node import AgentNode

    db = tmp_path / "agent.sqlite"
    store = DailyStore(db)
    store.add_alarm(time.time() + 1.5, "", "en", time.time())  # set by the previous run
    store.close()
    cards = ros.collect_events("display/card")
    power = ros.publisher("power/state", String)
    speech = ros.publisher("perception/transcript", String)
    ros.add(AgentNode(namespace=ros.namespace, parameter_overrides=[
        Parameter("db_path", value=str(db)), Parameter("nav_area", value=""), Parameter("tick_period_s", value=0.2)]))  # fmt: skip
    assert wait_for(lambda: power.get_subscription_count() > 0 and speech.get_subscription_count() > 0, 10)
    power.publish(String(data=ev.encode(ev.PowerState(stamp=time.time(), mode="normal", soc=0.81, runtime_left_h=6.5,
                                                      load_w=0.4, swap_state="both"))))  # fmt: skip
    time.sleep(0.3)
    t = time.time()
    speech.publish(String(data=ev.encode(ev.Transcript(stamp=t, text="how much battery is left", final=True, lang="en",
                                                       audio_start=t - 1, audio_end=t, latency_ms=50.0))))  # fmt: skip
    assert wait_for(lambda: any(c.title == "Battery 81%" for c in cards), 10)
    assert wait_for(lambda: any(c.title.startswith("⏰ ") for c in cards), 10)
