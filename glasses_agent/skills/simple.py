"""Intents that need no paid back-end: they become agent actions for the node that
owns the feature (notes, teleprompter), a reminder the agent keeps, or an
honest "not available offline" card where a service is missing (navigation has its
own skill, skills/navigate.py; music skills/music.py; photo and video skills/capture.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from glasses_agent import cards
from glasses_agent.skills.base import Outcome

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ACTION_TITLES = {
    "start_notes": ("Taking notes", "记录中", "Say \"stop notes\" to finish", "说“停止记录”结束"),
    "stop_notes": ("Notes saved", "笔记已保存", "", ""),
    "teleprompter": ("Teleprompter on", "提词器已打开", "Swipe to scroll", "滑动翻页"),
}
NOT_OFFLINE = {
    "translate": ("Translation", "翻译", "Configure an LLM endpoint (llm_url)", "请配置大模型接口 (llm_url)"),
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
    """Outcome of a non-paying intent; ``context`` holds what the agent last saw and its volume."""
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
    if intent == "what_is_this":
        seen = context.get("seen")
        if not seen:
            return Outcome(replies=[cards.reply("seen", lang, what="…", detail="Nothing recognized in view" if not zh
                                                else "视野中没有识别到物体")], failed=True)  # fmt: skip
        return Outcome(replies=[cards.reply("seen", lang, what=seen["what"], detail=seen.get("detail", ""))],
                       actions=[("what_is_this", "done", dict(seen))], completed=True)  # fmt: skip
    # Understood, but no skill here yet: say so plainly instead of "didn't understand".
    from glasses_agent.intent_registry import label

    return Outcome(replies=[cards.reply("not_offline", lang, feature=label(intent, lang), hint="")],
                   actions=[(intent, "unsupported", dict(slots))], failed=True)  # fmt: skip
