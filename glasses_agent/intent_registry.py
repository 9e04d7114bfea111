"""Every intent and slot the agent understands: names, labels (EN/ZH), descriptions, slot types.

One registry feeds the offline parser's documentation, the clarifying question ("Did you
mean to pay or to compare prices?") and the LLM tool schema (one tool per intent, with
the slots as typed parameters), so an intent added here is reachable on every path.
"""

from __future__ import annotations

from typing import Any

# slot -> JSON schema of its value
SLOTS: dict[str, dict[str, Any]] = {
    "amount": {"type": "number", "minimum": 0, "description": "amount of money as said, e.g. 12.5"},
    "currency": {"type": "string", "description": "ISO 4217 code: CNY, USD, EUR, GBP, JPY, HKD"},
    "payee": {"type": "string", "description": "who is paid, as said"},
    "item": {"type": "string", "description": "product or dish, as said, singular"},
    "quantity": {"type": "integer", "minimum": 1},
    "size": {"type": "string", "enum": ["small", "medium", "large"]},
    "restaurant": {"type": "string", "description": "restaurant as said; 'usual' for the usual place"},
    "destination": {"type": "string", "description": "one place, as said; 'home' for home"},
    "category": {"type": "string", "description": "a kind of place, e.g. pharmacy (for 'the nearest pharmacy')"},
    "pickup": {"type": "string", "description": "where the ride starts"},
    "mode": {"type": "string", "enum": ["walk", "drive", "bike", "transit"]},
    "time": {"type": "string", "description": "'[today|tonight|tomorrow|<weekday> ][HH:MM]' or '+<minutes>m'"},
    "contact": {"type": "string", "description": "person or group, as said, without 'my'"},
    "text": {"type": "string", "description": "the words to send or translate, as said"},
    "attachment": {"type": "string", "enum": ["photo", "video"]},
    "task": {"type": "string", "description": "what to be reminded of"},
    "title": {"type": "string", "description": "meeting subject"},
    "query": {"type": "string", "description": "artist, song, genre or playlist"},
    "target_lang": {"type": "string", "description": "ISO 639-1 code of the language wanted"},
    "source_lang": {"type": "string", "description": "ISO 639-1 code of the language heard or read"},
    "direction": {"type": "string", "enum": ["up", "down"]},
    "level": {"type": "integer", "minimum": 0, "maximum": 100},
    "target": {"type": "string", "enum": ["ride", "order", "payment"]},
    "flight": {"type": "string", "description": "flight number, e.g. CA981"},
    "place": {"type": "string", "description": "city or place the weather or time is for"},
    "duration_s": {"type": "integer", "minimum": 1, "description": "video length in seconds"},
}

# intent -> (English label, Chinese label, what it does, its slots)
INTENTS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "pay": ("pay", "付款", "Pay a merchant or person (a QR code in view or a payee); always confirmed.",
            ("amount", "currency", "payee")),
    "compare_price": ("compare prices", "比价", "Compare the price of the product in view or named.", ("item",)),
    "buy": ("buy it", "购买", "Buy the product in view or named; always confirmed.", ("item", "quantity")),
    "order_food": ("order food", "点外卖", "Order food for delivery; always confirmed.",
                   ("item", "quantity", "size", "restaurant", "time")),
    "hail_taxi": ("get a taxi", "打车", "Book a taxi or ride; always confirmed.", ("destination", "pickup", "size", "time")),
    "cancel": ("cancel", "取消", "Cancel what is waiting or running (payment, order, ride), or say no.", ("target",)),
    "confirm": ("confirm", "确认", "Say yes to what is waiting for confirmation.", ()),
    "navigate": ("directions", "导航", "Directions to a place, the nearest place of a kind, or how far it is.",
                 ("destination", "category", "mode")),
    "translate": ("translate", "翻译", "Translate text in view or words said.", ("text", "target_lang", "source_lang")),
    "start_subtitles": ("live captions", "实时字幕", "Show live captions / interpretation of what others say.",
                        ("target_lang", "source_lang")),
    "stop_subtitles": ("stop captions", "关闭字幕", "Stop live captions / interpretation.", ()),
    "start_notes": ("take notes", "记笔记", "Start taking notes of a meeting or talk.", ()),
    "stop_notes": ("stop notes", "停止记录", "Stop taking notes.", ()),
    "summarize_notes": ("summarize notes", "总结笔记", "Summarise the notes of a meeting or talk.", ()),
    "read_text": ("read it aloud", "朗读文字", "Read the text in view (sign, menu, label) aloud.", ()),
    "take_photo": ("take a photo", "拍照", "Take a photo with the camera.", ()),
    "record_video": ("record a video", "录像", "Start recording a video.", ("duration_s",)),
    "stop_video": ("stop the video", "停止录像", "Stop recording the video.", ()),
    "play_music": ("play music", "播放音乐", "Play or resume music.", ("query",)),
    "pause_music": ("pause music", "暂停音乐", "Pause the music.", ()),
    "next_track": ("next song", "下一首", "Skip to the next song.", ()),
    "volume": ("volume", "音量", "Change the volume.", ("direction", "level")),
    "call": ("make a call", "打电话", "Call someone.", ("contact", "time")),
    "answer_call": ("answer the call", "接电话", "Answer the incoming call.", ()),
    "hang_up": ("hang up", "挂电话", "End or decline the call.", ()),
    "send_message": ("send a message", "发消息", "Send a message to someone; always confirmed.",
                     ("contact", "text", "attachment")),
    "remind": ("set a reminder", "设提醒", "Remind the wearer of something at a time.", ("task", "time")),
    "schedule": ("calendar", "日程", "Look at or add to the calendar.", ("contact", "time", "title")),
    "teleprompter": ("teleprompter", "提词器", "Show the wearer's script on the display.", ()),
    "what_is_this": ("what is this", "识别物体", "Say what the wearer is looking at.", ()),
    "flight_status": ("flight status", "航班状态", "Status, gate or time of a flight.", ("flight",)),
    "set_alarm": ("set an alarm", "设闹钟", "Set an alarm or wake-up call.", ("time",)),
    "weather": ("weather", "天气", "Weather and forecast.", ("place", "time")),
    "time": ("the time", "时间", "The time or date now, here or somewhere.", ("place",)),
    "battery_status": ("battery", "电量", "Battery level of the glasses.", ()),
    "unknown": ("something else", "其他", "None of the others: chit-chat, noise, a half sentence.", ()),
}  # fmt: skip


def label(intent: str, lang: str) -> str:
    en, zh, _, _ = INTENTS.get(intent, INTENTS["unknown"])
    return zh if lang == "zh" else en


def tools() -> list[dict[str, Any]]:
    """OpenAI-style tool list: one function per intent, its slots as typed, optional parameters."""
    out = []
    for name, (_, _, description, slots) in INTENTS.items():
        properties = {slot: dict(SLOTS[slot]) for slot in slots}
        properties["confidence"] = {"type": "number", "minimum": 0, "maximum": 1,
                                    "description": "how sure you are of this intent"}  # fmt: skip
        out.append({"type": "function", "function": {
            "name": name, "description": description,
            "parameters": {"type": "object", "properties": properties, "additionalProperties": False},
        }})  # fmt: skip
    return out
