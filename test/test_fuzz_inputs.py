"""Fuzz (hypothesis, Unicode and binary) of what comes from outside: events on the topics.

Each parser must either return a valid value or raise its own countable error,
never anything else, whatever the bytes. The co-processor link's frames and
payloads are fuzzed in test_link_protocol.py, bag reading in test_bringup_bag_damage.py.
"""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from glasses_bringup.foundation import events as ev

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(schema=st.sampled_from(sorted(ev.REGISTRY)), fields=st.dictionaries(st.text(max_size=12), JSON, max_size=6),
       version=st.sampled_from([1, 2, None, "1"]))
def test_event_decoder_on_known_schemas_with_random_fields(schema, fields, version):
    text = json.dumps({"schema": schema, "v": version, **fields}, allow_nan=True)
    try:
        event = ev.decode(text)
    except ev.EventError as exc:
        assert exc.reason
        return
    assert event.SCHEMA == schema
    assert ev.decode(ev.encode(event)).model_dump() == event.model_dump()  # what passed re-encodes


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300),
                 st.text(max_size=50).map(lambda t: '{"schema": "touch", "v": 1, "gesture": ' + json.dumps(t) + "}")))
def test_event_decoder_survives_any_bytes_or_text(data):
    try:
        ev.decode(data)
    except ev.EventError:
        pass


def test_event_decoder_nesting_bomb_is_an_event_error():
    for text in ("[" * 100_000, '{"a":' * 50_000):
        try:
            ev.decode(text)
        except ev.EventError as exc:
            assert exc.reason in ("not_json", "too_large")
