"""Fuzz (hypothesis, Unicode and binary) of what comes from outside: co-processor lines and events.

Each parser must either return a valid value or raise its own countable error,
never anything else, whatever the bytes. Lines are also built with a correct
checksum around hostile fields, so the fuzz reaches past the checksum check.
Bag reading is fuzzed in test_bringup_bag_damage.py.
"""

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from glasses_bringup.drivers.power import link
from glasses_bringup.drivers.sensors import imu
from glasses_bringup.foundation import events as ev

FIELD = st.one_of(
    st.text(max_size=12),  # any Unicode: '①', '١٢', full-width digits, RTL marks
    st.from_regex(r"-?[0-9]{0,9}", fullmatch=True),
    st.sampled_from(["①", "١٢٣", "１２", "1e30", "-1e30", "nan", "inf", "1_0", " 1", "0x10", "²", "-", ""]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def with_checksum(body: str, xor) -> str:
    return f"${body}*{xor(body)}"


@settings(max_examples=400, deadline=None)
@given(st.lists(FIELD, min_size=0, max_size=10), st.booleans())
def test_imu_lines_with_hostile_fields_parse_or_raise_imu_line_error(fields, checked):
    body = ",".join(["IMU", *fields])
    line = f"${body}*{imu.checksum(body):02X}" if checked else body
    try:
        sample = imu.parse_line(line)
    except imu.ImuLineError as exc:
        assert exc.reason
        return
    assert all(math.isfinite(v) for v in (*sample.accel, *sample.gyro))
    assert max(map(abs, sample.gyro)) <= imu.GYRO_LIMIT and max(map(abs, sample.accel)) <= imu.ACCEL_LIMIT
    assert sample.t_us >= 0 and line.isascii()


def test_unicode_digits_are_not_numbers_on_the_serial_lines():
    body = "IMU,١٢,0,0,9.8,0,0,0"
    try:
        imu.parse_line(f"${body}*{imu.checksum(body):02X}")
        raise AssertionError("a line with Arabic-Indic digits was accepted")
    except imu.ImuLineError as exc:
        assert exc.reason == "not_ascii"
    try:
        link.parse_line("$BAT,①,L,1,3900,-50,250,280,A*00")
        raise AssertionError("a gauge line with '①' was accepted")
    except link.LinkError as exc:
        assert exc.reason == "not_ascii"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=80), st.text(max_size=40).map(lambda t: t.encode("utf-8", "replace"))),
                max_size=10))
def test_imu_serial_decoder_survives_any_bytes(chunks):
    decoder = imu.SerialDecoder()
    for k, chunk in enumerate(chunks):
        batch = decoder.decode(chunk + (b"\n" if k % 2 else b""), host_s=float(k))
        assert len(batch.stamps) == len(batch.gyro) == len(batch.accel)
    assert decoder.stats.samples <= decoder.stats.lines


@settings(max_examples=400, deadline=None)
@given(st.lists(FIELD, min_size=8, max_size=8), st.sampled_from(["L", "R", "X", "左", ""]),
       st.sampled_from(["0", "1", "①", ""]), st.booleans())
def test_gauge_lines_with_hostile_fields_parse_or_raise_link_error(fields, slot, present, as_bytes):
    ms, mv, ma, dc, cap, serial = fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]
    body = ",".join(["BAT", ms, slot, present, mv, ma, dc, cap, serial])
    xor = 0
    for b in body.encode("utf-8"):
        xor ^= b
    line = f"${body}*{xor:02X}"
    try:
        frame = link.parse_line(line.encode("utf-8") if as_bytes else line)
    except link.LinkError as exc:
        assert exc.reason
        return
    assert line.isascii() and frame.uptime_ms >= 0 and frame.slot in ("left", "right")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_gauge_link_survives_any_bytes_or_text(data):
    try:
        link.parse_line(data)
    except link.LinkError:
        pass


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
