"""Intents that need no paid back-end: they become agent actions for the node that
owns the feature, a reminder the agent keeps, or an honest "not available offline"
card where a service is missing (navigation has its own skill, skills/navigate.py; music
skills/music.py; photo and video skills/capture.py; notes, captions, translation,
teleprompter, "what is this" and read aloud skills/meeting.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from glasses_agent import cards
from glasses_agent.skills.base import Outcome

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ACTION_TITLES: dict[str, tuple[str, str, str, str]] = {}  # node-owned actions now live in their skills
NOT_OFFLINE = {
    "call": ("Calls", "通话", "Needs the paired phone", "需要连接手机"),
    "answer_call": ("Calls", "通话", "Needs the paired phone", "需要连接手机"),
    "hang_up": ("Calls", "通话", "Needs the paired phone", "需要连接手机"),
    "send_message": ("Messages", "消息", "Needs the paired phone", "需要连接手机"),
    "schedule": ("Calendar", "日历", "Needs the calendar service", "需要日历服务"),
}


def due_time(slot: str | None, now: float) -> float | None:
    """Epoch seconds of a time slot ("+10m", "tomorrow 08:00", "20:00", "friday"), None if unreadable."""
    if not slot:
        return None
    if slot.startswith("+") and slot.endswith("m"):
        try:
            return now + 60.0 * float(slot[1:-1])
        except ValueError:
            return None
    base = datetime.fromtimestamp(now)
    day, clock = base, None
    for part in slot.split(" ", 1) if not slot.startswith("day after") else ["day_after", slot.split()[-1]]:
        if ":" in part:
            hh, mm = part.split(":")
            clock = (int(hh), int(mm))
        elif part == "tomorrow":
            day = base + timedelta(days=1)
        elif part == "day_after":
            day = base + timedelta(days=2)
        elif part in WEEKDAYS:
            day = base + timedelta(days=(WEEKDAYS.index(part) - base.weekday()) % 7 or 7)
        elif part == "tonight" and clock is None:
            clock = (20, 0)
    hh, mm = clock or (9, 0)
    when = day.replace(hour=hh, minute=mm, second=0, microsecond=0)
    if when.timestamp() <= now and day is base:
        when += timedelta(days=1)
    return when.timestamp()


def handle(intent: str, slots: dict, lang: str, context: dict) -> Outcome:
    """Outcome of a non-paying intent; ``context`` holds the volume."""
    zh = lang == "zh"
    if intent in NOT_OFFLINE:
        en_name, zh_name, en_hint, zh_hint = NOT_OFFLINE[intent]
        details = {k: v for k, v in slots.items()}
        return Outcome(
            replies=[cards.reply("not_offline", lang, feature=zh_name if zh else en_name, hint=zh_hint if zh else en_hint)],
            actions=[(intent, "unavailable", details)],
            failed=True,
        )
    if intent in ACTION_TITLES:
        en_t, zh_t, en_b, zh_b = ACTION_TITLES[intent]
        title = zh_t if zh else en_t
        return Outcome(replies=[cards.reply("action", lang, title=title, body=zh_b if zh else en_b)],
                       actions=[(intent, "requested", dict(slots))], completed=True)  # fmt: skip
    # Understood, but no skill here yet: say so plainly instead of "didn't understand".
    from glasses_agent.intent_registry import label

    return Outcome(replies=[cards.reply("not_offline", lang, feature=label(intent, lang), hint="")],
                   actions=[(intent, "unsupported", dict(slots))], failed=True)  # fmt: skip
