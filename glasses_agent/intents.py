"""Offline, deterministic intent parser for English and simplified Chinese commands.

``parse(utterance, lang=None)`` returns a ``ParseResult``: one of the documented
intent names (``INTENTS``), typed slots and a confidence. Rules are ordered regular
expressions (first match wins, so specific phrasings sit above generic ones);
numbers are read with text2num (English words) and cn2an (Chinese numerals).
Anything no rule claims is ``unknown`` with confidence 0, which the dialogue turns
into a question back to the wearer.

Slot types (all optional, present only when said):

- ``amount`` float and ``currency`` ISO 4217 code (CNY, USD, EUR, GBP, JPY, HKD)
- ``payee``, ``contact``, ``destination``, ``pickup``, ``restaurant``, ``item``,
  ``task``, ``title``, ``query``, ``text``: strings as said (lower case in English;
  "the usual place" and 老地方 become ``restaurant="usual"``)
- ``quantity`` int; ``size`` small | medium | large
- ``time``: "[today|tomorrow|tonight|monday..sunday ][HH:MM]" or "+<minutes>m"
- ``target_lang`` / ``source_lang``: ISO 639-1 (en, zh, es, fr, ja, ko, de, ru)
- ``direction`` up | down and ``level`` 0-100 (volume); ``target`` ride | order |
  payment (cancel); ``mode`` walk | drive | bike | transit (navigate)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import cn2an
from text_to_num import alpha2digit

INTENTS = (
    "pay",
    "compare_price",
    "buy",
    "order_food",
    "hail_taxi",
    "cancel",
    "confirm",
    "navigate",
    "translate",
    "start_notes",
    "stop_notes",
    "play_music",
    "pause_music",
    "next_track",
    "volume",
    "call",
    "remind",
    "schedule",
    "teleprompter",
    "what_is_this",
    "unknown",
)

CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class ParseResult:
    intent: str
    slots: dict[str, Any] = field(default_factory=dict)
    confidence: float = 0.0
    lang: str = "en"
    text: str = ""  # normalized utterance the rules saw
    backend: str = "offline"

    def as_dict(self) -> dict[str, Any]:
        return {"intent": self.intent, "slots": self.slots, "confidence": round(self.confidence, 2)}


def detect_lang(text: str) -> str:
    return "zh" if CJK.search(text) else "en"


def parse(utterance: str, lang: str | None = None) -> ParseResult:
    """Intent and slots of one utterance; never raises on any string."""
    if not isinstance(utterance, str):
        return ParseResult("unknown", lang=lang or "en")
    text = utterance.strip()
    if lang not in ("en", "zh"):
        lang = detect_lang(text)
    if not text:
        return ParseResult("unknown", lang=lang, text="")
    if lang == "zh" or CJK.search(text):
        return _parse_zh(text)
    return _parse_en(text)


def extract_amount(utterance: str, lang: str | None = None) -> tuple[float, str | None] | None:
    """(amount, currency or None) said anywhere in an utterance ("twenty yuan", "十二块五"), else None."""
    slots: dict[str, Any] = {}
    if (lang or detect_lang(utterance)) == "zh":
        _amount_zh(_normalize_zh(utterance), slots)
        if "amount" not in slots:
            m = re.fullmatch(NUM, _normalize_zh(utterance))
            value = _zh_number(m.group(0)) if m else None
            if value is not None:
                slots["amount"] = value
    else:
        t = _normalize_en(utterance)
        _amount_en(t, slots)
        if "amount" not in slots:
            m = re.fullmatch(r"(?:pay )?(\d+(?:\.\d+)?)", t)
            if m:
                slots["amount"] = float(m.group(1))
    if "amount" not in slots:
        return None
    return slots["amount"], slots.get("currency")


# ================================================================ English ==========

EN_FILLERS = re.compile(
    r"\b(?:hey|hi|ok|okay) glass(?:es)?\b|\bglasses\b,|\b(?:um+|uh+|erm|er|hmm+|ah|oh|well|so|just|actually|"
    r"basically|kindly|please|pls|right now|now|quickly|for me|real quick)\b|"
    r"\b(?:can|could|would|will) you\b|\bi(?:'d| would) like to\b|\bi want to\b|\bi wanna\b|\blet's\b"
)
EN_PUNCT = re.compile(r"[^\w\s$¥€£:.'%-]")

CURRENCY_WORDS = {
    "yuan": "CNY", "rmb": "CNY", "kuai": "CNY", "cny": "CNY", "renminbi": "CNY",
    "dollar": "USD", "dollars": "USD", "bucks": "USD", "usd": "USD",
    "euro": "EUR", "euros": "EUR", "eur": "EUR",
    "pound": "GBP", "pounds": "GBP", "gbp": "GBP",
    "yen": "JPY", "jpy": "JPY", "hkd": "HKD",
}  # fmt: skip
CURRENCY_SYMBOLS = {"$": "USD", "¥": "CNY", "€": "EUR", "£": "GBP"}
LANGS = {
    "english": "en", "chinese": "zh", "mandarin": "zh", "spanish": "es", "french": "fr",
    "japanese": "ja", "korean": "ko", "german": "de", "russian": "ru",
}  # fmt: skip
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SIZES_EN = {"large": "large", "big": "large", "extra large": "large", "medium": "medium", "regular": "medium",
            "small": "small", "little": "small"}  # fmt: skip

# (intent, pattern, confidence); first match wins.
EN_RULES: list[tuple[str, re.Pattern, float]] = [
    (i, re.compile(p), c)
    for i, p, c in [
        ("confirm", r"^(?:yes|yeah|yep|yup|confirm(?:ed)?|ok|sure|go ahead|do it|approve[d]?|correct|i confirm|"
         r"that's right|sounds good|yes confirm|confirm (?:it|that|the (?:payment|order|ride)|payment|order|ride)|"
         r"(?:ok|okay|yes|yeah|yep|yup|sure) (?:do it|go ahead|confirm|please)|yes do it|yes go ahead|pay it|place the order|book it)(?: it| that)?$", 0.95),
        ("cancel", r"\b(?:cancel|stop|abort|call off)\b.*\b(?:ride|taxi|cab|car|trip|order|food|payment|delivery)\b", 0.95),
        ("cancel", r"^(?:no|nope|cancel|stop|abort|never ?mind|forget (?:about )?it|don't|do not|don't do it|"
         r"no thanks|not now|cancel (?:it|that|this))(?: it| that| this)?$", 0.95),
        ("stop_notes", r"\b(?:stop|end|finish|pause|quit)\b (?:taking |the |my |meeting |recording )*"
         r"(?:notes|note taking|notetaking|transcri\w+|recording)\b", 0.9),
        ("start_notes", r"\b(?:take|taking|start|begin|make|jot)\b (?:some |meeting |the |down )*notes\b|"
         r"\b(?:record|transcribe|minute)\b (?:this|the|our) (?:meeting|conversation|lecture|talk|call)\b|"
         r"\bmeeting notes\b|\bnote taking\b|\bstart transcri\w+", 0.9),
        ("teleprompter", r"\bteleprompter\b|\bprompter\b|\b(?:show|scroll|display)\b (?:me )?my "
         r"(?:speech|script|talk|slides notes|presentation)\b", 0.9),
        ("translate", r"\btranslat\w*\b|\bhow (?:do|would) (?:you|i) say\b|\bwhat does (?:this|that|it|the)(?: \w+)? "
         r"(?:say|mean)\b|\bin (?:english|chinese|mandarin|spanish|french|japanese|korean|german|russian)\b", 0.9),
        ("what_is_this", r"\bwhat(?:'s| is) (?:this|that|it)\b|\bwhat am i looking at\b|\bidentify\b|"
         r"\bwhat are (?:these|those)\b|\bwhat (?:kind|type|sort) of \w+(?: \w+)? (?:is|are) (?:this|that|these|those)\b|\btell me (?:about )?what (?:this|that) is\b|\brecognize (?:this|that)\b", 0.85),
        ("next_track", r"\b(?:next|skip)\b(?: (?:this|the))? ?(?:song|track|one|tune)?\b|\bplay (?:the )?next\b", 0.9),
        ("pause_music", r"\b(?:pause|stop|halt|hold)\b (?:the )?(?:music|song|playback|playing|track|audio)\b|"
         r"^pause(?: it| this)?$|\bmute the music\b", 0.9),
        ("volume", r"\bvolume\b|\b(?:louder|quieter|softer)\b|\bturn (?:it|the sound|this|that) (?:up|down)\b|"
         r"\bmute\b|\bunmute\b|\bcan't hear\b|\btoo loud\b", 0.9),
        ("remind", r"\bremind\b|\breminder\b|\bdon't let me forget\b", 0.9),
        ("schedule", r"\bschedule\b|\bcalendar\b|\bagenda\b|\bappointment\b|\b(?:set up|book|arrange|plan) "
         r"(?:a |an )?(?:meeting|call)\b|\bmeeting with\b|\b(?:any|my|the) meetings?\b|\bwhat(?:'s| is) on (?:my|the)\b|\bam i free\b", 0.85),
        ("compare_price", r"\bcheap(?:er|est)\b", 0.85),
        ("hail_taxi", r"\b(?:taxi|cab|uber|didi)\b|\btake me (?:to|home)\b|\bdrive me\b|\bget me a (?:car|ride)\b|"
         r"\bhail\b|\bpick me up\b|\bride (?:to|home)\b|\bbook a (?:car|ride)\b|\bneed a (?:car|ride)\b", 0.9),
        ("navigate", r"\bnavigat\w*\b|\bdirections?\b|\bhow (?:do|can|should) i get to\b|\bwalk(?:ing)? (?:me )?to\b|"
         r"\bguide me\b|\broute to\b|\bway to\b|\bwhere is\b|\bshow me the way\b|\bhead(?:ing)? to\b|\bgo to\b", 0.85),
        ("call", r"\b(?:call|phone|ring|dial|facetime)\b(?! (?:a|an|the) (?:taxi|cab|car|ride))", 0.9),
        ("buy", r"\bbuy\b|\bpurchase\b|\badd (?:it |this |that )?to (?:my |the )?(?:cart|basket)\b|"
         r"\border (?:it|this|that|this one|that one)\b|\bget (?:it|this one|that one)\b$|\bi'll take (?:it|this|that)\b", 0.9),
        ("order_food", r"\border\b|\bdeliver\w*\b|\btake ?out\b|\btake ?away\b|\bi(?:'m| am) hungry\b|"
         r"\b(?:get|bring) me (?:\d+|a|an|some) .+ from\b|\bfood\b|\blunch\b|\bdinner\b", 0.85),
        ("pay", r"\bpay\b|\bpayment\b|\bcheck ?out\b|\bsettle (?:the |my )?(?:bill|check)\b|\bsend \$?\d", 0.9),
        ("compare_price", r"\bcompar\w*\b|\bcheaper\b|\bcheapest\b|\bbest (?:price|deal|offer)\b|\bprice\w*\b|"
         r"\bhow much (?:is|does|are|for)\b|\bcost\b|\bworth it\b|\bgood deal\b", 0.85),
        ("play_music", r"\bplay\b|\bput on\b|\bresume (?:the )?(?:music|song)\b|\bmusic\b", 0.85),
    ]
]

TIME_EN = re.compile(
    r"\bin (?P<rel>\d+(?:\.\d+)?) ?(?P<unit>minutes?|mins?|hours?|hrs?|h)\b|"
    r"\bin (?:an|1) hour\b|\bin half an hour\b|"
    r"\b(?P<day>today|tonight|tomorrow|day after tomorrow|this (?:morning|afternoon|evening)|"
    r"(?:next |on )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b|"
    r"\b(?:at )?(?P<noon>noon|midday|midnight)\b|"
    r"\b(?:at |by |around )?(?P<hh>\d{1,2})(?::(?P<mm>\d{2}))? ?(?P<ampm>am|pm|a\.m\.|p\.m\.|o'clock)|"
    r"\b(?:at|by|around) (?P<hh2>\d{1,2})(?::(?P<mm2>\d{2}))?\b|"
    r"\bhalf past (?P<hp>\d{1,2})\b"
)


def _normalize_en(text: str) -> str:
    t = text.lower().replace("’", "'")
    t = EN_PUNCT.sub(" ", t)
    t = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", t)  # sentence dots, keep 12.50
    t = EN_FILLERS.sub(" ", t)
    t = re.sub(r"\s+", " ", t).strip()
    try:
        t = alpha2digit(t, "en", threshold=0)
    except Exception:  # text2num refuses odd input; the words still parse without it
        pass
    t = re.sub(r"\b(this|that|next|the next|which) 1\b", r"\1 one", t)
    t = re.sub(r"\ba (?=\d)", "", t)  # "a 100 yuan" -> "100 yuan"
    return re.sub(r"\s+", " ", t).strip()


def _time_en(t: str) -> tuple[str | None, str]:
    """Canonical time slot and the text with the time phrases removed."""
    day = clock = None
    rel: float | None = None
    spans = []
    for m in TIME_EN.finditer(t):
        g = m.groupdict()
        spans.append(m.span())
        s = m.group(0)
        if g["rel"]:
            n = float(g["rel"])
            rel = n * (60 if g["unit"].startswith("h") else 1)
        elif "half an hour" in s:
            rel = 30
        elif "hour" in s and s.startswith("in"):
            rel = 60
        elif g["day"]:
            d = g["day"].replace("next ", "").replace("on ", "")
            if d == "tonight":
                day = "tonight"
            elif d.startswith("this "):
                day = {"morning": "today", "afternoon": "today", "evening": "tonight"}[d.split()[1]]
            else:
                day = d
        elif g["noon"]:
            clock = "00:00" if g["noon"] == "midnight" else "12:00"
        elif g["hh"] or g["hh2"] or g["hp"]:
            hh = int(g["hh"] or g["hh2"] or g["hp"])
            mm = int(g["mm"] or g["mm2"] or (30 if g["hp"] else 0))
            ampm = (g["ampm"] or "").replace(".", "")
            if ampm == "pm" and hh < 12:
                hh += 12
            if ampm == "am" and hh == 12:
                hh = 0
            if hh > 23 or mm > 59:
                spans.pop()
                continue
            clock = f"{hh:02d}:{mm:02d}"
    if rel is not None:
        out = f"+{int(round(rel))}m"
    else:
        if day == "tonight":
            if clock and int(clock[:2]) < 12:
                clock = f"{int(clock[:2]) + 12:02d}{clock[2:]}"
        parts = [p for p in (day, clock) if p]
        out = " ".join(parts) if parts else None
    rest = t
    for a, b in sorted(spans, reverse=True):
        rest = rest[:a] + " " + rest[b:]
    return out, re.sub(r"\s+", " ", rest).strip()


AMOUNT_EN = re.compile(
    r"(?P<sym>[$¥€£]) ?(?P<n1>\d+(?:\.\d+)?)|"
    r"(?P<n2>\d+(?:\.\d+)?)(?: (?P<cents>\d{2})(?= (?:yuan|dollars?|euros?|rmb|kuai|bucks)))? ?"
    r"(?P<cur>hong kong dollars?|yuan|rmb|kuai|cny|renminbi|dollars?|bucks|usd|euros?|eur|pounds?|gbp|yen|jpy|hkd)\b"
    r"(?: and (?P<c2>\d{1,2}) cents)?"
)


def _amount_en(t: str, slots: dict) -> str:
    m = AMOUNT_EN.search(t)
    if not m:
        m2 = re.search(r"\bpay (?:\w+ )*?(?P<n>\d+(?:\.\d+)?)\b", t)
        if m2:
            slots["amount"] = float(m2.group("n"))
            return t[: m2.start("n")] + t[m2.end("n") :]
        return t
    g = m.groupdict()
    if g["sym"]:
        slots["amount"] = float(g["n1"])
        slots["currency"] = CURRENCY_SYMBOLS[g["sym"]]
    else:
        value = float(g["n2"])
        cents = g["cents"] or g["c2"]
        if cents:
            value += int(cents) / 100.0
        slots["amount"] = round(value, 2)
        cur = g["cur"]
        slots["currency"] = "HKD" if cur.startswith("hong kong") else CURRENCY_WORDS[cur]
    return (t[: m.start()] + " " + t[m.end() :]).strip()


def _clean_phrase(s: str | None) -> str | None:
    if not s:
        return None
    s = s.strip()
    while True:  # "for to call the bank" -> "call the bank"
        stripped = re.sub(r"^(?:the|a|an|my|some|to|for|of|about) ", "", s)
        if stripped == s:
            break
        s = stripped
    s = re.sub(r" (?:please|thanks|thank you|now|then|it|ok)$", "", s).strip()
    return s or None


def _singular(item: str) -> str:
    words = item.split()
    w = words[-1]
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif re.search(r"(?:ches|shes|sses|xes)$", w):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        w = w[:-1]
    words[-1] = w
    return " ".join(words)


def _qty_size_item(phrase: str, slots: dict) -> None:
    """"2 large beef noodles" -> quantity 2, size large, item "beef noodle"."""
    m = re.match(
        r"^(?:(?P<q>\d+|a|an|one)\s)?(?:(?:bowls?|cups?|plates?|boxes|box|bottles?|portions?|orders?|packs?|servings?)"
        r"(?: of)?\s)?(?P<size>extra large|large|big|medium|regular|small|little)?\s?(?:size\s)?(?P<item>.*)$",
        phrase.strip(),
    )
    if not m:
        return
    q = m.group("q")
    if q:
        slots["quantity"] = int(q) if q.isdigit() else 1
    if m.group("size"):
        slots["size"] = SIZES_EN[m.group("size")]
    item = _clean_phrase(m.group("item"))
    if item and item not in ("it", "this", "that", "these", "those", "one", "this one", "that one", "food", "something"):
        slots["item"] = _singular(item)


PLACE_STOP = r"(?= (?:at|in|by|tomorrow|tonight|today|now|using|with|via|on foot|by car|and)\b|$)"


def _slots_en(intent: str, t: str) -> dict[str, Any]:
    slots: dict[str, Any] = {}
    time, rest = _time_en(t) if intent in ("remind", "schedule", "hail_taxi", "order_food", "call") else (None, t)
    if time:
        slots["time"] = time
    if intent == "pay":
        rest = _amount_en(rest, slots)
        m = re.search(r"\bto (?P<p>[a-z][\w' &-]*)$", rest) or re.search(
            r"^(?:pay|send) (?P<p>(?!for\b|this\b|the bill\b|it\b|with\b)[a-z][\w' &-]*?)(?: for .*)?$", rest
        )
        if m and _clean_phrase(m.group("p")) not in (None, "pay", "bill", "this", "it", "here", "the bill"):
            slots["payee"] = _clean_phrase(m.group("p"))
    elif intent in ("hail_taxi", "navigate"):
        if re.search(r"\b(?:take|drive|ride|get|walk|navigate|go|directions?|way) (?:me )?home\b", rest):
            slots["destination"] = "home"
        m = re.search(r"\b(?:to|towards|for) (?P<d>(?!me\b)[\w' &-]+?)" + PLACE_STOP, rest)
        if m and "destination" not in slots:
            slots["destination"] = _clean_phrase(m.group("d"))
        m = re.search(r"\bwhere is (?P<d>[\w' &-]+?)" + PLACE_STOP, rest)
        if m and "destination" not in slots:
            slots["destination"] = _clean_phrase(m.group("d"))
        m = re.search(r"\bfrom (?P<p>[\w' &-]+?)" + PLACE_STOP.replace("|$", "| to\\b|$"), rest)
        if m:
            slots["pickup"] = _clean_phrase(m.group("p"))
        if intent == "hail_taxi" and re.search(r"\b(?:big|large|xl|suv|van|6 seater|seven seater)\b", rest):
            slots["size"] = "large"
        if intent == "navigate":
            for mode, pat in (("walk", r"\bwalk\w*|on foot\b"), ("drive", r"\bdriv\w+|by car\b"),
                              ("bike", r"\bbik\w+|cycl\w+"), ("transit", r"\b(?:bus|subway|metro|transit|train)\b(?! station)")):  # fmt: skip
                if re.search(pat, rest.replace(slots.get("destination") or "\0", "")):
                    slots["mode"] = mode
                    break
    elif intent == "order_food":
        m = re.search(r"\bfrom (?P<r>[\w' &-]+?)$", rest)
        if m:
            r = _clean_phrase(m.group("r"))
            slots["restaurant"] = "usual" if r and "usual" in r else r
            rest = rest[: m.start()].strip()
        rest = re.sub(r" (?:delivered|for delivery|to go|please)$", "", rest)
        m = re.search(r"\b(?:order|get me|bring me|deliver|i want|i'd like|i would like|i'll have|have)\b (?:me )?(?P<p>.+)$", rest)
        if m:
            _qty_size_item(re.sub(r"^(?:some )?(?:food )?", "", m.group("p")), slots)
    elif intent == "buy":
        m = re.search(r"\b(?:buy|purchase|order|get)\b (?P<p>.+?)(?: (?:for me|online|here|now))?$", rest)
        if m:
            _qty_size_item(m.group("p"), slots)
            slots.pop("size", None)
    elif intent == "compare_price":
        m = re.search(r"\b(?:for|of|on)\b (?:this |that )?(?P<p>(?!this\b|that\b|it\b)[\w' -]+?)(?: (?:online|elsewhere|here))?$", rest)
        if m and not re.search(r"\bprices?\b$", m.group("p")):
            slots["item"] = _clean_phrase(m.group("p"))
        else:
            m = re.search(r"\bhow much (?:is|are|does) (?P<p>(?!this\b|that\b|it\b)[\w' -]+?)(?: cost)?$", rest)
            if m:
                slots["item"] = _clean_phrase(m.group("p"))
    elif intent == "call":
        m = re.search(r"\b(?:call|phone|ring|dial|facetime)\b (?:up )?(?P<c>.+?)(?= (?:on|at|back|now)\b|$)", rest)
        if m:
            c = _clean_phrase(m.group("c"))
            if c and c not in ("back", "me"):
                slots["contact"] = c
    elif intent == "remind":
        m = re.search(r"\b(?:remind(?:er)?(?: me)?|don't let me forget)(?: to| about| that)? (?P<task>.+)$", rest)
        if m:
            slots["task"] = _clean_phrase(re.sub(r"^(?:to|about|that) ", "", m.group("task")))
    elif intent == "schedule":
        m = re.search(r"\bwith (?P<c>[\w' ]+?)(?= (?:about|on|for)\b|$)", rest)
        if m:
            slots["contact"] = _clean_phrase(m.group("c"))
        m = re.search(r"\babout (?P<t>[\w' ]+)$", rest)
        if m:
            slots["title"] = _clean_phrase(m.group("t"))
    elif intent == "volume":
        m = re.search(r"\b(?P<n>\d{1,3}) ?(?:%|percent)?", rest)
        if re.search(r"\bmute\b", rest) and "unmute" not in rest:
            slots["level"] = 0
        elif m and 0 <= int(m.group("n")) <= 100:
            slots["level"] = int(m.group("n"))
        elif re.search(r"\b(?:up|louder|increase|raise|higher|can't hear|unmute)\b", rest):
            slots["direction"] = "up"
        elif re.search(r"\b(?:down|quieter|softer|lower|decrease|reduce|too loud)\b", rest):
            slots["direction"] = "down"
    elif intent == "translate":
        m = re.search(r"\b(?:to|into|in) (?P<l>" + "|".join(LANGS) + r")\b", rest)
        if m:
            slots["target_lang"] = LANGS[m.group("l")]
        m = re.search(r"\bfrom (?P<l>" + "|".join(LANGS) + r")\b", rest)
        if m:
            slots["source_lang"] = LANGS[m.group("l")]
        m = re.search(r"\b(?:say|translate) (?P<x>(?!this\b|that\b|it\b|the\b|what\b|everything\b|all\b)[\w' ]+?) (?:in|into|to|from)\b", rest)
        if m:
            slots["text"] = m.group("x").strip()
    elif intent == "play_music":
        m = re.search(r"\b(?:play|put on)\b (?:me )?(?:some )?(?P<q>.+)$", rest)
        if m:
            q = re.sub(r"^(?:music|songs?|tracks?|something)(?: (?:by|from))? ?", "", m.group("q")).strip()
            q = re.sub(r" (?:music|songs?)$", "", q).strip()
            if q and q not in ("music", "something", "a song", "it"):
                slots["query"] = q
    elif intent == "cancel":
        for target, pat in (("ride", r"\b(?:ride|taxi|cab|car|trip)\b"), ("order", r"\b(?:order|food|delivery)\b"),
                            ("payment", r"\bpayment\b")):  # fmt: skip
            if re.search(pat, rest):
                slots["target"] = target
                break
    return {k: v for k, v in slots.items() if v not in (None, "")}


def _parse_en(raw: str) -> ParseResult:
    t = _normalize_en(raw)
    for intent, pattern, confidence in EN_RULES:
        if pattern.search(t):
            return ParseResult(intent, _slots_en(intent, t), confidence, "en", t)
    return ParseResult("unknown", {}, 0.0, "en", t)


# ================================================================ Chinese ==========

ZH_FILLERS = re.compile(r"^(?:你好|嘿|喂)?(?:眼镜|小眼镜)[，,。\s]*|嗯+|呃+|啊(?=[，,\s])|那个|就是|麻烦|请|帮我|给我(?=[点叫打来买])|帮忙|一下子|吧$|呢$|啊$|呀$|哈$")
ZH_PUNCT = re.compile(r"[，,。.!！?？、；;：:\s“”\"'‘’]+")
ZH_NUM = "零〇一二两三四五六七八九十百千万"

ZH_RULES: list[tuple[str, re.Pattern, float]] = [
    (i, re.compile(p), c)
    for i, p, c in [
        ("confirm", r"^(?:(?:可以|好的?|行)(?:付|买|下单|叫车)|确认|确定|好的?|是的?|对|可以|没问题|同意|就这样|付吧|确认支付|确认付款|确认下单|确认订单|"
         r"确认叫车|下单吧|好的确认|嗯确认|行)$", 0.95),
        ("cancel", r"取消.*(?:订单|外卖|打车|叫车|车|行程|付款|支付)|(?:不要|不用)(?:叫)?车了", 0.95),
        ("cancel", r"^(?:取消|算了|不要了|不用了|不要|不了|停|别|不|放弃)(?:吧|了)?$|取消", 0.9),
        ("stop_notes", r"(?:停止|结束|关闭|暂停)(?:会议)?(?:记录|笔记|转写|录音)", 0.9),
        ("start_notes", r"(?:开始|打开|做|记)(?:会议)?(?:记录|笔记|转写|录音)|会议纪要|记一下会议|把会议记下来", 0.9),
        ("teleprompter", r"提词", 0.9),
        ("translate", r"翻译|翻成|译成|用(?:英语|英文|中文|日语|法语|韩语|西班牙语|德语)怎么说|什么意思", 0.9),
        ("what_is_this", r"这是什么|那是什么|这个是什么|这是啥|那是啥|这是哪|识别|看看这|我看到的是", 0.85),
        ("next_track", r"下一首|切歌|换一首|下首|跳过这首", 0.9),
        ("pause_music", r"暂停|(?:停止|别|不要)(?:播放|放)(?:音乐|歌)?|停止音乐|关掉音乐|音乐停", 0.9),
        ("volume", r"音量|大声|小声|声音(?:大|小|调|开)|静音", 0.9),
        ("remind", r"提醒", 0.9),
        ("schedule", r"日程|日历|安排|会议|开会|约(?:了)?.*(?:开会|见面)|预约", 0.85),
        ("hail_taxi", r"打车|叫(?:一)?(?:辆|个)?(?:大|小)?车|出租车|网约车|的士|滴滴|带我去|送我(?:去|回)|载我", 0.9),
        ("navigate", r"导航|怎么走|怎么去|路线|带路|在哪(?:里|儿)?|怎么到|步行去|走路去|去.*的路", 0.85),
        ("call", r"打电话|打个电话|呼叫|拨打|给.+打(?:个)?(?:电话|视频)|视频通话|联系", 0.9),
        ("buy", r"买(?!单)|购买|加入购物车|下单这个|拍下", 0.9),
        ("order_food", r"外卖|点(?:一|两|[0-9二三四五六七八九十]|个|份|杯|碗|餐|菜|份儿)|订餐|叫(?:个|份)?外卖|饿了|午饭|晚饭|午餐|晚餐", 0.85),
        ("pay", r"付款|支付|付钱|付了|扫码|买单|结账|付(?:[0-9" + ZH_NUM + r"]|给)|转账|转(?:[0-9" + ZH_NUM + r"])", 0.9),
        ("compare_price", r"比价|比(?:一)?下价|比较|哪(?:里|儿|家)(?:更)?便宜|便宜|价格|多少钱|划算|查(?:一)?下价", 0.85),
        ("play_music", r"播放|放(?:一)?首|放(?:点|些)?(?:音乐|歌)|听(?:歌|音乐)|来(?:一)?首|继续播放|放.+的歌", 0.85),
    ]
]

ZH_CURRENCY = {"元": "CNY", "块": "CNY", "块钱": "CNY", "人民币": "CNY", "美元": "USD", "美金": "USD", "刀": "USD",
               "欧元": "EUR", "英镑": "GBP", "日元": "JPY", "港币": "HKD", "港元": "HKD"}  # fmt: skip
ZH_LANGS = {"英语": "en", "英文": "en", "中文": "zh", "汉语": "zh", "日语": "ja", "日文": "ja", "法语": "fr",
            "韩语": "ko", "西班牙语": "es", "德语": "de", "俄语": "ru"}  # fmt: skip
ZH_SIZES = {"大": "large", "中": "medium", "小": "small", "超大": "large"}
ZH_DAYS = {"今天": "today", "今晚": "tonight", "明天": "tomorrow", "后天": "day after tomorrow",
           "周一": "monday", "周二": "tuesday", "周三": "wednesday", "周四": "thursday", "周五": "friday",
           "周六": "saturday", "周日": "sunday", "星期一": "monday", "星期二": "tuesday", "星期三": "wednesday",
           "星期四": "thursday", "星期五": "friday", "星期六": "saturday", "星期天": "sunday", "星期日": "sunday"}  # fmt: skip
NUM = rf"[0-9.{ZH_NUM}]+"


def _zh_number(s: str) -> float | None:
    s = s.strip()
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        pass
    try:
        return float(cn2an.cn2an(s.replace("两", "二").replace("〇", "零"), "smart"))
    except (ValueError, KeyError, TypeError, IndexError):
        return None


def _normalize_zh(text: str) -> str:
    t = ZH_PUNCT.sub("", text)
    t = ZH_FILLERS.sub("", t)
    t = ZH_FILLERS.sub("", t)  # fillers often come in pairs: 嗯那个
    return t.lower()


def _time_zh(t: str) -> tuple[str | None, str]:
    spans = []
    m = re.search(rf"(?P<n>{NUM})(?:个)?(?P<u>分钟|小时|钟头)(?:以)?后|过(?P<n2>{NUM})(?:个)?(?P<u2>分钟|小时)", t)
    if m:
        n = _zh_number(m.group("n") or m.group("n2"))
        u = m.group("u") or m.group("u2")
        if n is not None:
            rest = t[: m.start()] + t[m.end() :]
            return f"+{int(round(n * (60 if u != '分钟' else 1)))}m", rest
    if "半小时后" in t or "半个小时后" in t:
        return "+30m", re.sub("半个?小时后", "", t)
    day = None
    for word in sorted(ZH_DAYS, key=len, reverse=True):
        i = t.find(word)
        if i >= 0:
            day = ZH_DAYS[word]
            spans.append((i, i + len(word)))
            break
    period = None
    m = re.search(r"早上|上午|早晨|中午|下午|傍晚|晚上|夜里|凌晨", t)
    if m:
        period = m.group(0)
        spans.append(m.span())
    clock = None
    m = re.search(rf"(?P<h>[0-9{ZH_NUM}]{{1,3}})(?:点|:|：)(?:(?P<half>半)|(?P<m>[0-9{ZH_NUM}]{{1,3}})(?:分)?)?", t)
    if m:
        h = _zh_number(m.group("h"))
        mm = 30 if m.group("half") else (_zh_number(m.group("m")) if m.group("m") else 0)
        if h is not None and mm is not None and 0 <= h <= 24 and 0 <= mm < 60:
            h = int(h)
            if period in ("下午", "傍晚", "晚上", "夜里") and h < 12:
                h += 12
            if period == "中午" and h < 6:
                h += 12
            if day == "tonight" and h < 12:
                h += 12
            clock = f"{h % 24:02d}:{int(mm):02d}"
            spans.append(m.span())
    if clock is None and period == "中午":
        clock = "12:00"
    if day is None and period in ("晚上",) and clock is None:
        day = "tonight"
    parts = [p for p in (day, clock) if p]
    rest = t
    for a, b in sorted(spans, reverse=True):
        rest = rest[:a] + rest[b:]
    return (" ".join(parts) if parts else None), rest


def _amount_zh(t: str, slots: dict) -> str:
    m = re.search(r"(?P<sym>[¥$€£])(?P<n>[0-9.]+)", t)
    if m:
        slots["amount"] = float(m.group("n"))
        slots["currency"] = CURRENCY_SYMBOLS[m.group("sym")]
        return t[: m.start()] + t[m.end() :]
    cur_alt = "|".join(sorted(ZH_CURRENCY, key=len, reverse=True))
    m = re.search(rf"(?P<n>{NUM})(?P<cur>{cur_alt})(?P<jiao>[0-9一二两三四五六七八九])?(?:毛|角)?", t)
    if m:
        value = _zh_number(m.group("n"))
        if value is not None:
            if m.group("jiao") and m.group("cur") in ("块", "元"):
                value += (_zh_number(m.group("jiao")) or 0) / 10.0
            slots["amount"] = round(value, 2)
            slots["currency"] = ZH_CURRENCY[m.group("cur")]
            return t[: m.start()] + t[m.end() :]
    return t


def _qty_size_item_zh(phrase: str, slots: dict) -> None:
    m = re.match(
        rf"^(?P<q>{NUM})?(?:份|个|碗|杯|瓶|盒|包|本|袋|盘|只|件)?(?:(?P<size>超大|大|中|小)(?:份|杯|碗|号|的)?)?(?P<item>.*)$", phrase
    )
    if not m:
        return
    if m.group("q"):
        q = _zh_number(m.group("q"))
        if q is not None and q == int(q) and q > 0:
            slots["quantity"] = int(q)
    if m.group("size"):
        slots["size"] = ZH_SIZES[m.group("size")]
    item = re.sub(r"^(?:的|些|点)|(?:吧|了|呢|的)$", "", m.group("item"))
    if item and item not in ("这个", "那个", "它", "这", "那", "东西", "这件", "吃的"):
        slots["item"] = item


def _slots_zh(intent: str, t: str) -> dict[str, Any]:
    slots: dict[str, Any] = {}
    time, rest = _time_zh(t) if intent in ("remind", "schedule", "hail_taxi", "order_food", "call") else (None, t)
    if time:
        slots["time"] = time
    if intent == "pay":
        rest = _amount_zh(rest, slots)
        m = re.search(r"(?:付给|转给|给)(?P<p>[^\d付转]+?)(?:付款|支付|付钱|转账)?$", rest)
        if m:
            slots["payee"] = m.group("p")
    elif intent in ("hail_taxi", "navigate"):
        m = re.search(r"(?:去|到|回|往)(?P<d>[^去到回往]+?)(?:怎么走|怎么去|的路线?|路线|的路)?$", rest)
        if m:
            d = re.sub(r"^(?:一下)|(?:吧|了|呢)$", "", m.group("d"))
            if d:
                slots["destination"] = "home" if d in ("家", "我家") else d
        m = re.search(r"从(?P<p>.+?)(?:出发|去|到|走|打车|叫车)", rest)
        if m:
            slots["pickup"] = m.group("p")
        if intent == "hail_taxi" and re.search(r"大车|商务车|七座|六座|suv", rest):
            slots["size"] = "large"
        if intent == "navigate" and "destination" not in slots:
            m = re.search(r"(?P<d>.+?)在哪", rest)
            if m:
                slots["destination"] = re.sub(r"^导航", "", m.group("d")) or None
        if intent == "navigate":
            for mode, pat in (("walk", "步行|走路"), ("drive", "开车|驾车"), ("bike", "骑车|骑行"),
                              ("transit", "地铁|公交")):  # fmt: skip
                if re.search(pat, rest.replace(slots.get("destination") or "\0", "")):
                    slots["mode"] = mode
                    break
    elif intent == "order_food":
        if "老地方" in rest or "常去的" in rest or "上次那家" in rest:
            slots["restaurant"] = "usual"
            rest = re.sub(r"(?:从|在)?(?:老地方|常去的那家|常去的|上次那家)", "", rest)
        else:
            m = re.search(r"(?:从|在)(?P<r>.+?)(?:点|订|叫|买)", rest)
            if m:
                slots["restaurant"] = m.group("r")
                rest = rest[: m.start()] + rest[m.end() - 1 :]
        m = re.search(r"(?:点|订|叫|来|要)(?:个|份)?(?:外卖)?(?P<p>.+)$", rest)
        if m:
            p = re.sub(r"(?:的)?外卖$|外卖", "", m.group("p"))
            if p not in ("餐", "饭", "外卖", "吃的", "东西"):
                _qty_size_item_zh(p, slots)
    elif intent == "buy":
        m = re.search(r"(?:买|购买|拍下)(?P<p>.+)$", rest)
        if m:
            _qty_size_item_zh(m.group("p"), slots)
            slots.pop("size", None)
    elif intent == "compare_price":
        m = re.search(r"(?:比较|比一下|查一下|查查|看看)?(?P<p>[^比查看]+?)的?(?:价格|多少钱|在哪(?:里|儿|家)(?:更)?便宜|哪(?:里|儿|家)便宜)", rest)
        if m:
            p = re.sub(r"^(?:下|一下)", "", m.group("p"))
            if p and not re.match(r"^(?:这|那|它)", p):
                slots["item"] = p
    elif intent == "call":
        m = re.search(r"(?:给|打给|呼叫|拨打|联系)(?P<c>.+?)(?:打(?:个)?(?:电话|视频)|的电话|电话|视频|$)", rest)
        if m:
            c = re.sub(r"^(?:一下)|(?:吧|了)$", "", m.group("c"))
            if c and c not in ("电话",):
                slots["contact"] = c
        if "contact" not in slots:
            m = re.search(r"打电话给(?P<c>.+)$", rest)
            if m:
                slots["contact"] = m.group("c")
    elif intent == "remind":
        m = re.search(r"提醒我(?:一下)?(?:要|去|该)?(?P<task>.+)$", rest)
        if m:
            slots["task"] = re.sub(r"(?:吧|了)$", "", m.group("task"))
    elif intent == "schedule":
        m = re.search(r"(?:和|跟|与)(?P<c>.+?)(?:开会|见面|的会议|会议|吃饭)", rest)
        if m:
            slots["contact"] = m.group("c")
    elif intent == "volume":
        m = re.search(rf"(?:调到|设为|设成|到)(?P<n>{NUM})", rest)
        if "静音" in rest:
            slots["level"] = 0
        elif m and _zh_number(m.group("n")) is not None and 0 <= _zh_number(m.group("n")) <= 100:
            slots["level"] = int(_zh_number(m.group("n")))
        elif re.search(r"大|高|增加|提高|调高", rest):
            slots["direction"] = "up"
        elif re.search(r"小|低|减|降", rest):
            slots["direction"] = "down"
    elif intent == "translate":
        m = re.search(r"(?:翻译成|翻成|译成|用|成|到)(?P<l>" + "|".join(ZH_LANGS) + ")", rest)
        if m:
            slots["target_lang"] = ZH_LANGS[m.group("l")]
        m = re.search(r"(?:从)(?P<l>" + "|".join(ZH_LANGS) + ")", rest)
        if m:
            slots["source_lang"] = ZH_LANGS[m.group("l")]
    elif intent == "play_music":
        m = re.search(r"(?:播放|放|听|来)(?:一首|首|点|些)?(?P<q>.+)$", rest)
        if m:
            q = re.sub(r"的(?:歌曲|歌|音乐)$|(?:歌曲|歌)$", "", m.group("q"))
            if q and q not in ("音乐", "歌"):
                slots["query"] = q
    elif intent == "cancel":
        for target, pat in (("ride", "打车|叫车|车|行程"), ("order", "订单|外卖"), ("payment", "付款|支付")):
            if re.search(pat, rest):
                slots["target"] = target
                break
    return {k: v for k, v in slots.items() if v not in (None, "")}


def _parse_zh(raw: str) -> ParseResult:
    t = _normalize_zh(raw)
    if not t:
        return ParseResult("unknown", {}, 0.0, "zh", t)
    for intent, pattern, confidence in ZH_RULES:
        if pattern.search(t):
            return ParseResult(intent, _slots_zh(intent, t), confidence, "zh", t)
    return ParseResult("unknown", {}, 0.0, "zh", t)


# ==================== meeting skills: captions, notes summary, read aloud ==========
# Narrow rules appended after the tables (first match wins, so they only catch what no
# rule above understood); the intent names join the fixed vocabulary.
MEETING_INTENTS = ("start_subtitles", "stop_subtitles", "summarize_notes", "read_text")
INTENTS = (*INTENTS[:-1], *(i for i in MEETING_INTENTS if i not in INTENTS), "unknown")
EN_RULES += [
    (i, re.compile(p), c)
    for i, p, c in [
        ("stop_subtitles", r"\b(?:stop|end|hide|close|turn off|switch off|disable)\b (?:the |live )*(?:subtitles?|captions?|captioning)\b", 0.9),
        ("stop_notes", r"\b(?:stop|end|finish)\b (?:taking |the |my )*(?:note|minutes)\b", 0.85),
        ("start_subtitles", r"\b(?:subtitles?|captions?|captioning)\b", 0.85),
        ("summarize_notes", r"\b(?:summari[sz]e|summary|recap|minutes|read back|read me)\b.*\b(?:notes?|meeting|minutes|discussion)\b|"
         r"\b(?:meeting|notes?) (?:summary|recap)\b|\baction items\b", 0.85),
        ("read_text", r"\bread (?:this|that|it|the (?:sign|text|page|label|menu))\b|\bread (?:it |this |that )?(?:out|aloud)\b|"
         r"\bwhat does (?:it|this|that) say\b", 0.85),
    ]
]  # fmt: skip
ZH_RULES += [
    (i, re.compile(p), c)
    for i, p, c in [
        ("stop_subtitles", r"(?:关闭|关掉|停止|结束|隐藏)(?:实时)?字幕", 0.9),
        ("start_subtitles", r"字幕", 0.85),
        ("summarize_notes", r"(?:总结|概括|汇总|纪要|回顾|读一下).*(?:笔记|记录|会议)|会议(?:总结|要点)|待办事项", 0.85),
        ("read_text", r"(?:读|念)(?:一下|出来|给我听)|(?:读|念)(?:这|那)", 0.85),
    ]
]  # fmt: skip
