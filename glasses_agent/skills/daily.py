"""Time, alarms, calendar, trips, weather and battery: time / set_alarm / schedule /
flight_status / weather / battery_status.

Every answer comes from a source that holds it: the agent clock (local time of the
device), the alarm and calendar rows in SQLite (an alarm rings once when due, also
after a restart; one that came due while the glasses were off rings at start with
how late it is), the trip and weather services (sandbox by default), the battery
manager's power/state. Trip status changes (a delay, a new gate, boarding) are told
once each, when they happen.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from glasses_agent import cards, intents
from glasses_agent.backends.daily import DailyStore, Trip, WeatherService
from glasses_agent.skills.base import Outcome
from glasses_agent.skills.simple import due_time

INTENTS = ("time", "set_alarm", "schedule", "flight_status", "weather", "battery_status")
WEEKDAYS_ZH = "一二三四五六日"
ADD_EVENT = re.compile(r"\b(?:schedule|book|set up|arrange|plan|add|put)\b|安排(?!吗|什么)|约(?:了)?|预约|添加|加个")


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t).strftime("%H:%M")


def _day_word(t: float, now: float, lang: str) -> str:
    d, today = datetime.fromtimestamp(t).date(), datetime.fromtimestamp(now).date()
    delta = (d - today).days
    if lang == "zh":
        return {0: "今天", 1: "明天", 2: "后天"}.get(delta, f"{d.month}月{d.day}日")
    return {0: "today", 1: "tomorrow"}.get(delta, datetime.fromtimestamp(t).strftime("%A %d %B"))


def time_slot(slots: dict, text: str, lang: str) -> str | None:
    """The time slot the parser gave, else read from the utterance (the parser of today has no
    time slot for these intents), else "for 7" / "7点" as a clock time."""
    if slots.get("time"):
        return slots["time"]
    reader = getattr(intents, "_time_zh" if lang == "zh" else "_time_en", None)
    found = reader(text)[0] if reader else None
    if found:
        return found
    m = re.search(r"\b(?:for|at) (\d{1,2})(?::(\d\d))?\b", text)
    if m and int(m.group(1)) < 24:
        return f"{int(m.group(1)):02d}:{int(m.group(2) or 0):02d}"
    return None


class DailySkill:
    def __init__(self, store: DailyStore, weather: WeatherService, city: str = "Helsinki"):
        self.store = store
        self.weather = weather
        self.city = city
        self.power = None  # the battery manager's last power/state
        self.alarm_turns: dict[int, int] = {}

    def on_power(self, state) -> None:
        self.power = state

    def handle(self, intent: str, slots: dict, text: str, lang: str, now: float, turn_id: int) -> Outcome:
        zh = lang == "zh"
        if intent == "time":
            d = datetime.fromtimestamp(now)
            date = f"{d.month}月{d.day}日 星期{WEEKDAYS_ZH[d.weekday()]}" if zh else d.strftime("%A %d %B %Y")
            return Outcome(replies=[cards.reply("time_now", lang, clock=_clock(now), date=date)],
                           actions=[("time", "done", {"time": d.isoformat(timespec="minutes")})], completed=True)  # fmt: skip
        if intent == "set_alarm":
            slot = time_slot(slots, text, lang)
            due = due_time(slot, now)
            if due is None:
                return Outcome(replies=[cards.reply("alarm_ask_time", lang)])
            alarm_id = self.store.add_alarm(due, slots.get("title") or "", lang, now)
            self.alarm_turns[alarm_id] = turn_id
            return Outcome(replies=[cards.reply("alarm_set", lang, clock=_clock(due), day=_day_word(due, now, lang))],
                           actions=[("set_alarm", "scheduled", {"id": alarm_id, "due": due, "slot": slot})],
                           completed=True)  # fmt: skip
        if intent == "battery_status":
            return self._battery(lang)
        if intent == "weather":
            when = now + 86400 if re.search(r"\btomorrow\b|明天", text) else now
            city = slots.get("destination") or self.city
            f = self.weather.forecast(city, when)
            condition = f.condition_zh if zh else f.condition
            return Outcome(replies=[cards.reply("weather", lang, city=f.city, condition=condition, high=f.high_c,
                                                low=f.low_c, day=_day_word(when, now, lang), source=f.source)],
                           actions=[("weather", "done", {"city": f.city, "day": f.day, "condition": f.condition,
                                                         "high_c": f.high_c, "low_c": f.low_c, "source": f.source})],
                           completed=True)  # fmt: skip
        if intent == "flight_status":
            kind = "train" if re.search(r"\btrain\b|火车|高铁|动车", text) else "flight"
            trips = [t for t in self.store.trips(now) if t.kind == kind and t.status != "departed"]
            if not trips:
                return Outcome(replies=[cards.reply("no_trip", lang, what=cards.word(kind, lang))],
                               actions=[("flight_status", "none", {"kind": kind})])  # fmt: skip
            return Outcome(replies=[self._trip_card(trips[0], lang, "trip_status")],
                           actions=[("flight_status", "done", self._trip_details(trips[0]))], completed=True)  # fmt: skip
        if intent == "schedule":
            return self._schedule(slots, text, lang, now)
        raise ValueError(f"not a daily intent: {intent}")

    def tick(self, now: float, lang: str = "en") -> list[tuple[int, Outcome]]:
        """Alarms that are due (they ring at once, they are not proactive prompts)."""
        out = []
        for alarm in self.store.due_alarms(now):
            late = now - alarm["due"]
            lang = alarm["lang"]
            reply = cards.reply("alarm_ring", lang, clock=_clock(alarm["due"]), label=alarm["label"],
                                late=cards.word("late", lang).format(min=round(late / 60)) if late > 120 else "")  # fmt: skip
            out.append((self.alarm_turns.pop(alarm["id"], 0),
                        Outcome(replies=[reply], actions=[("set_alarm", "ringing", {"id": alarm["id"], "due": alarm["due"],
                                                                                    "late_s": round(late, 1)})])))  # fmt: skip
        return out

    def trip_changes(self, now: float, lang: str = "en") -> list[tuple[str, Outcome, float]]:
        """(key, outcome) of each trip whose status, delay or gate changed since it was last told."""
        out = []
        for trip in self.store.trips(now):
            key = f"{trip.status}|{trip.delay_min}|{trip.gate}"
            if trip.told == key:
                continue
            self.store.mark_told(trip.trip_id, key)
            if not trip.told and trip.status == "scheduled":
                continue  # the first look at a trip on time is no news
            out.append((f"trip:{trip.trip_id}:{key}", Outcome(replies=[self._trip_card(trip, lang, "trip_update")],
                                                             actions=[("flight_status", "changed",
                                                                       self._trip_details(trip))]), float("inf")))  # fmt: skip
        return out

    def leave_now(self, now: float, lang: str, travel_min, lead_min: float = 5.0) -> list[tuple[str, Outcome, float]]:
        """Time-to-leave prompts: departure - buffer (flight 60 min, train 5) - travel time, ``lead_min`` ahead.

        ``travel_min(kind)`` gives (minutes, "walk" | "taxi") to the station or airport, or None."""
        out = []
        for trip in self.store.trips(now):
            if trip.status == "departed":
                continue
            travel = travel_min(trip.kind)
            if travel is None:
                continue
            minutes, how = travel
            buffer_min = 60 if trip.kind == "flight" else 5
            leave_at = trip.expected - 60 * (buffer_min + minutes)
            if leave_at - 60 * lead_min <= now < trip.expected - 60 * buffer_min:
                out.append((f"leave:{trip.trip_id}:{round(trip.expected)}", Outcome(
                    replies=[cards.reply("leave_now", lang, number=trip.number, clock=_clock(trip.expected),
                                         minutes=round(minutes), how=cards.word(how, lang),
                                         place=cards.word("airport" if trip.kind == "flight" else "station", lang))],
                    actions=[("proactive_leave", "due", {"trip": trip.trip_id, "travel_min": round(minutes, 1),
                                                         "how": how, "leave_at": leave_at})]),
                    trip.expected - 60 * buffer_min))  # fmt: skip
        return out

    def battery_short(self, now: float, lang: str) -> list[tuple[str, Outcome, float]]:
        """A warning when the battery will not last until the next calendar entry (within 12 h)."""
        p = self.power
        if p is None:
            return []
        for event in self.store.events_between(now, now + 12 * 3600):
            if p.runtime_left_h * 3600.0 < event["start"] - now:
                return [(f"battery:{event['id']}", Outcome(
                    replies=[cards.reply("battery_short", lang, title=event["title"], clock=_clock(event["start"]),
                                         hours=f"{p.runtime_left_h:.1f}")],
                    actions=[("proactive_battery", "due", {"event": event["id"], "runtime_left_h": p.runtime_left_h})]),
                    event["start"])]  # fmt: skip
            return []
        return []

    # -- internals ----------------------------------------------------------------------

    def _battery(self, lang: str) -> Outcome:
        p = self.power
        if p is None:
            return Outcome(replies=[cards.reply("battery_unknown", lang)],
                           actions=[("battery_status", "unknown", {})], failed=True)  # fmt: skip
        hours = f"{p.runtime_left_h:.1f}"
        packs = cards.word(f"packs_{p.swap_state}", lang)
        mode = cards.word(f"mode_{p.mode}", lang) if p.mode != "normal" else ""
        return Outcome(replies=[cards.reply("battery_status", lang, percent=round(100 * p.soc), hours=hours, packs=packs,
                                            mode=mode)],
                       actions=[("battery_status", "done", {"soc": p.soc, "runtime_left_h": p.runtime_left_h,
                                                            "mode": p.mode, "swap_state": p.swap_state})],
                       completed=True)  # fmt: skip

    def _schedule(self, slots: dict, text: str, lang: str, now: float) -> Outcome:
        slot = time_slot(slots, text, lang)
        title = slots.get("title") or slots.get("task")
        if not title and slots.get("contact"):
            title = f"和{slots['contact']}开会" if lang == "zh" else f"Meeting with {slots['contact'].title()}"
        if ADD_EVENT.search(text) and slot and ":" in slot:
            start = due_time(slot, now)
            title = title or ("会议" if lang == "zh" else "Meeting")
            event_id = self.store.add_event(start, title, "", lang)
            return Outcome(replies=[cards.reply("schedule_added", lang, title=title, clock=_clock(start),
                                                day=_day_word(start, now, lang))],
                           actions=[("schedule", "added", {"id": event_id, "start": start, "title": title})],
                           completed=True)  # fmt: skip
        day_start = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
        if slot and ("tomorrow" in slot or "day after" in slot or any(w in slot for w in ("monday", "tuesday", "wednesday",
                                                                                         "thursday", "friday", "saturday",
                                                                                         "sunday"))):  # fmt: skip
            day_start = datetime.fromtimestamp(due_time(slot.split(" ")[0] if ":" not in slot else slot, now)).replace(
                hour=0, minute=0, second=0, microsecond=0)  # fmt: skip
        t0 = day_start.timestamp()
        t1 = (day_start + timedelta(days=1)).timestamp()
        events = self.store.events_between(t0, t1)
        day = _day_word(t0 + 1, now, lang)
        if not events:
            return Outcome(replies=[cards.reply("schedule_empty", lang, day=day)],
                           actions=[("schedule", "listed", {"day": day, "events": 0})], completed=True)  # fmt: skip
        lines = [f"{_clock(e['start'])} {e['title']}" for e in events]
        return Outcome(replies=[cards.reply("schedule_list", lang, day=day, count=len(events), first=lines[0], lines=lines)],
                       actions=[("schedule", "listed", {"day": day, "events": len(events)})], completed=True)  # fmt: skip

    @staticmethod
    def _trip_details(trip: Trip) -> dict:
        return {"trip": trip.trip_id, "number": trip.number, "status": trip.status, "delay_min": trip.delay_min,
                "gate": trip.gate, "departs": trip.departs, "expected": trip.expected}  # fmt: skip

    @staticmethod
    def _trip_card(trip: Trip, lang: str, message_id: str):
        zh = lang == "zh"
        delay = (f"晚点{trip.delay_min}分钟" if zh else f"delayed {trip.delay_min} min") if trip.delay_min else (
            "准点" if zh else "on time")  # fmt: skip
        where = ("登机口" if trip.kind == "flight" else "站台") if zh else ("gate" if trip.kind == "flight" else "platform")
        return cards.reply(message_id, lang, number=trip.number, destination=trip.destination_zh if zh else trip.destination,
                           clock=_clock(trip.expected), where=where, gate=trip.gate, delay=delay,
                           status=cards.word(trip.status, lang))  # fmt: skip
