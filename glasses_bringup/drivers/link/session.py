"""Host side of the co-processor link (pure Python): port, handshake, sequence, time sync, commands.

``LinkSession.poll(now)`` never blocks and never raises on what comes from the
wire: it opens the port (retrying every ``reconnect_s``), reads what is waiting,
decodes frames, checks sequence numbers, answers the version handshake, runs the
time sync and re-sends commands until the MCU acknowledges them. It returns
host-stamped data (``ImuBatch``, ``PackReading``, ``Stamped`` inputs). Every
fault has a counter in ``counters`` (the node puts them on /diagnostics):

- decoder: ``overlong``, ``cobs``, ``short``, ``length``, ``crc``;
- payload: ``payload_size``, ``unknown_type``, ``bad_<field>``;
- sequence: ``seq_replay`` (a number already seen), ``frames_lost`` (gaps),
  ``seq_resync`` (a run of replays taken as a restart without HELLO);
- session: ``open_failures``, ``port_errors`` (read/write failed: cable pulled),
  ``link_timeouts`` (MCU silent), ``mcu_resets`` (new boot id),
  ``version_mismatch``, ``before_handshake`` (data before HELLO),
  ``cmd_retries``, ``cmd_rejected``, ``sync_rejected``, ``drift_clamped``.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glasses_bringup.drivers.link import protocol as p
from glasses_bringup.drivers.link.timesync import TimeSync
from glasses_bringup.drivers.power.manager import PackReading
from glasses_bringup.drivers.sensors.imu import ImuBatch

REPLAY_RESYNC = 16  # this many replays in a row: the MCU restarted and its HELLO was lost


@dataclass(frozen=True)
class Stamped:
    """An input event from the MCU (touch, wake hit, button, hinge) with its host stamp."""

    stamp: float
    frame: Any


@dataclass
class LinkConfig:
    hello_period_s: float = 0.5
    sync_period_s: float = 1.0
    link_timeout_s: float = 3.0
    reconnect_s: float = 2.0
    command_retry_s: float = 0.3
    max_read: int = 65536
    sync_window: int = 64
    max_drift_ppm: float = 500.0


def open_serial(url: str, baudrate: int):
    """A non-blocking pyserial port (device path, pty, or URL such as loop://)."""
    import serial

    return serial.serial_for_url(url, baudrate=baudrate, timeout=0, write_timeout=0.05)


@dataclass
class _Command:
    payload: bytes
    seq: int | None = None
    sent_at: float = -math.inf
    acked: bool = False


@dataclass
class LinkSession:
    url: str
    baudrate: int = 921600
    config: LinkConfig = field(default_factory=LinkConfig)
    opener: Callable[[str, int], Any] = open_serial

    def __post_init__(self):
        self.port = None
        self.state = "closed"  # closed | handshake | running | incompatible
        self.decoder = p.FrameDecoder()
        self.sync = TimeSync(window=self.config.sync_window, max_drift_ppm=self.config.max_drift_ppm)
        self.counters: Counter[str] = Counter()
        self.last_error = ""
        self.hello: p.Hello | None = None
        self.mcu_status: p.McuStatus | None = None
        self.tx_seq = 0
        self.rx_seq: int | None = None
        self.replay_run = 0
        self.last_rx = -math.inf
        self._next_open = -math.inf
        self._last_hello_sent = -math.inf
        self._last_sync_sent = -math.inf
        self._sync_pending: dict[int, float] = {}
        self._token = 0
        self.commands: dict[int, _Command] = {}
        self.frames_in = Counter()  # valid frames by type name
        self.data_frames = 0

    # -- commands (state the MCU should hold; re-sent after every handshake) ---------------

    def _want(self, msg_type: int, payload: bytes) -> None:
        cur = self.commands.get(msg_type)
        if cur is not None and cur.payload == payload:
            return
        self.commands[msg_type] = _Command(payload)

    def set_power_mode(self, mode: str) -> None:
        self._want(p.Msg.SET_POWER_MODE, p.pack(p.Msg.SET_POWER_MODE, p.POWER_MODES.index(mode)))

    def set_privacy_led(self, on: bool) -> None:
        self._want(p.Msg.SET_PRIVACY_LED, p.pack(p.Msg.SET_PRIVACY_LED, int(bool(on))))

    def set_brightness(self, level: float) -> None:
        permille = int(round(max(0.0, min(1.0, float(level))) * 1000))
        self._want(p.Msg.SET_BRIGHTNESS, p.pack(p.Msg.SET_BRIGHTNESS, permille))

    def set_wake_offload(self, on: bool) -> None:
        self._want(p.Msg.SET_WAKE_OFFLOAD, p.pack(p.Msg.SET_WAKE_OFFLOAD, int(bool(on))))

    @property
    def commands_pending(self) -> int:
        return sum(not c.acked for c in self.commands.values())

    # -- port --------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.port is not None

    def _open(self, now: float) -> bool:
        if self.port is not None:
            return True
        if now < self._next_open:
            return False
        self._next_open = now + self.config.reconnect_s
        try:
            self.port = self.opener(self.url, self.baudrate)
        except Exception as exc:  # missing device, permission, bad URL: report and retry later
            self.counters["open_failures"] += 1
            self.last_error = f"cannot open {self.url}: {exc}"
            self.port = None
            return False
        self.decoder.reset()  # a half frame from before the reconnect is not continued
        self.rx_seq = None
        self._enter_handshake(now)
        self.last_rx = now
        return True

    def _fail(self, now: float, what: str, exc: Exception) -> None:
        self.counters["port_errors"] += 1
        self.last_error = f"{what} failed on {self.url}: {exc}"
        self.close()
        self.state = "closed"
        self._next_open = now + self.config.reconnect_s

    def close(self) -> None:
        if self.port is not None:
            try:
                self.port.close()
            except Exception:
                pass
        self.port = None

    def _send(self, now: float, msg_type: int, payload: bytes = b"") -> int | None:
        if self.port is None:
            return None
        seq = self.tx_seq
        self.tx_seq = (self.tx_seq + 1) & 0xFFFF
        try:
            self.port.write(p.encode_frame(msg_type, seq, payload))
        except Exception as exc:
            self._fail(now, "write", exc)
            return None
        return seq

    # -- session ----------------------------------------------------------------------

    def _enter_handshake(self, now: float) -> None:
        self.state = "handshake"
        self._last_hello_sent = -math.inf
        for cmd in self.commands.values():
            cmd.acked, cmd.seq, cmd.sent_at = False, None, -math.inf

    def poll(self, now: float) -> list:
        """Advance the link; returns what arrived, host-stamped."""
        if not self._open(now):
            return []
        try:
            waiting = self.port.in_waiting
            data = self.port.read(min(waiting, self.config.max_read)) if waiting else b""
        except Exception as exc:  # the cable was pulled / the device went away
            self._fail(now, "read", exc)
            return []
        out: list = []
        if data:
            for frame in self.decoder.feed(data):
                self._on_frame(frame, now, out)
        self._timers(now)
        return out

    def wait(self, timeout_s: float) -> None:
        """Block until the port has bytes or timeout_s passed: the caller stamps arrivals precisely."""
        import select

        fileno = getattr(self.port, "fileno", None)
        if fileno is None:
            time.sleep(timeout_s)
            return
        try:
            select.select([fileno()], [], [], timeout_s)
        except (OSError, ValueError):  # closed under us: the next poll reports it
            time.sleep(timeout_s)

    def _timers(self, now: float) -> None:
        if self.port is None:
            return
        if self.state in ("handshake", "incompatible"):
            period = self.config.hello_period_s * (10 if self.state == "incompatible" else 1)
            if now - self._last_hello_sent >= period:
                if self._last_hello_sent > -math.inf:
                    self.counters["handshake_retries"] += 1
                self._last_hello_sent = now
                self._send(now, p.Msg.HOST_HELLO, p.pack(p.Msg.HOST_HELLO, p.PROTOCOL_MAJOR, p.PROTOCOL_MINOR))
            return
        if now - self.last_rx > self.config.link_timeout_s:
            self.counters["link_timeouts"] += 1
            self.last_error = f"no frame from the MCU on {self.url} for {now - self.last_rx:.1f} s"
            self.rx_seq = None
            self._enter_handshake(now)
            return
        if now - self._last_sync_sent >= self.config.sync_period_s:
            self._last_sync_sent = now
            self._token = (self._token + 1) & 0xFFFFFFFF
            self._sync_pending = {k: v for k, v in self._sync_pending.items() if now - v < 5.0}
            self._sync_pending[self._token] = now
            self._send(now, p.Msg.TIME_SYNC_REQUEST, p.pack(p.Msg.TIME_SYNC_REQUEST, self._token))
        for msg_type, cmd in self.commands.items():
            if not cmd.acked and now - cmd.sent_at >= self.config.command_retry_s:
                if cmd.seq is not None:
                    self.counters["cmd_retries"] += 1
                cmd.sent_at = now
                cmd.seq = self._send(now, msg_type, cmd.payload)

    def _check_seq(self, seq: int) -> bool:
        if self.rx_seq is None:
            self.rx_seq = seq
            return True
        d = (seq - self.rx_seq) & 0xFFFF
        if d == 0 or d >= 0x8000:
            self.counters["seq_replay"] += 1
            self.replay_run += 1
            if self.replay_run < REPLAY_RESYNC:
                return False
            self.counters["seq_resync"] += 1
        elif d > 1:
            self.counters["frames_lost"] += d - 1
        self.rx_seq = seq
        self.replay_run = 0
        return True

    def _on_frame(self, frame: p.Frame, now: float, out: list) -> None:
        if frame.type >= 0x80:
            self.counters["wrong_direction"] += 1
            return
        try:
            msg = p.parse_payload(frame)
        except p.PayloadError as exc:
            self.counters[exc.reason] += 1
            self.last_error = str(exc)
            return
        if isinstance(msg, p.Hello):
            self._on_hello(frame, msg, now)
            return
        if not self._check_seq(frame.seq):
            return
        self.last_rx = now
        self.frames_in[p.Msg(frame.type).name] += 1
        if self.state != "running":
            self.counters["before_handshake"] += 1
            return
        if isinstance(msg, p.TimeSyncReply):
            t0 = self._sync_pending.pop(msg.token, None)
            if t0 is None:
                self.counters["sync_unknown_token"] += 1
                return
            clamped = self.sync.clamped
            if not self.sync.add_exchange(t0, now, msg.rx_tick, msg.tx_tick):
                self.counters["sync_rejected"] += 1
            self.counters["drift_clamped"] += self.sync.clamped - clamped
            return
        if isinstance(msg, p.Ack):
            for cmd in self.commands.values():
                if cmd.seq == msg.seq and not cmd.acked:
                    cmd.acked = True
                    if msg.status != "ok":
                        self.counters["cmd_rejected"] += 1
                        self.last_error = f"MCU refused a command: {msg.status}"
            return
        if isinstance(msg, p.McuStatus):
            self.mcu_status = msg
            return
        self.data_frames += 1
        out.append(self._host_data(msg, now))

    def _on_hello(self, frame: p.Frame, hello: p.Hello, now: float) -> None:
        self.last_rx = now
        self.frames_in["HELLO"] += 1
        if hello.major != p.PROTOCOL_MAJOR:
            self.counters["version_mismatch"] += 1
            self.last_error = f"MCU speaks link protocol {hello.major}.{hello.minor}, host {p.PROTOCOL_MAJOR}.x"
            self.state = "incompatible"
            self.hello = hello
            return
        rebooted = self.hello is None or hello.boot_id != self.hello.boot_id
        if rebooted:
            if self.hello is not None:
                self.counters["mcu_resets"] += 1
            self.sync.reset(hello.tick_hz)
            self.sync.coarse(hello.tick, now)
            self._sync_pending.clear()
            self._last_sync_sent = -math.inf
        if rebooted or self.state != "running":
            for cmd in self.commands.values():  # the MCU lost (or never had) our settings
                cmd.acked, cmd.seq, cmd.sent_at = False, None, -math.inf
        self.rx_seq = frame.seq
        self.replay_run = 0
        self.hello = hello
        self.state = "running"

    def _stamp(self, tick: int, now: float) -> float:
        t = self.sync.stamp(tick)
        if t is None:
            self.counters["unsynced_stamps"] += 1
            return now
        return t

    def _host_data(self, msg, now: float):
        if isinstance(msg, p.ImuFrame):
            first = self.sync.mcu_seconds(msg.tick)
            period = msg.period_ticks / self.sync.tick_hz
            mcu_times = first + period * np.arange(len(msg.accel))
            stamps = np.array([self.sync.to_host(t) if self.sync.offset is not None else now for t in mcu_times])
            return ImuBatch(stamps, np.asarray(msg.gyro, float), np.asarray(msg.accel, float))
        stamp = self._stamp(msg.tick, now)
        if isinstance(msg, p.GaugeFrame):
            return PackReading(
                slot=msg.slot, present=msg.present, t=stamp, voltage_v=msg.voltage_v, current_a=msg.current_a,
                temperature_c=msg.temperature_c, design_capacity_ah=msg.design_capacity_ah, serial=msg.serial,
                soc_hint=None if math.isnan(msg.soc) else msg.soc,
            )
        return Stamped(stamp, msg)

    def diagnostics(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "port": self.url,
            "state": self.state,
            "frames": self.decoder.frames,
            "bytes": self.decoder.bytes,
            "data_frames": self.data_frames,
            "commands_pending": self.commands_pending,
            "time_synced": self.sync.synced,
            "drift_ppm": f"{self.sync.drift_ppm:.1f}",
            "sync_uncertainty_ms": f"{self.sync.uncertainty_s * 1000:.3f}",
        }
        if self.hello is not None:
            values.update(mcu_firmware=self.hello.firmware, mcu_protocol=f"{self.hello.major}.{self.hello.minor}",
                          mcu_boot_id=f"{self.hello.boot_id:08x}")
        if self.mcu_status is not None:
            values.update(mcu_rx_crc_errors=self.mcu_status.rx_crc_errors,
                          mcu_rx_cobs_errors=self.mcu_status.rx_cobs_errors,
                          mcu_tx_dropped=self.mcu_status.tx_dropped)
        for reason, n in sorted((self.decoder.errors + self.counters).items()):
            values[f"errors.{reason}"] = n
        return values

    @property
    def error_total(self) -> int:
        return sum(self.decoder.errors.values()) + sum(
            n for k, n in self.counters.items() if k not in ("handshake_retries", "unsynced_stamps")
        )
