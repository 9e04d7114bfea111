"""Co-processor link wire format: Python codec, C reference codec, and the decoder under fuzz."""

import random
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glasses_bringup.drivers.link import protocol as p

REPO = Path(__file__).resolve().parents[1]
C_SOURCES = [REPO / "firmware" / "link" / "glink.c", REPO / "firmware" / "link" / "glink_tool.c"]
C_STATUS = {1: "cobs", 2: "short", 3: "length", 4: "crc", 5: "overlong"}


def test_crc_is_ccitt_false():
    assert p.crc16(b"123456789") == 0x29B1  # the catalogue check value of CRC-16/CCITT-FALSE


def test_frame_round_trip_and_delimiter_free_body():
    frame = p.encode_frame(p.Msg.IMU_BATCH, 0xFFFF, bytes(range(200)))
    assert frame.endswith(b"\x00") and b"\x00" not in frame[:-1]
    (decoded,) = p.FrameDecoder().feed(frame)
    assert (decoded.type, decoded.seq, decoded.payload) == (p.Msg.IMU_BATCH, 0xFFFF, bytes(range(200)))


def test_payloads_round_trip_with_units():
    accel = [(0.0, 0.1, 9.80665)] * 3
    gyro = [(0.01, -0.02, 0.5)] * 3
    msg = p.parse_payload(p.Frame(p.Msg.IMU_BATCH, 0, p.imu_payload(123, 2500, accel, gyro)))
    assert msg.tick == 123 and msg.period_ticks == 2500
    assert msg.accel[0] == pytest.approx(accel[0], abs=p.ACCEL_LSB) and msg.gyro[2] == pytest.approx(gyro[2], abs=p.GYRO_LSB)
    gauge = p.parse_payload(p.Frame(p.Msg.FUEL_GAUGE, 0, p.gauge_payload(5, "right", True, 3.912, -0.123, 31.4, 0.28,
                                                                          float("nan"), "PK-9")))
    assert (gauge.slot, gauge.present, gauge.serial) == ("right", True, "PK-9")
    assert gauge.voltage_v == pytest.approx(3.912) and gauge.current_a == pytest.approx(-0.123)
    assert gauge.temperature_c == pytest.approx(31.4) and gauge.soc != gauge.soc  # NaN: the chip has no estimate


@pytest.mark.parametrize("frame,reason", [
    (p.Frame(p.Msg.TOUCH, 0, b"\x00\x00\x00\x00\x09\x00"), "bad_gesture"),
    (p.Frame(p.Msg.TOUCH, 0, b"\x00"), "payload_size"),
    (p.Frame(p.Msg.IMU_BATCH, 0, p.pack(p.Msg.IMU_BATCH, 0, 2500, 3)), "payload_size"),
    (p.Frame(0x42, 0, b""), "unknown_type"),
    (p.Frame(p.Msg.FUEL_GAUGE, 0, p.gauge_payload(1, "left", True, 3.9, 0, 20, 0.28)[:-1] + b"\x05"), "payload_size"),
])
def test_payload_errors_have_countable_reasons(frame, reason):
    with pytest.raises(p.PayloadError) as err:
        p.parse_payload(frame)
    assert err.value.reason == reason


def test_decoder_resynchronises_on_noise_truncation_and_bit_flips():
    rng = random.Random(3)
    good = [p.encode_frame(p.Msg.TOUCH, i, p.pack(p.Msg.TOUCH, i, 0, 0)) for i in range(50)]
    stream = bytearray()
    for i, f in enumerate(good):
        if i % 5 == 1:
            stream += f[: len(f) // 2]  # truncated: the rest never came
        elif i % 5 == 2:
            flipped = bytearray(f)
            flipped[rng.randrange(len(f) - 1)] ^= 1 << rng.randrange(8)
            stream += flipped
        else:
            stream += f
        if i % 7 == 0:
            stream += bytes(rng.randrange(1, 256) for _ in range(rng.randrange(1, 40))) + b"\x00"
    stream += b"\x01" * (p.MAX_ENCODED + 10) + b"\x00"  # an endless run without delimiter
    dec = p.FrameDecoder()
    out = []
    for k in range(0, len(stream), 7):  # arbitrary splits
        out += dec.feed(bytes(stream[k : k + 7]))
    intact = {i for i in range(50) if i % 5 not in (1, 2)}
    assert intact <= {f.seq for f in out}
    # A truncated frame runs into the (flipped) next one: one reject for the pair; then 8 noise runs and the long run.
    assert sum(dec.errors.values()) >= 10 + 8 + 1
    assert dec.errors["overlong"] >= 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_decoder_never_raises_and_accounts_for_every_block(data):
    dec = p.FrameDecoder()
    frames = dec.feed(data)
    blocks = [b for b in data.split(b"\x00")[:-1] if b]
    assert len(frames) + sum(dec.errors.values()) <= len(blocks) + 1
    for f in frames:
        p.parse_payload(f) if f.type in set(p.Msg) and f.type < 0x80 else None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_parse_payload_only_raises_payload_error(payload):
    for t in [m for m in p.Msg if m < 0x80]:
        try:
            p.parse_payload(p.Frame(t, 0, payload))
        except p.PayloadError:
            pass


@pytest.fixture(scope="module")
def c_tool(tmp_path_factory):
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no C compiler on this machine: the C reference codec is not checked")
    exe = tmp_path_factory.mktemp("glink") / "glink_tool"
    subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-o", str(exe), *map(str, C_SOURCES)],
                   check=True, capture_output=True, text=True)
    return exe


def run_tool(exe, lines: list[str]) -> list[str]:
    out = subprocess.run([str(exe)], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def test_c_reference_codec_agrees_with_python(c_tool):
    rng = random.Random(11)
    cases = [(rng.randrange(256), rng.randrange(65536),
              bytes(rng.choice([0, 0, rng.randrange(256)]) for _ in range(rng.choice([0, 1, 3, 100, 239, 240]))))
             for _ in range(200)]
    encoded = run_tool(c_tool, [f"e {t} {s} {pl.hex() or '-'}" for t, s, pl in cases])
    for (t, s, pl), line in zip(cases, encoded, strict=True):
        assert bytes.fromhex(line) == p.encode_frame(t, s, pl), (t, s, len(pl))
    decoded = run_tool(c_tool, [f"d {p.encode_frame(t, s, pl)[:-1].hex()}" for t, s, pl in cases])
    for (t, s, pl), line in zip(cases, decoded, strict=True):
        assert line == f"ok {t} {s} {pl.hex() or '-'}"
    assert run_tool(c_tool, [f"e 1 1 {'ab' * 241}"]) == ["err 5"]
    with pytest.raises(ValueError):
        p.encode_frame(1, 1, b"\xab" * 241)


def test_c_and_python_decoders_reject_the_same_damaged_frames(c_tool):
    rng = random.Random(5)
    damaged = []
    for i in range(300):
        f = bytearray(p.encode_frame(rng.randrange(1, 11), i, bytes(rng.randrange(256) for _ in range(rng.randrange(0, 60))))[:-1])
        kind = i % 3
        if kind == 0:
            f[rng.randrange(len(f))] ^= 1 << rng.randrange(8)
        elif kind == 1:
            del f[rng.randrange(1, len(f)) :]
        else:
            f = bytearray(rng.randrange(1, 256) for _ in range(rng.randrange(1, 30)))
        damaged.append(bytes(f).replace(b"\x00", b"\x01"))  # a delimiter would split it into two frames
    lines = run_tool(c_tool, [f"d {f.hex()}" for f in damaged])
    for f, line in zip(damaged, lines, strict=True):
        dec = p.FrameDecoder()
        frames = dec.feed(f + b"\x00")
        if frames:
            assert line == f"ok {frames[0].type} {frames[0].seq} {frames[0].payload.hex() or '-'}"
        else:
            (reason,) = dec.errors
            assert line == f"err {[k for k, v in C_STATUS.items() if v == reason][0]}", (f.hex(), reason)
