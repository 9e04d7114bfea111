"""Understanding that generalises: corpus, learned model (reproducible), held-out accuracy,
unknown precision, clarifying questions, spoken amounts (regressions and fuzz)."""

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import cn2an
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from glasses_agent import intent_model, intent_registry, intents
from glasses_agent.backends.sqlite import SqliteSandbox
from glasses_agent.dialogue import DialogueManager
from glasses_agent.intents import INTENTS, ParseResult, extract_amount, parse

FIXTURES = Path(__file__).parent / "fixtures" / "agent"
CODE = "glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=U1001"


def load(name):
    return yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))


def corpus_rows():
    lines = intent_model.CORPUS_PATH.read_text(encoding="utf-8").splitlines()[1:]
    return [dict(zip(("text", "lang", "intent", "source"), line.split("\t"), strict=True)) for line in lines]


def heldout_scores(items):
    by_lang, by_intent, slots = Counter(), Counter(), Counter()
    for it in items:
        r = parse(it["text"], it["lang"])
        ok = r.intent == it["intent"]
        by_lang[it["lang"], ok] += 1
        by_intent[it["intent"], ok] += 1
        expected = it["slots"] or {}
        keys = set(expected) | set(r.slots)
        slots["total"] += len(keys)
        slots["ok"] += sum(expected.get(k) == r.slots.get(k) for k in keys)
    return by_lang, by_intent, slots


# ------------------------------------------------------------------ vocabulary and corpus


def test_registry_lists_every_intent_with_typed_slots():
    assert set(intent_registry.INTENTS) == set(INTENTS)
    for name, (en, zh, description, slots) in intent_registry.INTENTS.items():
        assert en and zh and description, name
        assert set(slots) <= set(intent_registry.SLOTS), name


def test_corpus_is_large_bilingual_noisy_and_covers_every_intent():
    rows = corpus_rows()
    assert len(rows) >= 1500
    for lang in ("en", "zh"):
        per_intent = Counter(r["intent"] for r in rows if r["lang"] == lang)
        assert set(per_intent) == set(INTENTS), lang
        assert min(per_intent.values()) >= 20, lang
    texts = [r["text"] for r in rows]
    assert any(t.lower().startswith(("um ", "uh ")) for t in texts)  # fillers
    assert any(t.startswith(("嗯", "帮我")) for t in texts)
    assert any(re.search(r"[A-Za-z]", t) and re.search(r"[\u4e00-\u9fff]", t) for t in texts)  # code-switching
    assert any(re.search(r"\d", t) for t in texts) and any("twenty" in t.lower() for t in texts)  # digits vs words
    assert any(t.endswith(("?", "？", "!", ".")) for t in texts) and any(re.fullmatch(r"[\w' ]+", t) for t in texts)
    polite = ("please", "could you", "can you", "麻烦", "请")
    assert sum(any(p in t.lower() for p in polite) for t in texts) >= 100
    near_misses = [r["text"] for r in rows if r["intent"] == "unknown"]
    assert any(re.search(r"\b(?:paid|ordered|called)\b", t) for t in near_misses)  # past tense, not a command
    assert any(re.search(r"付了|打车|点了", t) for t in near_misses)


def test_corpus_is_the_expansion_of_the_templates():
    templates = yaml.safe_load(intent_model.TEMPLATES_PATH.read_text(encoding="utf-8"))
    rebuilt = intent_model.build_corpus(templates, load("utterances.yaml"), exclude=intent_model.heldout_texts())
    assert [tuple(r.values()) for r in corpus_rows()] == rebuilt


def test_model_retrains_bit_for_bit_from_the_corpus():
    blob = intent_model.train(intent_model.read_corpus())
    assert blob == intent_model.MODEL_PATH.read_bytes()


def test_model_is_small():
    model = intent_model.load_model()
    assert model.nbytes() < 50 * 1024 * 1024
    assert set(model.classes) == set(INTENTS)


# ------------------------------------------------------------------ held-out split


def test_heldout_split_is_large_bilingual_covers_every_intent_and_is_never_trained_on():
    items = load("intents_heldout.yaml")
    assert len(items) >= 300
    for lang in ("en", "zh"):
        assert {it["intent"] for it in items if it["lang"] == lang} == set(INTENTS), lang
    trained = {intent_model.normalise(r["text"]) for r in corpus_rows()}
    leaked = [it["text"] for it in items if intent_model.normalise(it["text"]) in trained]
    assert leaked == []


def test_heldout_intent_accuracy_per_language_and_slot_accuracy():
    by_lang, _, slots = heldout_scores(load("intents_heldout.yaml"))
    for lang in ("en", "zh"):
        accuracy = by_lang[lang, True] / (by_lang[lang, True] + by_lang[lang, False])
        assert accuracy >= 0.92, lang
    assert slots["ok"] / slots["total"] >= 0.65


def test_out_of_scope_utterances_come_back_unknown():
    items = [it for it in load("intents_heldout.yaml") if it["intent"] == "unknown"]
    unknown = sum(parse(it["text"], it["lang"]).intent == "unknown" for it in items)
    assert unknown / len(items) >= 0.9


@pytest.fixture
def sandbox(tmp_path):
    s = SqliteSandbox(tmp_path / "agent.sqlite", clock=lambda: 1_800_000_000.0)
    yield s
    s.close()


def test_no_out_of_scope_utterance_leads_to_a_payment(sandbox):
    d = DialogueManager(sandbox)
    items = [it for it in load("intents_heldout.yaml") if it["intent"] == "unknown"]
    extra = ["she paid", "I paid him twelve yuan yesterday", "昨天他付了三十块", "嗯", "the price is crazy"]
    t = 1.0
    for text in [it["text"] for it in items] + extra:
        d.on_code(CODE, "payment", t, t)  # a payment code in view the whole time
        for step in d.on_transcript(text, None, t + 0.1, t + 0.1):
            assert not any(r.kind == "confirm" for r in step.replies), text
        t += 1.0
    assert sandbox.ledger() == []


# ------------------------------------------------------------------ clarifying questions


def ambiguous_parser(result):
    def parser(text, lang=None):
        if text == "ambiguous":
            return result
        return parse(text, lang)

    return parser


GUESS = ParseResult("pay", {}, 0.6, "en", "pay the usual", path="model", candidates=[("pay", 0.6), ("compare_price", 0.3)],
                    ambiguous=True)  # fmt: skip


def test_guarded_guess_is_asked_back_and_answered_by_voice(sandbox):
    d = DialogueManager(sandbox, parser=ambiguous_parser(GUESS))
    d.on_code(CODE, "payment", 1.0, 1.0)
    [step] = d.on_transcript("ambiguous", "en", 1.1, 1.1)
    card = step.replies[0]
    assert card.message_id == "clarify" and "pay" in card.body and "compare prices" in card.body
    assert not any(r.kind == "confirm" for r in step.replies) and sandbox.ledger() == []
    [step] = d.on_transcript("the first one", "en", 2.0, 2.0)
    assert ("clarify", "chosen", {"intent": "pay", "via": "speech"}) in step.actions
    assert step.replies[0].kind == "confirm"  # the money itself still needs its own confirmation
    assert sandbox.ledger() == []


def test_clarifying_question_answered_by_touch_or_dropped(sandbox):
    d = DialogueManager(sandbox, parser=ambiguous_parser(GUESS))
    d.on_transcript("ambiguous", "en", 1.0, 1.0)
    [step] = d.on_touch("swipe_forward", 2.0, 2.0)
    assert step.intent.intent == "compare_price" and step.intent.path == "clarified"
    d.on_transcript("ambiguous", "en", 3.0, 3.0)
    [step] = d.on_touch("long_press", 4.0, 4.0)
    assert ("clarify", "dropped", {"via": "long_press"}) in step.actions
    d.on_transcript("ambiguous", "en", 5.0, 5.0)
    [step] = d.on_transcript("不是", "zh", 6.0, 6.0)
    assert step.actions[0][:2] == ("clarify", "dropped") and sandbox.ledger() == []


def test_a_new_request_replaces_the_question(sandbox):
    d = DialogueManager(sandbox, parser=ambiguous_parser(GUESS))
    d.on_transcript("ambiguous", "en", 1.0, 1.0)
    [step] = d.on_transcript("next song", "en", 2.0, 2.0)
    assert step.intent.intent == "next_track" and d.clarifying is None


def test_real_parser_asks_back_instead_of_guessing_for_money_or_messages():
    for text in ["hmm the blue one maybe", "um so that thing", "okay the other", "那个蓝色的吧"]:
        r = parse(text)
        assert not (r.intent in intents.GUARDED and r.path == "model" and not intents.needs_clarifying(r)
                    and r.confidence < intents.GUARDED_SURE), text  # fmt: skip


@pytest.mark.parametrize(
    "text,intent",
    [
        ("stop navigation", "navigate"),  # was stop_subtitles
        ("end the navigation", "navigate"),
        ("停止导航", "navigate"),
        ("结束导航", "navigate"),
        ("is my train on time", "flight_status"),  # was unknown
        ("has the train been delayed", "flight_status"),
        ("我的火车准时吗", "flight_status"),
        ("高铁晚点了吗", "flight_status"),
        ("stop the captions", "stop_subtitles"),  # the neighbours keep their reading
        ("关闭字幕", "stop_subtitles"),
        ("is my flight on time", "flight_status"),
        ("I took the train yesterday", "unknown"),
    ],
)
def test_daily_skill_misreadings_stay_fixed(text, intent):
    r = parse(text)
    assert r.intent == intent, (text, r)
    if intent == "navigate":
        assert not r.slots.get("destination") and not r.slots.get("category")  # no destination: the skill stops


@pytest.mark.parametrize(
    "text,time",
    [
        ("set an alarm for one minute from now", "+1m"),  # was 01:00 ("for one" read as a clock time)
        ("remind me to call mom 10 minutes from now", "+10m"),
        ("wake me up in one minute", "+1m"),
        ("set an alarm for 7", "07:00"),
    ],
)
def test_relative_times_from_now(text, time):
    assert parse(text).slots.get("time") == time, text


# ------------------------------------------------------------------ spoken amounts


@pytest.mark.parametrize(
    "text,lang,amount,currency",
    [
        ("1,250", "en", "1250", None),
        ("1,000.50", "en", "1000.50", None),
        ("pay 1,250 yuan", "en", "1250", "CNY"),
        ("pay $1,250.75", "en", "1250.75", "USD"),
        ("pay 12.5 yuan", "en", "12.5", "CNY"),
        ("pay 12 50 yuan", "en", "12.50", "CNY"),
        ("thirty five dollars and fifty cents", "en", "35.50", "USD"),
        ("付一百二十三块四毛五", "zh", "123.45", "CNY"),
        ("付十二块三毛四分", "zh", "12.34", "CNY"),
        ("十二块五", "zh", "12.5", "CNY"),
        ("两块零五分", "zh", "2.05", "CNY"),
        ("五块八分", "zh", "5.08", "CNY"),
        ("五毛", "zh", "0.5", "CNY"),
        ("付12.5元", "zh", "12.5", "CNY"),
        ("付¥1,250", "zh", "1250", "CNY"),
        ("付十二点五元", "zh", "12.5", "CNY"),
        ("三十块", "zh", "30", "CNY"),
        ("一万两千块", "zh", "12000", "CNY"),
    ],
)
def test_spoken_amounts_are_exact(text, lang, amount, currency):
    value, cur = extract_amount(text, lang)
    assert isinstance(value, Decimal) and value == Decimal(amount) and cur == currency
    assert Decimal(str(value)) == Decimal(amount)  # what the money code does with it


@pytest.mark.parametrize("text,lang", [("1e3", "en"), ("pay 1e3 yuan", "en"), ("v2", "en"), ("12.5.3 yuan", "en"),
                                       ("3点", "zh"), ("hello", "en"), ("", "zh")])  # fmt: skip
def test_not_an_amount(text, lang):
    assert extract_amount(text, lang) is None


def test_parse_slots_carry_the_exact_amount():
    assert parse("付一百二十三块四毛五", "zh").slots["amount"] == 123.45
    assert str(parse("pay 1,000.50 dollars", "en").slots["amount"]) == "1000.5"


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2),
       st.sampled_from(["{:,} yuan", "pay {:,} dollars", "pay ${:,}", "{} euros", "pay {} rmb", "¥{:,}"]))  # fmt: skip
def test_fuzz_english_digit_amounts(value, template):
    said = template.format(value)
    got = extract_amount(said, "en")
    assert got is not None and got[0] == value, said


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 99999), st.integers(0, 9), st.integers(0, 9), st.sampled_from(["", "付", "支付"]),
       st.sampled_from(["块", "元"]))  # fmt: skip
def test_fuzz_chinese_yuan_jiao_fen(yuan, jiao, fen, verb, unit):
    digits = "零一二三四五六七八九"
    said = verb + cn2an.an2cn(yuan, "low") + unit
    if jiao:
        said += digits[jiao] + "毛"
    if fen:
        said += ("零" if not jiao else "") + digits[fen] + "分"
    got = extract_amount(said, "zh")
    assert got is not None and got == (Decimal(yuan) + Decimal(jiao) / 10 + Decimal(fen) / 100, "CNY"), said


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40),
                 st.text(alphabet="0123456789.,eE$¥€£ 零〇一二两三四五六七八九十百千万点块元毛角分钱美元付pay yuan", max_size=30)))  # fmt: skip
def test_fuzz_amount_parser_never_raises_and_returns_a_sane_value(text):
    for lang in ("en", "zh", None):
        got = extract_amount(text, lang)
        if got is not None:
            value, currency = got
            assert isinstance(value, Decimal) and value.is_finite() and value >= 0
            assert currency in (None, "CNY", "USD", "EUR", "GBP", "JPY", "HKD")
            assert Decimal(str(value)) == value
