"""Proactive help: leave-now from the route time to the station or airport, trip changes,
reminders, the battery not lasting until the next calendar entry; rate-limited, dismissed
by a head shake, counted."""

from datetime import datetime

import pytest

from glasses_agent.backends.daily import DailyStore, SandboxWeather
from glasses_agent.backends.maps import load_map
from glasses_agent.backends.sqlite import SqliteSandbox
from glasses_agent.dialogue import DialogueManager
from glasses_agent.skills.base import Outcome
from glasses_agent.skills.daily import DailySkill
from glasses_agent.skills.navigate import MapProvider, NavigateSkill
from glasses_agent.skills.proactive import Proactive
from glasses_bringup.foundation import events as ev

NOW = datetime(2026, 12, 1, 10, 0).timestamp()
KAISANIEMI = (60.17470, 24.94830)  # about 0.9 km walk from the railway station


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    return load_map("helsinki", cache_dir=tmp_path_factory.mktemp("maps"))


@pytest.fixture
def agent(tmp_path, walk):
    sandbox = SqliteSandbox(tmp_path / "agent.sqlite")
    store = DailyStore(tmp_path / "agent.sqlite", now=NOW)
    d = DialogueManager(sandbox, navigator=NavigateSkill(MapProvider(walk_map=walk)),
                        daily=DailySkill(store, SandboxWeather()))  # fmt: skip
    yield d
    store.close()
    sandbox.close()


def shown(steps, message_id):
    return [r for s in steps for r in s.replies if r.message_id == message_id]


def test_prompts_are_deduplicated_rate_limited_prioritised_and_expire():
    p = Proactive(min_gap_s=30.0)
    assert p.offer("battery", "b1", Outcome(), 0.0) and not p.offer("battery", "b1", Outcome(), 1.0)
    p.offer("reminder", "r1", Outcome(), 0.0)
    p.offer("leave_now", "l1", Outcome(), 0.0, expires=20.0)
    assert [o.actions[-1][2]["kind"] for _, o in p.tick(0.0)] == ["reminder"]  # most important first
    assert p.tick(29.0) == []  # one at a time, 30 s apart
    assert [o.actions[-1][2]["kind"] for _, o in p.tick(30.0)] == ["battery"]  # the leave-now expired unshown
    assert p.counts == {"battery.offered": 1, "reminder.offered": 1, "leave_now.offered": 1, "reminder.shown": 1,
                        "leave_now.expired": 1, "battery.shown": 1}  # fmt: skip
    assert p.dismiss(40.0, "en").actions[0] == ("proactive", "dismissed", {"kind": "battery", "key": "b1"})
    assert p.dismiss(41.0, "en") is None and p.counts["battery.dismissed"] == 1


def test_leave_now_for_the_train_from_the_walking_route(agent):
    d = agent
    d.on_fix(*KAISANIEMI, 4.0, NOW, NOW)
    walk_min = d._travel_min("train", NOW)
    assert walk_min[1] == "walk" and 5 < walk_min[0] < 25
    departs = NOW + 3 * 3600  # IC 27 in the sandbox
    leave_at = departs - 60 * (5 + walk_min[0])
    t = leave_at - 6 * 60
    d.on_fix(*KAISANIEMI, 4.0, t, t)
    assert shown(d.tick(t), "leave_now") == []
    t = leave_at - 4 * 60
    d.on_fix(*KAISANIEMI, 4.0, t, t)
    card = shown(d.tick(t), "leave_now")[0]
    assert card.title == "Time to leave" and card.body == f"IC 27 at 13:00 · {round(walk_min[0])} min by walk to the station"
    assert card.speak and shown(d.tick(t + 60), "leave_now") == []  # told once


def test_leave_now_for_the_flight_by_taxi_and_the_delay_first(agent):
    d = agent
    taxi = d._travel_min("flight", NOW)
    assert taxi[1] == "taxi"
    expected = NOW + 5 * 3600 + 25 * 60  # AY 57 with its sandbox delay
    t = expected - 60 * (60 + taxi[0]) - 60
    told = []
    for k in range(3):  # the two trip changes go first, one every 30 s, then the leave-now
        told += [(r.message_id, r.title, r.body) for s in d.tick(t + 30 * k) for r in s.replies]
    assert [x[1] for x in told] == ["IC 27: departed", "AY 57: delayed", "Time to leave"]
    assert told[2][2].startswith("AY 57 at 15:25 · ") and told[2][2].endswith("min by taxi to the airport")
    assert d.metrics()["proactive"]["leave_now.shown"] == 1


def test_battery_not_lasting_until_the_next_meeting_is_dismissed_by_a_shake(agent):
    d = agent
    d.daily.store.add_event(NOW + 3 * 3600, "Design review")
    d.on_power(ev.PowerState(stamp=NOW, mode="saver", soc=0.12, runtime_left_h=1.5, load_w=0.6, swap_state="left_only"))
    card = shown(d.tick(NOW), "battery_short")[0]
    assert card.title == "Battery won't last" and card.body.startswith("until Design review at 13:00 · 1.5 h left")
    dismissed = d.on_head_gesture("shake", 0.9, NOW + 3, NOW + 3)[0]
    assert dismissed.actions == [("proactive", "dismissed", {"kind": "battery", "key": dismissed.actions[0][2]["key"]})]
    assert d.on_head_gesture("shake", 0.9, NOW + 4, NOW + 4) == []  # nothing more to dismiss
    m = d.metrics()["proactive"]
    assert (m["battery.offered"], m["battery.shown"], m["battery.dismissed"]) == (1, 1, 1)
    assert shown(d.tick(NOW + 600), "battery_short") == []  # the same warning is not repeated


def test_due_reminder_is_a_proactive_prompt_in_chinese(agent):
    d = agent
    d.on_transcript("十分钟后提醒我喝水", None, NOW, NOW)
    card = shown(d.tick(NOW + 601), "reminder_due")[0]
    assert card.lang == "zh" and "喝水" in card.body and d.metrics()["proactive"]["reminder.shown"] == 1
