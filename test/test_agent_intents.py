"""Offline intent parser: accuracy on the utterance set, slot types, robustness, `glasses ask`."""

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from glasses_agent import intents
from glasses_agent.intents import INTENTS, extract_amount, parse

FIXTURES = Path(__file__).parent / "fixtures" / "agent"


def load(name):
    return yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))


def score(items):
    intent_ok = slot_ok = slot_total = 0
    for it in items:
        r = parse(it["text"], it["lang"])
        intent_ok += r.intent == it["intent"]
        expected = it["slots"] or {}
        keys = set(expected) | set(r.slots)
        slot_total += len(keys)
        slot_ok += sum(expected.get(k) == r.slots.get(k) for k in keys)
    return intent_ok / len(items), (slot_ok / slot_total if slot_total else 1.0)


ORIGINAL_INTENTS = {
    "pay", "compare_price", "buy", "order_food", "hail_taxi", "cancel", "confirm", "navigate", "translate",
    "start_notes", "stop_notes", "play_music", "pause_music", "next_track", "volume", "call", "remind", "schedule",
    "teleprompter", "what_is_this", "unknown",
}  # fmt: skip


def test_utterance_set_is_large_bilingual_and_covers_the_original_intents():
    items = load("utterances.yaml")
    assert len(items) >= 150
    langs = {it["lang"] for it in items}
    assert langs == {"en", "zh"}
    assert sum(it["lang"] == "zh" for it in items) >= 50
    assert ORIGINAL_INTENTS <= {it["intent"] for it in items} <= set(INTENTS)


def test_dev_set_accuracy():
    intent_acc, slot_acc = score(load("utterances.yaml"))
    assert intent_acc >= 0.97
    assert slot_acc >= 0.95


def test_round_three_heldout_set_accuracy_floor():
    # Round three's held-out set (written after the rules were frozen); rules alone gave 0.733.
    intent_acc, slot_acc = score(load("utterances_heldout.yaml"))
    assert intent_acc >= 0.9
    assert slot_acc >= 0.7


@pytest.mark.parametrize(
    "text,lang,intent,slots",
    [
        ("Pay 12.50 yuan to Cafe Lumi", "en", "pay", {"amount": 12.5, "currency": "CNY", "payee": "cafe lumi"}),
        ("order a large beef noodle from the usual place", "en", "order_food",
         {"quantity": 1, "size": "large", "item": "beef noodle", "restaurant": "usual"}),
        ("take me to the airport", "en", "hail_taxi", {"destination": "airport"}),
        ("从老地方点一份大份牛肉面", "zh", "order_food", {"restaurant": "usual", "quantity": 1, "size": "large", "item": "牛肉面"}),
        ("付十二块五给咖啡店", "zh", "pay", {"amount": 12.5, "currency": "CNY", "payee": "咖啡店"}),
        ("明天早上八点提醒我开会", "zh", "remind", {"time": "tomorrow 08:00", "task": "开会"}),
        ("明早八点叫我起床", "zh", "set_alarm", {"time": "tomorrow 08:00"}),
        ("set an alarm for 7 tomorrow morning", "en", "set_alarm", {"time": "tomorrow 07:00"}),
        ("wake me up at six thirty", "en", "set_alarm", {"time": "06:30"}),
        ("付三十块", "zh", "pay", {"amount": 30.0, "currency": "CNY"}),
        ("text Tom that I'm running late", "en", "send_message", {"contact": "tom", "text": "i'm running late"}),
        ("给妈妈发消息说我到了", "zh", "send_message", {"contact": "妈妈", "text": "我到了"}),
        ("send this photo to Lisa", "en", "send_message", {"contact": "lisa", "attachment": "photo"}),
        ("where is the nearest pharmacy", "en", "navigate", {"category": "pharmacy"}),
        ("附近有没有药店", "zh", "navigate", {"category": "药店"}),
        ("how far is the train station", "en", "navigate", {"destination": "train station"}),
        ("turn on live captions from Spanish into English", "en", "start_subtitles", {"source_lang": "es", "target_lang": "en"}),
        ("开始同传英语翻中文", "zh", "start_subtitles", {"source_lang": "en", "target_lang": "zh"}),
        ("check the status of flight CA 981", "en", "flight_status", {"flight": "CA981"}),
        ("查一下国航981", "zh", "flight_status", {"flight": "CA981"}),
        ("what's the weather in Shanghai tomorrow", "en", "weather", {"place": "shanghai", "time": "tomorrow"}),
        ("杭州明天天气怎么样", "zh", "weather", {"place": "杭州", "time": "tomorrow"}),
        ("what time is it in Tokyo", "en", "time", {"place": "tokyo"}),
        ("shoot a thirty second clip", "en", "record_video", {"duration_s": 30}),
        ("录两分钟的视频", "zh", "record_video", {"duration_s": 120}),
        ("拍照", "zh", "take_photo", {}),
        ("take a picture", "en", "take_photo", {}),
        ("hang up", "en", "hang_up", {}),
        ("接电话", "zh", "answer_call", {}),
        ("how much battery is left", "en", "battery_status", {}),
        ("总结一下刚才的会议", "zh", "summarize_notes", {}),
        ("read this sign aloud", "en", "read_text", {}),
        ("关闭字幕", "zh", "stop_subtitles", {}),
        ("stop filming", "en", "stop_video", {}),
    ],
)
def test_typed_slots(text, lang, intent, slots):
    r = parse(text, lang)
    assert (r.intent, r.slots) == (intent, slots)
    assert 0.5 < r.confidence <= 1.0


def test_did_not_understand_path_has_zero_confidence():
    for text in ("tell me a joke", "", "   ", "讲个笑话", "%%%"):
        r = parse(text)
        assert r.intent == "unknown" and r.confidence == 0.0 and r.slots == {}


def test_language_is_detected_when_not_given():
    assert parse("打车去机场").lang == "zh"
    assert parse("take me to the airport").lang == "en"


def test_extract_amount():
    assert extract_amount("twenty yuan") == (20.0, "CNY")
    assert extract_amount("十二块五", "zh") == (12.5, "CNY")
    assert extract_amount("hello") is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_parses_to_a_documented_intent(text):
    r = parse(text)
    assert r.intent in INTENTS
    assert 0.0 <= r.confidence <= 1.0
    json.dumps(r.as_dict(), ensure_ascii=False)


def test_glasses_ask_prints_intent_slots_confidence_and_path(capsys):
    from glasses_bringup.cli import main

    assert main(["ask", "take me to the airport", "--lang", "en"]) == 0
    doc = json.loads(capsys.readouterr().out.strip())
    assert (doc["intent"], doc["slots"], doc["path"], doc["ask_back"]) == ("hail_taxi", {"destination": "airport"},
                                                                           "rules+model", False)  # fmt: skip
    assert 0.9 <= doc["confidence"] <= 1.0 and doc["candidates"][0][0] == "hail_taxi"
    assert main(["ask", "明早八点叫我起床"]) == 0
    doc = json.loads(capsys.readouterr().out.strip())
    assert (doc["intent"], doc["slots"]) == ("set_alarm", {"time": "tomorrow 08:00"})
    assert doc["path"] in ("rules", "model", "rules+model")


def test_glasses_ask_stdin(capsys, monkeypatch):
    import io

    from glasses_bringup.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("pay\n\n下一首\n"))
    assert main(["ask", "--stdin"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [d["intent"] for d in lines] == ["pay", "next_track"]


@pytest.mark.parametrize("heard", ["请帮我必价", "请帮我贝价。", "帮我皮价"])
def test_chinese_keyword_written_as_a_sound_alike_is_understood(heard):
    # 必价 is a homophone of 比价, 贝价 / 皮价 one pinyin letter off: the recognizer's spelling
    r = intents.parse(heard, "zh")
    assert (r.intent, r.path) == ("compare_price", "sound-alike")
    assert r.text == intents.parse_rules(heard, "zh").text  # the words as heard, not rewritten
    assert not intents.needs_clarifying(r)


@pytest.mark.parametrize("heard", ["请帮我付宽", "贝壳", "请帮我一下", "背价"])
def test_sound_alikes_never_act_on_money_or_on_a_guess_the_model_lacks(heard):
    # 付宽 sounds like 付款 but pay is guarded: still asked back; the others have no such guess
    r = intents.parse(heard, "zh")
    assert r.intent == "unknown" and r.path != "sound-alike"


def test_sound_alike_spelling():
    assert intents.sound_alike("请帮我贝价", "比价") == "请帮我比价"
    assert intents.sound_alike("请帮我贝壳", "比价") is None
    assert intents.sound_alike("ok比价", "比价") == "ok比价"
    assert intents.sound_alike("b价", "比价") is None  # only Chinese characters are read as sounds
