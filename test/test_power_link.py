"""Co-processor fuel-gauge link: line parser (property-tested) and the pyserial reader."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glasses_bringup.drivers.power.link import GaugeFrame, LinkError, LinkReader, checksum, format_line, parse_line
from glasses_bringup.drivers.power.manager import BatteryManager, ReadingError

FRAME = GaugeFrame(1234, "left", True, 3.912, -0.085, 31.5, 0.28, "PK-0001")


def test_round_trip():
    line = format_line(FRAME)
    assert line == "$BAT,1234,L,1,3912,-85,315,280,PK-0001*3D\r\n"
    assert parse_line(line.encode()) == FRAME


def test_empty_fields_are_unmeasured():
    body = "BAT,5,R,1,3800,-40,,280,"
    frame = parse_line(f"${body}*{checksum(body)}")
    assert math.isnan(frame.temperature_c) and frame.serial == "" and frame.slot == "right"


@pytest.mark.parametrize(
    "line, reason",
    [
        (b"BAT,1,L,1,3900,-50,300,280,A*00", "no_start"),
        (b"$BAT,1,L,1,3900,-50,300,280,A", "no_checksum"),
        (b"$BAT,1,L,1,3900,-50,300,280,A*00", "bad_checksum"),
        (b"\xff\xfe$BAT", "not_ascii"),
        (b"$" + b"9" * 200, "too_long"),
    ],
)
def test_garbage_is_rejected_with_a_reason(line, reason):
    with pytest.raises(LinkError) as exc:
        parse_line(line)
    assert exc.value.reason == reason


@pytest.mark.parametrize(
    "body, reason",
    [
        ("GPS,1,2", "unknown_sentence"),
        ("BAT,1,L,1,3900", "wrong_field_count"),
        ("BAT,1,X,1,3900,-50,300,280,A", "bad_slot"),
        ("BAT,1,L,2,3900,-50,300,280,A", "bad_present"),
        ("BAT,1,L,1,3.9V,-50,300,280,A", "bad_number"),
        ("BAT,x,L,1,3900,-50,300,280,A", "bad_number"),
        ("BAT,1,L,1,3900,-50,300,280,A B", "bad_serial"),
    ],
)
def test_well_framed_but_invalid_sentences(body, reason):
    with pytest.raises(LinkError) as exc:
        parse_line(f"${body}*{checksum(body)}")
    assert exc.value.reason == reason


def test_negative_capacity_parses_but_the_manager_rejects_it():
    body = "BAT,9,L,1,3900,-50,300,-280,A"
    frame = parse_line(f"${body}*{checksum(body)}")
    with pytest.raises(ReadingError) as exc:
        BatteryManager().ingest(frame.reading(1.0))
    assert exc.value.reason == "bad_capacity"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise_anything_but_link_error(data):
    try:
        parse_line(data)
    except LinkError:
        pass


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 10**9),
    st.sampled_from(["left", "right"]),
    st.booleans(),
    st.integers(2000, 4600),
    st.integers(-3000, 3000),
    st.integers(-400, 900),
    st.integers(1, 5000),
    st.from_regex(r"[A-Za-z0-9-]{0,32}", fullmatch=True),
)
def test_any_valid_frame_round_trips(ms, slot, present, mv, ma, dc, cap, serial):
    frame = GaugeFrame(ms, slot, present, mv / 1000, ma / 1000, dc / 10, cap / 1000, serial)
    back = parse_line(format_line(frame))
    assert back.uptime_ms == ms and back.slot == slot and back.present == present and back.serial == serial
    assert back.voltage_v == pytest.approx(frame.voltage_v) and back.current_a == pytest.approx(frame.current_a)


def test_reader_skips_garbage_on_a_serial_loop():
    reader = LinkReader("loop://", timeout_s=0.05)
    good = format_line(FRAME).encode()
    reader.port.write(b"\x00\x13noise\r\n" + good + b"$BAT,1*00\r\n" + b"x" * 300 + b"\n" + good)
    got = []
    while (item := reader.read_frame()) is not None:
        got.append(item)
    frames = [g for g in got if isinstance(g, GaugeFrame)]
    errors = [g.reason for g in got if isinstance(g, LinkError)]
    assert frames == [FRAME, FRAME]
    assert errors == ["no_start", "bad_checksum", "too_long"]
    assert reader.errors == {"no_start": 1, "bad_checksum": 1, "too_long": 1}
    reader.close()


def test_reader_over_a_pty_pair():
    import os
    import pty

    import serial

    master, slave = pty.openpty()
    port = serial.Serial(os.ttyname(slave), 115200, timeout=0.2)
    try:
        os.write(master, format_line(FRAME).encode() + b"garbage\n")
        reader = LinkReader("", port=port)
        assert reader.read_frame() == FRAME
        assert isinstance(reader.read_frame(), LinkError)
    finally:
        port.close()
        os.close(master)
        os.close(slave)
