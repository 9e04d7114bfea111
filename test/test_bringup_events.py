"""The event contract: round trips, and every malformed input is an EventError with a reason."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glasses_bringup.foundation import events as ev


def test_round_trip_every_schema_name_is_registered():
    samples = [
        ev.Touch(stamp=1.0, gesture="double_tap"),
        ev.HeadGesture(stamp=2.0, gesture="nod", confidence=0.8),
        ev.Transcript(stamp=3.0, text="pay", final=True, audio_start=2.0, audio_end=3.0, latency_ms=120.0),
        ev.Code(stamp=4.0, symbology="QR_CODE", text="x", kind="other", corners=[{"x": 1, "y": 2}]),
        ev.Card(stamp=5.0, card_id="c1", kind="confirm", title="Pay 12.50 CNY", body="to Cafe Lumi"),
        ev.PowerState(stamp=6.0, mode="saver", soc=0.2, runtime_left_h=1.5, load_w=0.4, swap_state="right_only"),
    ]
    for event in samples:
        text = ev.encode(event)
        doc = json.loads(text)
        assert doc["schema"] == event.SCHEMA and doc["v"] == event.VERSION
        assert ev.decode(text) == event
        assert ev.decode(text, type(event)) == event


@pytest.mark.parametrize(
    "text,reason",
    [
        ("not json", "not_json"),
        ("[1, 2]", "not_object"),
        ('{"schema": "nope", "v": 1}', "unknown_schema"),
        ('{"v": 1, "stamp": 1}', "unknown_schema"),
        ('{"schema": "touch", "v": 2, "stamp": 1, "gesture": "tap"}', "wrong_version"),
        ('{"schema": "touch", "v": 1, "stamp": 1, "gesture": "poke"}', "invalid_fields"),
        ('{"schema": "touch", "v": 1, "stamp": -1, "gesture": "tap"}', "invalid_fields"),
        ('{"schema": "touch", "v": 1, "stamp": NaN, "gesture": "tap"}', "invalid_fields"),
        ('{"schema": "touch", "v": 1, "stamp": 1, "gesture": "tap", "extra": 1}', "invalid_fields"),
        (b"\xff\xfe", "not_utf8"),
        ("{" * 100000, "not_json"),
    ],
)
def test_malformed_events_have_countable_reasons(text, reason):
    with pytest.raises(ev.EventError) as info:
        ev.decode(text)
    assert info.value.reason == reason


def test_wrong_schema_for_topic_is_rejected():
    text = ev.encode(ev.Touch(stamp=1.0, gesture="tap"))
    with pytest.raises(ev.EventError) as info:
        ev.decode(text, ev.Card)
    assert info.value.reason == "wrong_schema"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200),
                 st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=8), st.none()))
                 .map(lambda d: json.dumps({"schema": "touch", "v": 1, **d}))))
def test_decode_never_raises_anything_but_event_error(data):
    try:
        ev.decode(data)
    except ev.EventError as exc:
        assert exc.reason
