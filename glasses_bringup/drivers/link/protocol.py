"""Co-processor link wire format (docs/coprocessor-link.md): COBS frames, CRC-16, sequence numbers.

A frame on the wire is ``COBS(header + payload + crc) 0x00``:

- header: ``type`` u8, ``seq`` u16 little-endian, ``length`` u8 (payload bytes);
- crc: CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor)
  over header and payload, little-endian.

``FrameDecoder`` turns any byte stream (noise, half frames, bit flips, replays)
into valid frames and counts every reject by reason; it never raises. Payload
layouts are ``struct`` formats, one per message type, listed in ``MESSAGES``.
This module is pure Python (no rclpy) and is the only copy of the protocol on the
host side; firmware/link/ holds the C reference of the same format.
"""

from __future__ import annotations

import binascii
import math
import struct
from collections import Counter
from dataclasses import dataclass
from enum import IntEnum

from cobs import cobs

from glasses_bringup.foundation.errors import ReasonError

PROTOCOL_MAJOR = 1
PROTOCOL_MINOR = 0
HEADER = struct.Struct("<BHB")
CRC = struct.Struct("<H")
MAX_PAYLOAD = 240
MAX_ENCODED = HEADER.size + MAX_PAYLOAD + CRC.size + 2  # COBS adds at most one byte per 254, plus the code byte
TICK_HZ = 1_000_000  # MCU tick: microseconds, u32, wraps every 71.6 minutes

# Fixed-point scales of the IMU batch (BMI270-class full scales: +-16 g, +-2000 deg/s).
ACCEL_LSB = 16 * 9.80665 / 32768.0  # m/s^2 per count
GYRO_LSB = math.radians(2000.0) / 32768.0  # rad/s per count
MAX_IMU_SAMPLES = 16


class Msg(IntEnum):
    """Message types: 0x01-0x7F MCU -> host, 0x81-0xFF host -> MCU."""

    HELLO = 0x01
    IMU_BATCH = 0x02
    FUEL_GAUGE = 0x03
    TOUCH = 0x04
    WAKE_HIT = 0x05
    BUTTON = 0x06
    HINGE = 0x07
    TIME_SYNC_REPLY = 0x08
    ACK = 0x09
    STATUS = 0x0A
    HOST_HELLO = 0x81
    TIME_SYNC_REQUEST = 0x82
    SET_POWER_MODE = 0x83
    SET_PRIVACY_LED = 0x84
    SET_BRIGHTNESS = 0x85
    SET_WAKE_OFFLOAD = 0x86


# Fixed-size payloads (struct formats). IMU_BATCH, FUEL_GAUGE and HELLO have a variable tail.
FORMATS: dict[int, struct.Struct] = {
    Msg.HELLO: struct.Struct("<BBIII"),  # major, minor, boot_id, tick_hz, tick; then firmware text
    Msg.IMU_BATCH: struct.Struct("<IIB"),  # first-sample tick, period in ticks, n; then n x 6 int16
    Msg.FUEL_GAUGE: struct.Struct("<IBBHhhHHB"),  # tick, slot, flags, mV, mA, dC, design mAh, soc permille, serial len
    Msg.TOUCH: struct.Struct("<IBB"),  # tick, gesture, side
    Msg.WAKE_HIT: struct.Struct("<IBB"),  # tick, keyword id, score (0..255)
    Msg.BUTTON: struct.Struct("<IBB"),  # tick, button id, action
    Msg.HINGE: struct.Struct("<IB"),  # tick, state (0 folded, 1 open)
    Msg.TIME_SYNC_REPLY: struct.Struct("<III"),  # token, tick at receive, tick at send
    Msg.ACK: struct.Struct("<HB"),  # acknowledged host seq, status
    Msg.STATUS: struct.Struct("<IHHH"),  # tick, MCU rx CRC errors, MCU rx COBS errors, MCU tx drops
    Msg.HOST_HELLO: struct.Struct("<BB"),  # major, minor
    Msg.TIME_SYNC_REQUEST: struct.Struct("<I"),  # token
    Msg.SET_POWER_MODE: struct.Struct("<B"),
    Msg.SET_PRIVACY_LED: struct.Struct("<B"),
    Msg.SET_BRIGHTNESS: struct.Struct("<H"),  # permille
    Msg.SET_WAKE_OFFLOAD: struct.Struct("<B"),
}
IMU_SAMPLE = struct.Struct("<6h")  # ax, ay, az, gx, gy, gz
VARIABLE_TAIL = {Msg.HELLO: 32, Msg.IMU_BATCH: MAX_IMU_SAMPLES * IMU_SAMPLE.size, Msg.FUEL_GAUGE: 16}

GESTURES = ("tap", "double_tap", "long_press", "swipe_forward", "swipe_back")
SIDES = ("right", "left")
SLOTS = ("left", "right")
POWER_MODES = ("normal", "saver", "critical")
KEYWORDS = ("hey_jarvis", "okay_nabu")
BUTTON_ACTIONS = ("press", "release", "long_press")
HINGE_STATES = ("folded", "open")
ACK_STATUS = ("ok", "bad_value", "unsupported")
GAUGE_PRESENT = 0x01
UNMEASURED_I16 = -32768
SOC_UNKNOWN = 0xFFFF


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (binascii.crc_hqx is CRC-CCITT; init 0xFFFF selects the FALSE variant)."""
    return binascii.crc_hqx(data, 0xFFFF)


def encode_frame(msg_type: int, seq: int, payload: bytes = b"") -> bytes:
    """One frame as sent on the wire, delimiter included."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes > {MAX_PAYLOAD}")
    body = HEADER.pack(msg_type & 0xFF, seq & 0xFFFF, len(payload)) + payload
    return cobs.encode(body + CRC.pack(crc16(body))) + b"\x00"


@dataclass(frozen=True)
class Frame:
    type: int
    seq: int
    payload: bytes


class FrameDecoder:
    """Bytes in (any split, any garbage) -> valid frames out; each reject counted in ``errors``.

    Reasons: ``overlong`` (no delimiter within MAX_ENCODED bytes), ``cobs`` (not
    a valid COBS block), ``short`` (fewer bytes than header + crc), ``length``
    (header length disagrees with the frame), ``crc``. An empty frame (two
    delimiters in a row) is how a sender resynchronises and is not an error.
    """

    def __init__(self):
        self.buffer = bytearray()
        self.errors: Counter[str] = Counter()
        self.frames = 0
        self.bytes = 0
        self._discarding = False

    def reset(self) -> None:
        """Forget a half frame (the port was reopened: what follows does not continue it)."""
        self.buffer.clear()
        self._discarding = False

    def feed(self, data: bytes) -> list[Frame]:
        self.bytes += len(data)
        out: list[Frame] = []
        start = 0
        while True:
            end = data.find(b"\x00", start)
            if end < 0:
                break
            chunk = data[start:end]
            start = end + 1
            if self._discarding:
                self._discarding = False
                self.buffer.clear()
                continue
            if self.buffer:
                self.buffer += chunk
                chunk = bytes(self.buffer)
                self.buffer.clear()
            if len(chunk) > MAX_ENCODED:
                self.errors["overlong"] += 1
                continue
            frame = self._decode(chunk)
            if frame is not None:
                out.append(frame)
        rest = data[start:]
        if rest and not self._discarding:
            self.buffer += rest
            if len(self.buffer) > MAX_ENCODED:
                self.errors["overlong"] += 1
                self.buffer.clear()
                self._discarding = True  # skip to the next delimiter
        return out

    def _decode(self, chunk: bytes) -> Frame | None:
        if not chunk:
            return None
        try:
            body = cobs.decode(chunk)
        except cobs.DecodeError:
            self.errors["cobs"] += 1
            return None
        if len(body) < HEADER.size + CRC.size:
            self.errors["short"] += 1
            return None
        msg_type, seq, length = HEADER.unpack_from(body)
        if length != len(body) - HEADER.size - CRC.size:
            self.errors["length"] += 1
            return None
        (crc,) = CRC.unpack_from(body, len(body) - CRC.size)
        if crc != crc16(body[: -CRC.size]):
            self.errors["crc"] += 1
            return None
        self.frames += 1
        return Frame(msg_type, seq, bytes(body[HEADER.size : -CRC.size]))


# --- payloads --------------------------------------------------------------------------


class PayloadError(ReasonError, ValueError):
    """A frame with a valid CRC whose payload does not fit its type; ``reason`` is countable."""


@dataclass(frozen=True)
class Hello:
    major: int
    minor: int
    boot_id: int
    tick_hz: int
    tick: int
    firmware: str


@dataclass(frozen=True)
class ImuFrame:
    tick: int
    period_ticks: int
    accel: tuple[tuple[float, float, float], ...]  # m/s^2, imu_link
    gyro: tuple[tuple[float, float, float], ...]  # rad/s, imu_link


@dataclass(frozen=True)
class GaugeFrame:
    tick: int
    slot: str
    present: bool
    voltage_v: float
    current_a: float
    temperature_c: float
    design_capacity_ah: float
    soc: float  # the gauge chip's own estimate, NaN if it has none
    serial: str


@dataclass(frozen=True)
class TouchFrame:
    tick: int
    gesture: str
    side: str


@dataclass(frozen=True)
class WakeFrame:
    tick: int
    keyword: str
    score: float


@dataclass(frozen=True)
class ButtonFrame:
    tick: int
    button: int
    action: str


@dataclass(frozen=True)
class HingeFrame:
    tick: int
    state: str


@dataclass(frozen=True)
class TimeSyncReply:
    token: int
    rx_tick: int
    tx_tick: int


@dataclass(frozen=True)
class Ack:
    seq: int
    status: str


@dataclass(frozen=True)
class McuStatus:
    tick: int
    rx_crc_errors: int
    rx_cobs_errors: int
    tx_dropped: int


def _fixed(msg_type: int, payload: bytes, exact: bool = True) -> tuple:
    fmt = FORMATS[msg_type]
    if len(payload) < fmt.size or (exact and len(payload) != fmt.size):
        raise PayloadError("payload_size", f"{Msg(msg_type).name}: {len(payload)} bytes")
    return fmt.unpack_from(payload)


def _choice(table: tuple[str, ...], index: int, what: str) -> str:
    if index >= len(table):
        raise PayloadError(f"bad_{what}", str(index))
    return table[index]


def _i16(value: int, scale: float) -> float:
    return math.nan if value == UNMEASURED_I16 else value * scale


def parse_payload(frame: Frame):
    """The typed message of a valid frame (MCU -> host types); PayloadError if it does not fit."""
    t = frame.type
    p = frame.payload
    if t == Msg.HELLO:
        major, minor, boot_id, tick_hz, tick = _fixed(t, p, exact=False)
        text = p[FORMATS[t].size :]
        if len(text) > VARIABLE_TAIL[Msg.HELLO]:
            raise PayloadError("payload_size", "HELLO firmware text too long")
        if tick_hz == 0:
            raise PayloadError("bad_tick_hz", "0")
        return Hello(major, minor, boot_id, tick_hz, tick, text.decode("utf-8", "replace"))
    if t == Msg.IMU_BATCH:
        tick, period, n = _fixed(t, p, exact=False)
        if not 1 <= n <= MAX_IMU_SAMPLES or len(p) != FORMATS[t].size + n * IMU_SAMPLE.size:
            raise PayloadError("payload_size", f"IMU_BATCH n={n}, {len(p)} bytes")
        if period == 0:
            raise PayloadError("bad_period", "0")
        accel, gyro = [], []
        for k in range(n):
            ax, ay, az, gx, gy, gz = IMU_SAMPLE.unpack_from(p, FORMATS[t].size + k * IMU_SAMPLE.size)
            accel.append((ax * ACCEL_LSB, ay * ACCEL_LSB, az * ACCEL_LSB))
            gyro.append((gx * GYRO_LSB, gy * GYRO_LSB, gz * GYRO_LSB))
        return ImuFrame(tick, period, tuple(accel), tuple(gyro))
    if t == Msg.FUEL_GAUGE:
        tick, slot, flags, mv, ma, dc, design, soc, serial_len = _fixed(t, p, exact=False)
        serial = p[FORMATS[t].size :]
        if serial_len != len(serial) or serial_len > VARIABLE_TAIL[Msg.FUEL_GAUGE]:
            raise PayloadError("payload_size", f"FUEL_GAUGE serial {serial_len} != {len(serial)}")
        if soc != SOC_UNKNOWN and soc > 1000:
            raise PayloadError("bad_soc", str(soc))
        try:
            serial_text = serial.decode("ascii")
        except UnicodeDecodeError:
            raise PayloadError("bad_serial", serial[:8].hex()) from None
        return GaugeFrame(
            tick=tick,
            slot=_choice(SLOTS, slot, "slot"),
            present=bool(flags & GAUGE_PRESENT),
            voltage_v=math.nan if mv == 0 else mv * 1e-3,
            current_a=_i16(ma, 1e-3),
            temperature_c=_i16(dc, 0.1),
            design_capacity_ah=math.nan if design == 0 else design * 1e-3,
            soc=math.nan if soc == SOC_UNKNOWN else soc / 1000.0,
            serial=serial_text,
        )
    if t == Msg.TOUCH:
        tick, gesture, side = _fixed(t, p)
        return TouchFrame(tick, _choice(GESTURES, gesture, "gesture"), _choice(SIDES, side, "side"))
    if t == Msg.WAKE_HIT:
        tick, keyword, score = _fixed(t, p)
        return WakeFrame(tick, _choice(KEYWORDS, keyword, "keyword"), score / 255.0)
    if t == Msg.BUTTON:
        tick, button, action = _fixed(t, p)
        return ButtonFrame(tick, button, _choice(BUTTON_ACTIONS, action, "button_action"))
    if t == Msg.HINGE:
        tick, state = _fixed(t, p)
        return HingeFrame(tick, _choice(HINGE_STATES, state, "hinge_state"))
    if t == Msg.TIME_SYNC_REPLY:
        return TimeSyncReply(*_fixed(t, p))
    if t == Msg.ACK:
        seq, status = _fixed(t, p)
        return Ack(seq, _choice(ACK_STATUS, status, "ack_status"))
    if t == Msg.STATUS:
        return McuStatus(*_fixed(t, p))
    raise PayloadError("unknown_type", f"0x{t:02x}")


# --- builders (the emulator, the tests and the host's commands use these) -------------------


def hello_payload(boot_id: int, tick: int, firmware: str = "", tick_hz: int = TICK_HZ,
                  major: int = PROTOCOL_MAJOR, minor: int = PROTOCOL_MINOR) -> bytes:
    text = firmware.encode("utf-8")[: VARIABLE_TAIL[Msg.HELLO]]
    return FORMATS[Msg.HELLO].pack(major, minor, boot_id & 0xFFFFFFFF, tick_hz, tick & 0xFFFFFFFF) + text


def _count(value: float, lsb: float) -> int:
    return max(-32767, min(32767, int(round(value / lsb))))


def imu_payload(tick: int, period_ticks: int, accel, gyro) -> bytes:
    n = len(accel)
    if not 1 <= n <= MAX_IMU_SAMPLES or len(gyro) != n:
        raise ValueError(f"an IMU batch holds 1..{MAX_IMU_SAMPLES} samples, got {n}")
    out = bytearray(FORMATS[Msg.IMU_BATCH].pack(tick & 0xFFFFFFFF, period_ticks, n))
    for a, g in zip(accel, gyro, strict=True):
        out += IMU_SAMPLE.pack(*(_count(v, ACCEL_LSB) for v in a), *(_count(v, GYRO_LSB) for v in g))
    return bytes(out)


def gauge_payload(tick: int, slot: str, present: bool, voltage_v: float, current_a: float,
                  temperature_c: float, design_capacity_ah: float, soc: float = math.nan, serial: str = "") -> bytes:
    def i16(x: float, scale: float) -> int:
        return UNMEASURED_I16 if math.isnan(x) else max(-32767, min(32767, int(round(x / scale))))

    raw_serial = serial.encode("ascii")[: VARIABLE_TAIL[Msg.FUEL_GAUGE]]
    return FORMATS[Msg.FUEL_GAUGE].pack(
        tick & 0xFFFFFFFF, SLOTS.index(slot), GAUGE_PRESENT if present else 0,
        0 if math.isnan(voltage_v) else int(round(voltage_v * 1000)),
        i16(current_a, 1e-3), i16(temperature_c, 0.1),
        0 if math.isnan(design_capacity_ah) else int(round(design_capacity_ah * 1000)),
        SOC_UNKNOWN if math.isnan(soc) else int(round(max(0.0, min(1.0, soc)) * 1000)),
        len(raw_serial),
    ) + raw_serial


def pack(msg_type: int, *fields) -> bytes:
    """Payload of a fixed-size message type."""
    return FORMATS[msg_type].pack(*fields)
