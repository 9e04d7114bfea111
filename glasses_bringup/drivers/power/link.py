"""Co-processor fuel-gauge link: line protocol, garbage-tolerant parser, pyserial reader.

The low-power co-processor polls one fuel-gauge chip per slot and sends one ASCII
line per slot per period (NMEA-style, so a terminal shows it and a checksum
catches line noise):

    $BAT,<ms>,<slot>,<present>,<mV>,<mA>,<dC>,<design_mAh>,<serial>*<XX>\\r\\n

- ms: co-processor uptime in milliseconds (orders readings, spots repeats)
- slot: L or R; present: 0 or 1
- mV: cell voltage (integer mV); mA: current, negative while discharging
- dC: temperature in tenths of a degree C; design_mAh: pack design capacity
- serial: the pack's ID (letters, digits, '-'), empty if the chip has none
- XX: two hex digits, XOR of every byte between '$' and '*'

An empty numeric field means "not measured" (NaN). Anything else that does not
parse raises ``LinkError`` with a countable reason; the reader skips it and goes
on with the next line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from glasses_bringup.drivers.power.manager import PackReading

MAX_LINE = 160
SLOT_CODES = {"L": "left", "R": "right"}
SERIAL_RE = re.compile(r"^[A-Za-z0-9-]{0,32}$")
FIELDS = 9  # after the "$": BAT, ms, slot, present, mV, mA, dC, design_mAh, serial


class LinkError(ValueError):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class GaugeFrame:
    uptime_ms: int
    slot: str
    present: bool
    voltage_v: float
    current_a: float
    temperature_c: float
    design_capacity_ah: float
    serial: str

    def reading(self, t: float) -> PackReading:
        """As a manager reading stamped with the host's receive time t."""
        return PackReading(
            slot=self.slot,
            present=self.present,
            t=t,
            voltage_v=self.voltage_v,
            current_a=self.current_a,
            temperature_c=self.temperature_c,
            design_capacity_ah=self.design_capacity_ah,
            serial=self.serial,
        )


def checksum(body: str) -> str:
    value = 0
    for ch in body.encode("ascii"):
        value ^= ch
    return f"{value:02X}"


def _num(text: str, scale: float, name: str) -> float:
    if text == "":
        return math.nan
    if not re.fullmatch(r"-?\d{1,7}", text):
        raise LinkError("bad_number", f"{name}={text!r}")
    return int(text) * scale


def parse_line(line: bytes | str) -> GaugeFrame:
    """One line of the link -> GaugeFrame, or LinkError(reason)."""
    if isinstance(line, bytes):
        if len(line) > MAX_LINE:
            raise LinkError("too_long", f"{len(line)} bytes")
        try:
            line = line.decode("ascii")
        except UnicodeDecodeError:
            raise LinkError("not_ascii") from None
    line = line.strip()
    if len(line) > MAX_LINE:
        raise LinkError("too_long", f"{len(line)} chars")
    if not line.isascii():  # also keeps Unicode digits ('①', '١٢') out of int()
        raise LinkError("not_ascii")
    if not line.startswith("$"):
        raise LinkError("no_start", line[:20])
    star = line.rfind("*")
    if star < 0 or len(line) - star != 3:
        raise LinkError("no_checksum", line[:20])
    body, given = line[1:star], line[star + 1 :].upper()
    if checksum(body) != given:
        raise LinkError("bad_checksum", f"{given} != {checksum(body)}")
    parts = body.split(",")
    if parts[0] != "BAT":
        raise LinkError("unknown_sentence", parts[0][:10])
    if len(parts) != FIELDS:
        raise LinkError("wrong_field_count", str(len(parts)))
    _, ms, slot, present, mv, ma, dc, cap, serial = parts
    if not ms.isdigit():
        raise LinkError("bad_number", f"ms={ms!r}")
    if slot not in SLOT_CODES:
        raise LinkError("bad_slot", slot[:5])
    if present not in ("0", "1"):
        raise LinkError("bad_present", present[:5])
    if not SERIAL_RE.match(serial):
        raise LinkError("bad_serial", serial[:12])
    return GaugeFrame(
        uptime_ms=int(ms),
        slot=SLOT_CODES[slot],
        present=present == "1",
        voltage_v=_num(mv, 1e-3, "mV"),
        current_a=_num(ma, 1e-3, "mA"),
        temperature_c=_num(dc, 0.1, "dC"),
        design_capacity_ah=_num(cap, 1e-3, "design_mAh"),
        serial=serial,
    )


def format_line(frame: GaugeFrame) -> str:
    """The line the co-processor sends for a frame (used by tests and the link emulator)."""

    def field(x: float, scale: float) -> str:
        return "" if math.isnan(x) else str(int(round(x / scale)))

    slot = {v: k for k, v in SLOT_CODES.items()}[frame.slot]
    body = ",".join(
        [
            "BAT",
            str(frame.uptime_ms),
            slot,
            "1" if frame.present else "0",
            field(frame.voltage_v, 1e-3),
            field(frame.current_a, 1e-3),
            field(frame.temperature_c, 0.1),
            field(frame.design_capacity_ah, 1e-3),
            frame.serial,
        ]
    )
    return f"${body}*{checksum(body)}\r\n"


class LinkReader:
    """Reads frames from a serial port or pyserial URL (loop://, socket://, /dev/ttyS1)."""

    def __init__(self, url: str, baudrate: int = 115200, timeout_s: float = 0.2, port=None):
        import serial

        self.port = port if port is not None else serial.serial_for_url(url, baudrate=baudrate, timeout=timeout_s)
        self.lines = 0
        self.errors: dict[str, int] = {}

    def read_frame(self) -> GaugeFrame | LinkError | None:
        """The next line as a frame, a LinkError for garbage, or None on timeout."""
        raw = self.port.readline(MAX_LINE + 2)
        if not raw:
            return None
        self.lines += 1
        if not raw.endswith(b"\n"):
            # A partial or overlong line: drop the rest of it so the next read starts clean.
            if len(raw) >= MAX_LINE:
                self.port.readline()
                err = LinkError("too_long", f">{MAX_LINE} bytes")
            else:
                err = LinkError("truncated", raw[:20].decode("ascii", "replace"))
            self.errors[err.reason] = self.errors.get(err.reason, 0) + 1
            return err
        try:
            return parse_line(raw)
        except LinkError as err:
            self.errors[err.reason] = self.errors.get(err.reason, 0) + 1
            return err

    def close(self) -> None:
        self.port.close()
