"""Offline, deterministic understanding of English and simplified Chinese commands.

``parse(utterance, lang=None)`` returns a ``ParseResult``: one of the documented
intent names (``INTENTS``, described in ``intent_registry``), typed slots, a
confidence, which path decided and the best guesses. Rules are ordered regular
expressions (first match wins, so specific phrasings sit above generic ones); numbers
are read with text2num (English words) and cn2an (Chinese numerals). The learned
model (``intent_model``) decides where rules are unsure (``decide``); rules keep the
slots, the amounts and the confirmations. A result the dialogue must not act on
(``needs_clarifying``) becomes a question back with the two best guesses.

Slot types (all optional, present only when said; ``intent_registry.SLOTS``):

- ``amount`` float whose ``str()`` is the exact amount said, and ``currency`` ISO 4217
  code (CNY, USD, EUR, GBP, JPY, HKD); ``extract_amount`` returns a Decimal
- ``payee``, ``contact``, ``destination``, ``category``, ``pickup``, ``restaurant``,
  ``item``, ``task``, ``title``, ``query``, ``text``, ``place``, ``flight``: strings as
  said (lower case in English; "the usual place" and 老地方 become ``restaurant="usual"``)
- ``quantity`` int; ``size`` small | medium | large; ``duration_s`` int
- ``time``: "[today|tomorrow|tonight|monday..sunday ][HH:MM]" or "+<minutes>m"
- ``target_lang`` / ``source_lang``: ISO 639-1 (en, zh, es, fr, ja, ko, de, ru)
- ``direction`` up | down and ``level`` 0-100 (volume); ``target`` ride | order |
  payment (cancel); ``mode`` walk | drive | bike | transit (navigate);
  ``attachment`` photo | video (send_message)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
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
    "start_subtitles",
    "stop_subtitles",
    "summarize_notes",
    "read_text",
    "take_photo",
    "record_video",
    "stop_video",
    "answer_call",
    "hang_up",
    "send_message",
    "flight_status",
    "set_alarm",
    "weather",
    "time",
    "battery_status",
    "unknown",
)

CJK = re.compile(r"[\u4e00-\u9fff]")
THOUSANDS = re.compile(r"(?<=[0-9])[,，](?=[0-9]{3}(?![0-9]))")
# A number on its own: not part of "1e3", "v2", "12.5.3" or a longer digit run.
NUMBER_EN = r"(?<![0-9a-z.])(?P<n>[0-9]+(?:\.[0-9]+)?)(?![0-9.]|e[0-9])"


@dataclass
class ParseResult:
    intent: str
    slots: dict[str, Any] = field(default_factory=dict)
    confidence: float = 0.0
    lang: str = "en"
    text: str = ""  # normalized utterance the rules saw
    backend: str = "offline"
    path: str = "rules"  # which path decided: rules, model, rules+model, llm, none
    candidates: list[tuple[str, float]] = field(default_factory=list)  # best guesses, best first
    ambiguous: bool = False  # a guess the dialogue must not act on without asking back

    def as_dict(self) -> dict[str, Any]:
        return {"intent": self.intent, "slots": self.slots, "confidence": round(self.confidence, 2)}


def detect_lang(text: str) -> str:
    return "zh" if CJK.search(text) else "en"


# How rules and model combine (fitted on the training corpus and the development sets, never
# on the held-out split): rules keep confirmations; where they are unsure the model decides.
MODEL_ACCEPT = 0.5  # the model alone decides above this when no rule claims the utterance
MODEL_OVERRIDE = 0.8  # the model overrides a disagreeing rule above this
UNKNOWN_OVERRIDE = 0.8  # the model calls a rule match out of scope ("she paid yesterday") above this
CLARIFY_FLOOR = 0.2  # between this and MODEL_ACCEPT: unknown, with the best guesses for a question back
SECOND_GUESS_FLOOR = 0.05  # a second guess below this is not worth offering
GUARDED = ("pay", "buy", "order_food", "hail_taxi", "send_message", "call")  # money or a message to someone
GUARDED_SURE = 0.85  # a model-only guess at a guarded intent below this is asked back, never acted on
RULE_AUTHORITY = ("confirm", "cancel")

_model_path: str | None = None


def use_model(path: str | None) -> None:
    """Intent model file to load (None: the one shipped in glasses_agent/models)."""
    global _model_path
    _model_path = path


def _model():
    from glasses_agent import intent_model

    try:
        return intent_model.load_model(_model_path or str(intent_model.MODEL_PATH))
    except (OSError, ValueError, KeyError) as exc:  # a missing or damaged model leaves the rules working
        import logging

        logging.getLogger(__name__).error("intent model not loaded (%s); rules only", exc)
        return None


def warm_up() -> bool:
    """Load the intent model and the pinyin tables of the sound-alikes now (about 0.2 s, else paid on
    the first Chinese near-miss); False when the model could not be loaded (rules only)."""
    _pinyin("比价")
    return _model() is not None


def parse_rules(utterance: str, lang: str | None = None) -> ParseResult:
    """The rule tables alone (first match wins)."""
    if not isinstance(utterance, str):
        return ParseResult("unknown", lang=lang or "en", path="none")
    text = utterance.strip()
    if lang not in ("en", "zh"):
        lang = detect_lang(text)
    if not text:
        return ParseResult("unknown", lang=lang, text="", path="none")
    if lang == "zh" or CJK.search(text):
        return _parse_zh(text)
    return _parse_en(text)


# What speech recognisers write on silence or noise (video-caption boilerplate in their training data).
ASR_HALLUCINATION = re.compile(
    r"amara\.?org|字幕由|字幕提供|明镜与点点|点赞.{0,4}订阅|欢迎订阅|谢谢观看|感谢观看|thanks? (?:you )?for watching|"
    r"please subscribe|like and subscribe|subtitles by",
    re.IGNORECASE,
)


def parse(utterance: str, lang: str | None = None) -> ParseResult:
    """Intent and slots of one utterance (rules and the learned model); never raises on any string."""
    rules = parse_rules(utterance, lang)
    if not rules.text:
        return rules
    if ASR_HALLUCINATION.search(utterance):
        return ParseResult("unknown", {}, 0.0, rules.lang, rules.text, path="rules")
    model = _model()
    if model is None:
        return rules
    ranked = model.rank(utterance.strip(), top=4)
    result = decide(rules, ranked)
    if result.intent == "unknown" and result.candidates and rules.lang == "zh":
        return _sound_alike_zh(result) or result
    return result


SOUND_ALIKE_LETTERS = 1  # toneless pinyin letters a heard stretch may differ from the keyword by
SOUND_ALIKE_DISCOUNT = 0.8  # a keyword read from a sound-alike is less sure than one written


def _pinyin(text: str) -> list[str]:
    """Toneless pinyin, one item per character (non-Chinese characters as themselves)."""
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(text, style=Style.NORMAL, errors=lambda s: list(s))


def sound_alike(text: str, keyword: str, letters: int = SOUND_ALIKE_LETTERS) -> str | None:
    """``text`` with the stretch that sounds like ``keyword`` (toneless pinyin within ``letters``
    edits: 必价 or 贝价 for 比价) written as the keyword, or None when no stretch does."""
    from rapidfuzz.distance import Levenshtein

    k = len(keyword)
    heard = _pinyin(text)
    if k < 2 or len(heard) != len(text):
        return None
    wanted = " ".join(_pinyin(keyword))
    best: tuple[int, int] | None = None
    for i in range(len(text) - k + 1):
        if not all(CJK.match(c) for c in text[i : i + k]):
            continue
        d = Levenshtein.distance(" ".join(heard[i : i + k]), wanted, score_cutoff=letters)
        if d <= letters and (best is None or d < best[0]):
            best = (d, i)
    if best is None:
        return None
    i = best[1]
    return text[:i] + keyword + text[i + k :]


def _sound_alike_zh(result: ParseResult) -> ParseResult | None:
    """A Chinese command the recognizer wrote with a near-homophone of its keyword.

    Two signals must agree: the model's best guess, and a stretch of the words that sounds
    like that intent's keyword (``intent_registry`` label); the rules then read the words with
    the keyword written out. Guarded intents (money, a message) are still asked back.
    """
    from glasses_agent import intent_registry

    guess = result.candidates[0][0]
    if guess in GUARDED or guess not in intent_registry.INTENTS:
        return None
    fixed = sound_alike(result.text, intent_registry.label(guess, "zh"))
    if fixed is None:
        return None
    rules = parse_rules(fixed, "zh")
    if rules.intent != guess:
        return None
    confidence = rules.confidence * SOUND_ALIKE_DISCOUNT
    return ParseResult(guess, rules.slots, confidence, "zh", result.text, path="sound-alike",
                       candidates=[(guess, round(confidence, 3))])  # fmt: skip


def reinterpret(result: ParseResult, intent: str) -> ParseResult:
    """The same utterance read as ``intent`` (the wearer picked it when asked back)."""
    slots = _slots_zh(intent, result.text) if result.lang == "zh" else _slots_en(intent, result.text)
    return ParseResult(intent, slots, 1.0, result.lang, result.text, result.backend, path="clarified")


def needs_clarifying(result: ParseResult) -> bool:
    """True when the dialogue must ask back with the best guesses instead of acting."""
    return result.ambiguous or (result.intent == "unknown" and bool(result.candidates))


def decide(rules: ParseResult, ranked: list[tuple[str, float]]) -> ParseResult:
    """Combine the rule result with the model's ranked intents."""
    top, p = ranked[0]
    guesses = [(i, round(q, 3)) for i, q in ranked if i != "unknown"][:2]
    r = rules.intent
    if r in RULE_AUTHORITY:
        intent, confidence, path = r, max(rules.confidence, p if top == r else 0.0), "rules"
    elif r != "unknown" and r == top:
        intent, confidence, path = r, max(rules.confidence, p), "rules+model"
    elif r != "unknown":
        if top == "unknown" and p >= UNKNOWN_OVERRIDE:
            intent, confidence, path = "unknown", 0.0, "model"
        elif top != "unknown" and p >= MODEL_OVERRIDE:
            intent, confidence, path = top, p, "model"
        else:
            intent, confidence, path = r, rules.confidence * 0.8, "rules"
            if r not in [g for g, _ in guesses]:
                guesses = [(r, round(confidence, 3))] + guesses[:1]
    elif top != "unknown" and p >= MODEL_ACCEPT:
        intent, confidence, path = top, p, "model"
    else:
        intent, confidence, path = "unknown", 0.0, "model"
    if intent == "unknown":
        best = [g for g in guesses if g[1] >= CLARIFY_FLOOR][:1] + [g for g in guesses[1:] if g[1] >= SECOND_GUESS_FLOOR]
        best = list(dict.fromkeys(best))[:2]
        return ParseResult("unknown", {}, 0.0, rules.lang, rules.text, path=path, candidates=best)
    slots = rules.slots if intent == r else (_slots_zh(intent, rules.text) if rules.lang == "zh" else _slots_en(intent, rules.text))
    ambiguous = path == "model" and intent in GUARDED and confidence < GUARDED_SURE
    others = [g for g in guesses if g[0] != intent and g[1] >= SECOND_GUESS_FLOOR]
    candidates = [(intent, round(confidence, 3))] + others[:1]
    return ParseResult(intent, slots, min(1.0, confidence), rules.lang, rules.text, path=path, candidates=candidates,
                       ambiguous=ambiguous)  # fmt: skip


def extract_amount(utterance: str, lang: str | None = None) -> tuple[Decimal, str | None] | None:
    """(exact amount, currency or None) said anywhere in an utterance ("twenty yuan", "十二块五",
    "1,250.50 dollars"), else None. The amount is a Decimal, never rounded through a float."""
    if not isinstance(utterance, str):
        return None
    slots: dict[str, Any] = {}
    if (lang or detect_lang(utterance)) == "zh":
        t = _normalize_zh(utterance)
        _amount_zh(t, slots)
        if "amount" not in slots and re.fullmatch(rf"(?:付|支付|转)?{AMOUNT_NUM_ZH}", t):
            value = _zh_decimal(re.sub(r"^(?:付|支付|转)", "", t))
            if value is not None:
                slots["amount"] = value
    else:
        t = _normalize_en(utterance)
        _amount_en(t, slots)
        if "amount" not in slots:
            m = re.fullmatch(r"(?:pay )?" + NUMBER_EN, t)
            if m:
                slots["amount"] = _decimal_amount(m.group("n"))
    if slots.get("amount") is None:
        return None
    return Decimal(str(slots["amount"])), slots.get("currency")


MAX_AMOUNT_DIGITS = 12  # a spoken amount above 10^10 is a mishearing, not a payment


def _decimal_amount(text: str) -> Decimal | None:
    """Exact Decimal of an ASCII amount ("1250", "1000.50"); None when not a plain amount."""
    if not re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", text or ""):
        return None
    value = Decimal(text)
    return value if len(text.replace(".", "").lstrip("0")) <= MAX_AMOUNT_DIGITS else None


def _slot_amount(value: Decimal) -> float:
    """Slot value of an exact amount: a float whose str() is the same number (at most 12 digits)."""
    return float(value)


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
        # daily features: specific phrasings first, so "stop interpreting" is not notes or music
        ("stop_subtitles", r"\b(?:turn off|stop|disable|hide|close|end|quit|no more|enough)\b.*\b(?:captions?|subtitles?|"
         r"live transcription|interpret\w*|live translation|simultaneous translation)\b|\b(?:captions?|subtitles?) off\b", 0.9),
        ("start_subtitles", r"\b(?:captions?|subtitles?|live transcription|interpret(?:ing|ation|er)?|live translation|"
         r"simultaneous translation|real time translation)\b", 0.9),
        ("summarize_notes", r"\b(?:summar\w+|sum up|recap|gist|key points|main points|takeaways|action items|highlights)\b", 0.9),
        ("stop_video", r"\b(?:stop|end|finish|cut|enough)\b.*\b(?:video|filming|footage|clip)\b", 0.9),
        ("record_video", r"\b(?:record|shoot|film|take|start|begin|make)\b.*\b(?:video|clip|footage)\b|\b(?:start|begin) filming\b|"
         r"^film(?: this| that)?$", 0.9),
        ("take_photo", r"\b(?:take|snap|grab|get|shoot)\b (?:me )?(?:a |an )?(?:quick )?(?:photo|picture|pic|shot|selfie|snapshot)s?\b|"
         r"^(?:photo|picture|snapshot|selfie)\b|\bcapture (?:this|that|the)\b|\bsay cheese\b", 0.9),
        ("read_text", r"\bread\b(?:.*\b(?:aloud|out loud|out|to me|for me)\b| (?:this|that|the|it|what)\b)", 0.9),
        ("hang_up", r"\bhang up\b|\bend (?:the |this )?call\b|\b(?:decline|reject|ignore) (?:the |this |that )?(?:incoming )?call\b|"
         r"\bcut the (?:call|line)\b|^decline$", 0.9),
        ("answer_call", r"^(?:answer|pick up|pick it up|answer it)$|\b(?:answer|pick up|accept|take) (?:the |this |that )?"
         r"(?:incoming )?(?:call|phone)\b", 0.9),
        ("send_message", r"\b(?:text|message|sms|wechat|whatsapp)\b (?!me\b)[a-z]|\bsend (?:a |an )?(?:message|text|sms|note|wechat)\b|"
         r"\btell (?!me\b)\w+(?: \w+)? (?:that|i'm|i am|i'll|we|we're|to)\b|\blet (?!me\b)\w+ know\b|^reply\b|"
         r"\bsend (?:this|the) (?:photo|picture|video|pic) to\b", 0.9),
        ("flight_status", r"\bflight\b|\bboarding gate\b|\bmy plane\b", 0.9),
        ("set_alarm", r"\balarm\b|\bwake me\b|\bwake up call\b|\bi need to (?:get up|be up|wake up)\b", 0.9),
        ("weather", r"\bweather\b|\bforecast\b|\bumbrella\b|\b(?:going to|gonna|will it) (?:rain|snow)\b|\btemperature\b|"
         r"\bhow (?:hot|cold|warm) is it\b", 0.85),
        ("time", r"\bwhat time is it\b|\bwhat(?:'s| is) the time\b|\b(?:the|today's) date\b|\bwhat day is (?:it|today)\b|"
         r"\b(?:have|got) the time\b|\btell me the time\b", 0.9),
        ("battery_status", r"\bbattery\b|\bcharge left\b|\b(?:running|low) on (?:battery|power)\b|\bhow much (?:juice|power)\b", 0.9),
        ("navigate", r"\b(?:nearest|closest)\b|\bhow far\b|\bnear (?:me|here)\b|\bnearby\b", 0.85),
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
    r"\b(?:for |at )?(?P<rel2>\d+(?:\.\d+)?) ?(?P<unit2>minutes?|mins?|hours?|hrs?) later\b|"  # also "... from now"
    r"\bin (?:an|1) hour\b|\bin half an hour\b|"
    r"\b(?P<day>today|tonight|tomorrow|day after tomorrow|this (?:morning|afternoon|evening)|"
    r"(?:next |on )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b|"
    r"\b(?:at )?(?P<noon>noon|midday|midnight)\b|"
    r"\b(?:at |by |around )?(?P<hh>\d{1,2})(?::(?P<mm>\d{2}))? ?(?P<ampm>am|pm|a\.m\.|p\.m\.|o'clock)|"
    r"\b(?:at|by|around) (?P<hh2>\d{1,2})(?:[: ](?P<mm2>[0-5]\d))?\b|"
    r"\bhalf past (?P<hp>\d{1,2})\b"
)


def _normalize_en(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    t = THOUSANDS.sub("", t)  # "1,250.50" is one number
    t = EN_PUNCT.sub(" ", t)
    t = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", t)  # sentence dots, keep 12.50
    t = re.sub(r"\bfrom now\b", "later", t)  # "now" is a filler, "one minute from now" a relative time
    t = EN_FILLERS.sub(" ", t)
    t = re.sub(r"\s+", " ", t).strip()
    t = re.sub(r"\bsecond\b(?= (?:video|clip|recording|long|film))", "seconds", t)  # not "thirty second" -> "32nd"
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
        if g["rel"] or g["rel2"]:
            n = float(g["rel"] or g["rel2"])
            rel = n * (60 if (g["unit"] or g["unit2"]).startswith("h") else 1)
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
    r"(?P<sym>[$¥€£]) ?(?P<n1>[0-9]+(?:\.[0-9]+)?)(?![0-9.]|e[0-9])|"
    r"(?<![0-9a-z.])(?P<n2>[0-9]+(?:\.[0-9]+)?)(?![0-9.]|e[0-9])(?: (?P<cents>[0-9]{2})(?= (?:yuan|dollars?|euros?|rmb|kuai|bucks)))? ?"
    r"(?P<cur>hong kong dollars?|yuan|rmb|kuai|cny|renminbi|dollars?|bucks|usd|euros?|eur|pounds?|gbp|yen|jpy|hkd)\b"
    r"(?: and (?P<c2>[0-9]{1,2}) cents?)?"
)


def _amount_en(t: str, slots: dict) -> str:
    m = AMOUNT_EN.search(t)
    if not m:
        m2 = re.search(r"\bpay (?:\w+ )*?" + NUMBER_EN + r"(?!\w)", t)
        value = _decimal_amount(m2.group("n")) if m2 else None
        if value is not None:
            slots["amount"] = _slot_amount(value)
            return t[: m2.start("n")] + t[m2.end("n") :]
        return t
    g = m.groupdict()
    value = _decimal_amount(g["n1"] if g["sym"] else g["n2"])
    if value is None:
        return t
    if g["sym"]:
        slots["currency"] = CURRENCY_SYMBOLS[g["sym"]]
    else:
        cents = g["cents"] or g["c2"]
        if cents:
            value += Decimal(int(cents)) / 100
        cur = g["cur"]
        slots["currency"] = "HKD" if cur.startswith("hong kong") else CURRENCY_WORDS[cur]
    slots["amount"] = _slot_amount(value)
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
    if item and item not in ("it", "this", "that", "these", "those", "one", "this one", "that one", "food", "something",
                             "lunch", "dinner", "breakfast", "takeout", "takeaway", "delivery", "some lunch"):  # fmt: skip
        slots["item"] = _singular(item)


PLACE_STOP = r"(?= (?:at|in|by|tomorrow|tonight|today|now|using|with|via|on foot|by car|and)\b|$)"


def _slots_en(intent: str, t: str) -> dict[str, Any]:
    slots: dict[str, Any] = {}
    if intent == "set_alarm":
        t = re.sub(r"\bfor (?=\d)", "at ", t)  # "an alarm for 7" is a clock time
    time, rest = _time_en(t) if intent in ("remind", "schedule", "hail_taxi", "order_food", "call", "set_alarm", "weather") else (None, t)
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
            for mode, pat in (("walk", r"\bwalk\w*|\b(?:on|by) foot\b"), ("drive", r"\bdriv\w+|by car\b"),
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
        m = re.search(r"^(?:have|get|ask) (?P<r>[\w' &-]+?) (?:to )?(?:send|deliver|bring) (?:me|us) ", rest)
        if m and "restaurant" not in slots:
            r = _clean_phrase(m.group("r"))
            slots["restaurant"] = "usual" if r and "usual" in r else r
            rest = "order " + rest[m.end() :]
        rest = re.sub(r" (?:delivered|for delivery|to go|please|sent over|sent|brought)$", "", rest)
        m = re.search(r"\b(?:order|get me|bring me|deliver|i want|i'd like|i would like|i'll have|have|feel like|"
                      r"go for|craving|get)\b (?:me |us )?(?P<p>.+)$", rest)  # fmt: skip
        if m:
            _qty_size_item(re.sub(r"^(?:some )?(?:food )?", "", m.group("p")), slots)
    elif intent == "buy":
        m = (re.search(r"\badd (?P<p>.+?) to (?:my |the )?(?:cart|basket)\b", rest)
             or re.search(r"\b(?:buy|purchase|order|get|take|grab|pick up)\b (?:me |us )?(?P<p>.+?)(?: (?:for me|online|here|now|in (?:my |the )?(?:cart|basket)))?$", rest))  # fmt: skip
        if m:
            phrase = m.group("p")
            n = re.match(r"^(?P<q>\d+|a|an|one) (?:of )?(?:them|these|those|this|it)$", phrase)
            if n:
                slots["quantity"] = int(n.group("q")) if n.group("q").isdigit() else 1
            else:
                _qty_size_item(phrase, slots)
            slots.pop("size", None)
    elif intent == "compare_price":
        m = re.search(r"\b(?:for|of|on)\b (?:this |that )?(?P<p>(?!this\b|that\b|it\b)[\w' -]+?)(?: (?:online|elsewhere|here))?$", rest)
        is_x = re.search(r"^(?:is|are) (?P<p>(?!this\b|that\b|it\b|these\b|those\b|there\b)[\w' -]+?) (?:cheaper|cheapest|on sale|"
                         r"a good deal|overpriced)\b", rest)  # fmt: skip
        if is_x:
            slots["item"] = _clean_phrase(is_x.group("p"))
        elif m and not re.search(r"\bprices?\b$", m.group("p")):
            slots["item"] = _clean_phrase(m.group("p"))
        else:
            m = re.search(r"\bhow much (?:is|are|does) (?P<p>(?!this\b|that\b|it\b)[\w' -]+?)(?: cost)?$", rest)
            if m:
                slots["item"] = _clean_phrase(m.group("p"))
    elif intent == "call":
        m = (re.search(r"\b(?:call|phone|ring|dial|facetime|talk to|speak to|speak with)\b (?:up )?(?P<c>.+?)(?= (?:on|at|back|now)\b|$)", rest)
             or re.search(r"\bget (?P<c>.+?) on the (?:line|phone)\b", rest))  # fmt: skip
        if m:
            c = _clean_phrase(m.group("c"))
            if c and c not in ("back", "me"):
                slots["contact"] = c
    elif intent == "remind":
        m = re.search(r"\b(?:remind(?:er)?(?: me)?|don't let me forget)(?: to| about| that)? (?P<task>.+)$", rest)
        if m:
            task = re.sub(r"^(?:to|about|that) ", "", m.group("task"))
            task = re.sub(r"^(?:after|before|during|later|around) (?:\w+ ){0,2}?(?:to|about) ", "", task)  # "after lunch to ..."
            slots["task"] = _clean_phrase(task)
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
        elif re.search(r"\b(?:up|louder|increase|raise|higher|can't hear|unmute|barely hear|hardly hear|hard to hear|too quiet|too soft)\b", rest):
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
        _langs_en(rest.replace(m.group("x"), " ") if m else rest, slots)
    elif intent == "play_music":
        m = re.search(r"\b(?:play|put on|hear|listen to)\b (?:me )?(?:some )?(?P<q>.+)$", rest)
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
    elif intent in ("start_subtitles", "send_message", "flight_status", "weather", "time", "record_video"):
        _daily_slots_en(intent, rest, slots)
    if intent == "navigate":
        _category_en(rest, slots)
    if intent == "weather" and slots.get("time", "").count(":"):
        slots["time"] = slots["time"].split(" ")[0] if " " in slots["time"] else None  # a day, not a clock time
    return {k: v for k, v in slots.items() if v not in (None, "")}


LANG_ALT_EN = "|".join(LANGS)
NOT_FLIGHT = {"at", "in", "on", "to", "by", "is", "it", "me", "my", "up", "do", "go", "so", "no", "of", "or", "an", "as",
              "be", "he", "we", "am", "us", "ok", "if", "pm"}  # fmt: skip


def _langs_en(rest: str, slots: dict) -> None:
    """Target after to / into / in, source after from or where the text already is in a language."""
    m = re.search(rf"\b(?:it's|it is|is|written|all|they're|speaking|speaks) in (?P<l>{LANG_ALT_EN})\b", rest)
    if m:
        slots.setdefault("source_lang", LANGS[m.group("l")])
        rest = rest[: m.start()] + rest[m.end() :]
    m = re.search(rf"\b(?:to|into|in) (?P<l>{LANG_ALT_EN})\b", rest)
    if m:
        slots.setdefault("target_lang", LANGS[m.group("l")])
        rest = rest[: m.start()] + rest[m.end() :]
    m = re.search(rf"\bfrom (?P<l>{LANG_ALT_EN})\b", rest)
    if m:
        slots.setdefault("source_lang", LANGS[m.group("l")])
        rest = rest[: m.start()] + rest[m.end() :]
    m = re.search(rf"\b(?P<l>{LANG_ALT_EN})\b", rest)
    if m and "source_lang" not in slots:  # "her spanish", "this french menu"
        slots["source_lang"] = LANGS[m.group("l")]


def _daily_slots_en(intent: str, rest: str, slots: dict) -> None:
    if intent == "start_subtitles":
        _langs_en(rest, slots)
    elif intent == "send_message":
        media = re.search(r"\b(?:this|the|that|my) (?P<a>photo|picture|pic|video)\b", rest)
        if media:
            slots["attachment"] = "video" if media.group("a") == "video" else "photo"
        m = re.search(r"\breply (?:with )?(?P<x>.+?)(?: to (?:that|this|the|his|her|their) (?:message|text))?$", rest)
        if m:
            slots["text"] = m.group("x")
            return
        body = r"(?: (?:that|saying|to say|and say) (?P<x>.+?)| (?P<y>(?:i|i'm|i am|i'll|we|we're|we'll|you|see|call|running|on|dinner|where|happy|meeting|ok)\b.*?))?"
        tail = r"(?: (?:on|via|by|over) (?:wechat|whatsapp|sms|text|imessage|message))?$"
        m = (re.search(r"\bsend (?P<c>(?:my |the )?[\w']+) an? (?:message|text|note|wechat)(?: (?:that|saying) (?P<x>.+?))?" + tail, rest)
             or re.search(r"\bask (?P<c>(?:my |the )?[\w']+) (?P<x>(?:if|whether|when|where|what|to)\b.+?)" + tail, rest)
             or re.search(r"\b(?:text|message|tell|wechat|sms|ping|whatsapp) (?!a\b|an\b)(?P<c>(?:my |the )?[\w']+)" + body + tail, rest)
             or re.search(r"\blet (?P<c>(?:my |the )?[\w']+) know(?: that)?(?: (?P<x>.+?))?" + tail, rest)
             or re.search(r"\bto (?P<c>(?:my |the )?[\w']+)" + body + tail, rest))  # fmt: skip
        if m:
            contact = _clean_phrase(m.group("c"))
            if contact not in (None, "message", "text", "him", "her", "them", "it"):
                slots["contact"] = contact
            text = m.groupdict().get("x") or m.groupdict().get("y")
            if text:
                slots["text"] = text.strip()
    elif intent == "flight_status":
        for m in re.finditer(r"\b(?P<a>[a-z][a-z0-9]) ?(?P<n>\d{2,4})\b", rest):
            if m.group("a") not in NOT_FLIGHT:
                slots["flight"] = (m.group("a") + m.group("n")).upper()
                break
    elif intent in ("weather", "time"):
        m = re.search(r"\b(?:in|for|at) (?P<p>(?!the\b|a\b|\d)[a-z][a-z' ]*?)(?= (?:today|tomorrow|tonight|this|now|right|like)\b|$)", rest)
        if m and m.group("p") not in ("here", "the morning", "the evening", "the afternoon", "town"):
            slots["place"] = m.group("p")
    elif intent == "record_video":
        m = re.search(r"\b(?P<n>\d+) ?-?(?P<u>seconds?|secs?|s|minutes?|mins?)\b", rest)
        if m:
            slots["duration_s"] = int(m.group("n")) * (60 if m.group("u").startswith("m") else 1)


def _category_en(rest: str, slots: dict) -> None:
    """"the nearest pharmacy", "a coffee shop near me": a kind of place, not one place."""
    m = re.search(r"\bhow far (?:away )?is (?P<d>[\w' &-]+?)(?= from\b| (?:now|please)\b|$)", rest)
    if m and "destination" not in slots:
        slots["destination"] = _clean_phrase(m.group("d"))
    m = (re.search(r"\b(?:nearest|closest) (?P<c>[\w' -]+?)(?= (?:near|around|from|to|please|here|nearby|by|on|in|with|using|walking|driving)\b|$)", rest)
         or re.search(r"\b(?:find|any|is there|where can i find|looking for)(?: me)? (?:a |an |any |some )(?P<c>[\w' -]+?)"
                      r"(?= (?:near|nearby|around|close)\b|$)", rest))  # fmt: skip
    if m:
        slots["category"] = _clean_phrase(m.group("c"))
        if re.search(r"\b(?:nearest|closest)\b", slots.get("destination", "")) or slots.get("destination", "").endswith(
                slots["category"] or "\0"):  # fmt: skip
            slots.pop("destination")
    if slots.get("pickup") in ("here", "this place"):
        slots.pop("pickup")


def _parse_en(raw: str) -> ParseResult:
    t = _normalize_en(raw)
    for intent, pattern, confidence in EN_RULES:
        if pattern.search(t):
            return ParseResult(intent, _slots_en(intent, t), confidence, "en", t)
    return ParseResult("unknown", {}, 0.0, "en", t, path="none")


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
        # daily features: specific phrasings first ("拍下来" is a photo, "拍下" a purchase)
        ("stop_subtitles", r"(?:关闭|关掉|停止|隐藏|关|停)(?:实时)?(?:字幕|同传|同声传译|实时翻译)|(?:字幕|同传|同声传译|实时翻译).*(?:关|停|不用|不要)|"
         r"不(?:用|要)(?:再)?显示字幕", 0.9),
        ("start_subtitles", r"字幕|同传|同声传译|实时翻译|实时转写", 0.9),
        ("summarize_notes", r"总结|概括|归纳|摘要|要点", 0.9),
        ("stop_video", r"(?:停止|结束|停)(?:录像|录视频|拍摄|摄像)|别录了|不要再录|视频.*(?:停|结束)", 0.9),
        ("record_video", r"录像|录视频|拍视频|摄像|录.{0,5}视频|录下来", 0.9),
        ("take_photo", r"拍照|拍个照|拍张|照相|拍一张|拍下来|咔嚓", 0.9),
        ("read_text", r"朗读|读出来|念出来|(?:读|念)(?:一下|给我听)|^(?:读|念)", 0.9),
        ("hang_up", r"挂电话|挂了|挂断|拒接|结束通话|电话挂|^不接", 0.9),
        ("answer_call", r"^(?:接|接听|接电话|接一下|接起来)(?:吧|了)?$|接(?:听)?(?:这个)?电话|接听|接吧$", 0.9),
        ("send_message", r"发(?:个|条)?(?:消息|微信|短信|信息)|(?:跟|和|告诉).+说(?:一声|一下)|^告诉(?!我)|^回复|(?:照片|视频)发给", 0.9),
        ("flight_status", r"航班|登机口|飞机.*(?:准点|起飞|延误|降落)|(?:几点|什么时候)(?:起飞|降落)", 0.9),
        ("set_alarm", r"闹钟|闹铃|叫(?:我)?起床|叫醒", 0.9),
        ("weather", r"天气|下雨|下雪|带伞|多少度|气温|冷不冷|热不热", 0.85),
        ("time", r"几点了|现在几点|几号|星期几|周几|告诉我时间|现在时间", 0.9),
        ("battery_status", r"电量|电池|多少电|没电", 0.9),
        ("navigate", r"附近|最近的|多远", 0.85),
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
            "韩语": "ko", "韩文": "ko", "西班牙语": "es", "德语": "de", "德文": "de", "俄语": "ru", "法文": "fr", "西语": "es"}  # fmt: skip
ZH_SIZES = {"大": "large", "中": "medium", "小": "small", "超大": "large"}
ZH_DAYS = {"今天": "today", "今晚": "tonight", "明天": "tomorrow", "明早": "tomorrow", "明晚": "tomorrow", "今早": "today", "后天": "day after tomorrow",
           "周一": "monday", "周二": "tuesday", "周三": "wednesday", "周四": "thursday", "周五": "friday",
           "周六": "saturday", "周日": "sunday", "星期一": "monday", "星期二": "tuesday", "星期三": "wednesday",
           "星期四": "thursday", "星期五": "friday", "星期六": "saturday", "星期天": "sunday", "星期日": "sunday"}  # fmt: skip
NUM = rf"[0-9.{ZH_NUM}]+"
AMOUNT_NUM_ZH = rf"[0-9.{ZH_NUM}点]+"  # 十二点五元


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
    t = THOUSANDS.sub("", unicodedata.normalize("NFKC", text))
    t = re.sub(r"(?<=[0-9])\.(?=[0-9])", "\0", t)  # keep the decimal point of 12.5 through the punctuation strip
    t = ZH_PUNCT.sub("", t).replace("\0", ".")
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
    period = {"明早": "早上", "今早": "早上", "明晚": "晚上"}.get(t[spans[0][0] : spans[0][1]]) if spans else None
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


ZH_DIGIT = "[0-9零〇一二两三四五六七八九]"


def _zh_decimal(s: str) -> Decimal | None:
    """Exact Decimal of a Chinese or ASCII number ("一百二十三", "12.5", "十二点五"), None if unreadable."""
    s = s.strip()
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", s):
        return _decimal_amount(s)
    if not s or not re.fullmatch(AMOUNT_NUM_ZH, s) or s.count(".") + s.count("点") > 1 or s[0] in "点." or s[-1] in "点.":
        return None
    try:
        value = cn2an.cn2an(s.replace("两", "二").replace("〇", "零"), "smart")
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return None
    return d if d.is_finite() and d >= 0 and len(str(int(d))) <= MAX_AMOUNT_DIGITS else None


def _zh_digit(ch: str | None) -> Decimal:
    return Decimal("0123456789".index(ch)) if ch and ch in "0123456789" else Decimal("零一二三四五六七八九".find(
        {"两": "二", "〇": "零"}.get(ch or "", ch or "零")) if ch else 0)


def _amount_zh(t: str, slots: dict) -> str:
    m = re.search(r"(?P<sym>[¥$€£])(?P<n>[0-9]+(?:\.[0-9]+)?)(?![0-9.])", t)
    if m:
        value = _decimal_amount(m.group("n"))
        if value is not None:
            slots["amount"] = _slot_amount(value)
            slots["currency"] = CURRENCY_SYMBOLS[m.group("sym")]
        return t[: m.start()] + t[m.end() :]
    cur_alt = "|".join(sorted(ZH_CURRENCY, key=len, reverse=True))
    m = re.search(rf"(?P<n>{AMOUNT_NUM_ZH})(?P<cur>{cur_alt})", t)
    if m:
        value = _zh_decimal(m.group("n"))
        if value is not None:
            end = m.end()
            if m.group("cur") in ("块", "元", "块钱"):
                # 十二块五 = 12.5; 一百二十三块四毛五 = 123.45; 十二块三毛四分 = 12.34; 两块零五分 = 2.05
                sub = re.match(rf"(?P<j>{ZH_DIGIT})(?:毛|角)(?:(?P<f>{ZH_DIGIT})分?)?|零?(?P<f2>{ZH_DIGIT})分|"
                               rf"(?P<j2>{ZH_DIGIT})(?![0-9零〇一二两三四五六七八九十百千万毛角分])", t[end:])  # fmt: skip
                if sub:
                    value += _zh_digit(sub.group("j") or sub.group("j2")) / 10 + _zh_digit(sub.group("f") or sub.group("f2")) / 100
                    end += sub.end()
            slots["amount"] = _slot_amount(value)
            slots["currency"] = ZH_CURRENCY[m.group("cur")]
            return t[: m.start()] + t[end:]
    m = re.search(rf"(?P<jiao>{ZH_DIGIT})(?:毛|角)(?:钱)?(?:(?P<fen>{ZH_DIGIT})分?)?", t)
    if m:  # 五毛 = 0.5 CNY
        value = _zh_digit(m.group("jiao")) / 10 + _zh_digit(m.group("fen")) / 100
        slots["amount"] = _slot_amount(value)
        slots["currency"] = "CNY"
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
    elif re.match(r"^(?:份|碗|杯|瓶|盒|包|本|袋|盘)", phrase) and m.group("item"):
        slots["quantity"] = 1  # 来份炒饭, 来碗面
    if m.group("size"):
        slots["size"] = ZH_SIZES[m.group("size")]
    item = re.sub(r"^(?:的|些|点)|(?:吧|了|呢|的)$", "", m.group("item"))
    if item and item not in ("这个", "那个", "它", "这", "那", "东西", "这件", "吃的"):
        slots["item"] = item


def _slots_zh(intent: str, t: str) -> dict[str, Any]:
    slots: dict[str, Any] = {}
    time, rest = _time_zh(t) if intent in ("remind", "schedule", "hail_taxi", "order_food", "call", "set_alarm", "weather") else (None, t)
    if time:
        slots["time"] = time
    if intent == "pay":
        rest = _amount_zh(rest, slots)
        m = re.search(r"(?:付给|转给|给)(?P<p>[^\d付转]+?)(?:付款|支付|付钱|转账|付|转)?$", rest)
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
        m = re.search(r"(?:点|订|叫|来|要|想吃|吃)(?P<p>(?:个|份)?(?:外卖)?.+)$", rest)
        if m:
            p = re.sub(r"(?:的)?外卖$|外卖", "", m.group("p"))
            p = re.sub(r"^(?:个|份)(?=外卖|$)", "", p)
            if p not in ("餐", "饭", "外卖", "吃的", "东西", "", "个", "份"):
                _qty_size_item_zh(p, slots)
    elif intent == "buy":
        m = re.search(r"(?:买|购买|拍下|购入)(?P<p>.+)$", rest) or re.match(rf"^(?:来|要)(?P<p>{NUM}.+)$", rest)
        if m:
            _qty_size_item_zh(re.sub(r"(?:放|加入?)(?:到)?购物车$", "", m.group("p")), slots)
            slots.pop("size", None)
    elif intent == "compare_price":
        m = re.search(r"(?:比较|比一下|查一下|查查|看看)?(?P<p>[^比查看]+?)(?:在(?:别家|别的店|网上|其他地方|哪))?(?:卖)?的?"
                      r"(?:价格|价钱|多少钱|在哪(?:里|儿|家)(?:更|最)?便宜|哪(?:里|儿|家)(?:更|最)?便宜)", rest)  # fmt: skip
        if m:
            p = re.sub(r"^(?:下|一下|把)", "", m.group("p"))
            if p and not re.match(r"^(?:这|那|它)", p):
                slots["item"] = p
    elif intent == "call":
        m = re.search(r"(?:给|打给|呼叫|拨打|联系|跟|和)(?P<c>.+?)(?:打(?:个)?(?:电话|视频)|拨(?:个)?电话|的电话|电话|视频(?:通话|一下)?|$)", rest)
        if m:
            c = re.sub(r"^(?:一下)|(?:吧|了)$", "", m.group("c"))
            if c and c not in ("电话",):
                slots["contact"] = c
        if "contact" not in slots:
            m = re.search(r"(?:打电话|拨个电话|打个电话)给(?P<c>.+)$", rest)
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
        if "source_lang" not in slots:  # 这段德文翻译成中文: a language named but not as the target
            langs = "|".join(sorted(ZH_LANGS, key=len, reverse=True))
            said = [x for x in re.finditer(langs, rest) if not re.search(r"(?:翻译成|翻成|译成|用|成|到)$", rest[: x.start()])]
            if said and ZH_LANGS[said[0].group(0)] != slots.get("target_lang"):
                slots["source_lang"] = ZH_LANGS[said[0].group(0)]
    elif intent == "play_music":
        m = re.search(r"(?:播放|放|听|来)(?:一首|首|点|些)?(?P<q>.+)$", rest)
        if m:
            q = re.sub(r"的(?:歌曲|歌|音乐)$|(?:歌曲|歌)$", "", m.group("q"))
            if q and q not in ("音乐", "歌"):
                slots["query"] = q
    elif intent == "cancel":
        for target, pat in (("ride", "打车|叫车|车|行程"), ("order", "订单|外卖|下单|点餐"), ("payment", "付款|支付|付钱|付了|别付")):
            if re.search(pat, rest):
                slots["target"] = target
                break
    elif intent in ("start_subtitles", "send_message", "flight_status", "weather", "time", "record_video"):
        _daily_slots_zh(intent, rest, slots)
    if intent == "navigate":
        m = re.search(r"(?:最近的|附近的|附近(?:哪里|哪儿)?有(?:没有)?|附近有没有|找个|找一下|找)(?P<c>[^在哪吗有]+?)(?:在哪.*|吗|呢|怎么走|怎么去|的路.*)?$", rest)
        if m:
            slots["category"] = m.group("c")
            slots.pop("destination", None)
        m = re.search(r"^(?P<d>.+?)(?:离(?:这里|这儿|这|我)?)?(?:有)?多远", rest)
        if m and "destination" not in slots and "category" not in slots:
            slots["destination"] = m.group("d")
    if intent == "weather" and ":" in slots.get("time", ""):
        slots["time"] = slots["time"].split(" ")[0] if " " in slots["time"] else None
    return {k: v for k, v in slots.items() if v not in (None, "")}


ZH_CONTACT = (r"(?:妈妈|爸爸|老婆|老公|奶奶|爷爷|外婆|外公|哥哥|姐姐|弟弟|妹妹|儿子|女儿|老板|同事|老师|客户|房东|大家|"
              r"[老小阿][\u4e00-\u9fff]|[\u4e00-\u9fff]{1,2}(?:总|经理|老师|医生|师傅|阿姨|叔叔)|[\u4e00-\u9fff]{2})")
ZH_AIRLINES = {"国航": "CA", "东航": "MU", "南航": "CZ", "海航": "HU", "川航": "3U", "厦航": "MF"}


def _daily_slots_zh(intent: str, rest: str, slots: dict) -> None:
    langs = "|".join(sorted(ZH_LANGS, key=len, reverse=True))
    if intent == "start_subtitles":
        m = re.search(rf"(?:翻译成|翻成|译成|翻|成|到)(?P<l>{langs})", rest)
        if m:
            slots["target_lang"] = ZH_LANGS[m.group("l")]
            rest = rest[: m.start()] + rest[m.end() :]
        m = re.search(rf"(?P<l>{langs})", rest)
        if m:
            slots["source_lang"] = ZH_LANGS[m.group("l")]
    elif intent == "send_message":
        if re.search(r"照片|图片|相片", rest):
            slots["attachment"] = "photo"
        elif "视频" in rest:
            slots["attachment"] = "video"
        m = (re.search(r"给(?P<c>[^发]+?)发(?:个|条|一条)?(?:消息|微信|短信|信息)(?:说(?P<x>.+))?$", rest)
             or re.search(r"发(?:个|条|一条)?(?:消息|微信|短信|信息)给(?P<c>[^说]+?)(?:说(?P<x>.+))?$", rest)
             or re.search(r"(?:跟|和|告诉)(?P<c>[^说]+?)说(?:一声|一下)?(?P<x>.+)?$", rest)
             or re.search(rf"^告诉(?P<c>{ZH_CONTACT})(?P<x>.+)$", rest)
             or re.search(r"(?:照片|图片|相片|视频)发给(?P<c>.+)$", rest))  # fmt: skip
        if m:
            slots["contact"] = m.group("c")
            if m.groupdict().get("x"):
                slots["text"] = m.group("x")
        m = re.search(r"^回复(?P<x>.+)$", rest)
        if m:
            slots["text"] = m.group("x")
    elif intent == "flight_status":
        m = re.search(r"(?P<a>[a-z][a-z0-9])\s?(?P<n>\d{2,4})", rest)
        if m:
            slots["flight"] = (m.group("a") + m.group("n")).upper()
        else:
            m = re.search("(?P<a>" + "|".join(ZH_AIRLINES) + r")(?P<n>\d{2,4})", rest)
            if m:
                slots["flight"] = ZH_AIRLINES[m.group("a")] + m.group("n")
    elif intent in ("weather", "time"):
        m = re.search(r"^(?P<p>[\u4e00-\u9fff]{2,4}?)(?:现在|的)?(?:天气|气温|几点|时间|多少度|冷不冷|热不热|会下)", rest)
        if m and m.group("p") not in ("现在", "外面", "今天", "明天", "这里", "这边", "告诉我", "看一下", "未来"):
            slots["place"] = m.group("p")
        if intent == "weather" and "time" not in slots:
            for word in ("今天", "明天", "后天"):
                if word in rest:
                    slots["time"] = ZH_DAYS[word]
    elif intent == "record_video":
        m = re.search(rf"(?P<n>{NUM})(?P<u>秒钟|秒|分钟)", rest)
        value = _zh_number(m.group("n")) if m else None
        if value is not None:
            slots["duration_s"] = int(value * (60 if m.group("u") == "分钟" else 1))


def _parse_zh(raw: str) -> ParseResult:
    t = _normalize_zh(raw)
    if not t:
        return ParseResult("unknown", {}, 0.0, "zh", t, path="none")
    for intent, pattern, confidence in ZH_RULES:
        if pattern.search(t):
            return ParseResult(intent, _slots_zh(intent, t), confidence, "zh", t)
    return ParseResult("unknown", {}, 0.0, "zh", t, path="none")
