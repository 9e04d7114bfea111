"""An MCU that speaks the co-processor link, for the sim rig, the tests and the benchmark.

``McuEmulator`` is the firmware's behaviour on an emulated clock (pure Python):
HELLO at boot and on HOST_HELLO, IMU batches at ``imu_rate_hz``, fuel gauges,
touch / wake-word / button / hinge inputs, STATUS once a second, TIME_SYNC_REPLY
and ACK for what the host sends. Its tick runs ``drift_ppm`` fast against the
host clock it is stepped with. ``reset()`` reboots it (new boot id, tick and
sequence from 0, the frame being written cut short).

``PtyMcu`` runs an emulator on a pseudo-terminal in a thread: the host opens the
slave path (or ``link_path``, a symlink that survives ``unplug()``/``replug()``,
as a udev name survives a USB re-enumeration) like any serial port.
"""

from __future__ import annotations

import math
import os
import random
import select
import threading
import time
import tty
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from glasses_bringup.drivers.link import protocol as p

GRAVITY = 9.80665


def still_head(rng: np.random.Generator) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """IMU samples of a head at rest: gravity on +z and white noise."""

    def render(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(t)
        accel = np.tile([0.0, 0.0, GRAVITY], (n, 1)) + rng.normal(0.0, 0.02, (n, 3))
        gyro = rng.normal(0.0, 0.003, (n, 3))
        return accel, gyro

    return render


class McuEmulator:
    def __init__(self, drift_ppm: float = 0.0, imu_rate_hz: float = 400.0, imu_batch: int = 8,
                 gauge_rate_hz: float = 1.0, status_period_s: float = 1.0, seed: int = 0,
                 firmware: str = "glasses-mcu-emulator 1.0", major: int = p.PROTOCOL_MAJOR,
                 imu_source: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
                 turnaround_s: float = 50e-6, imu_epoch_s: float | None = None):
        self.drift = drift_ppm * 1e-6
        self.imu_rate_hz = imu_rate_hz
        self.imu_batch = max(1, min(p.MAX_IMU_SAMPLES, imu_batch))
        self.gauge_period_s = 1.0 / gauge_rate_hz if gauge_rate_hz > 0 else math.inf
        self.status_period_s = status_period_s
        self.firmware = firmware
        self.major = major
        self.turnaround_s = turnaround_s
        self.rng = random.Random(seed)
        self.imu_source = imu_source or still_head(np.random.default_rng(seed))
        self.imu_epoch_s = imu_epoch_s  # host time of IMU sample 0 (default: boot); imu_source gets times from it
        self.packs = {"left": [True, 0.9, "PK-L1"], "right": [True, 0.85, "PK-R1"]}  # present, soc, serial
        self.settings: dict[str, object] = {}
        self.sent: Counter[str] = Counter()  # frames sent by type name
        self.received: Counter[str] = Counter()
        self.rx_decoder = p.FrameDecoder()
        self.resets = 0
        self.booted = False
        self.hung = False  # a firmware that stopped: sends nothing, answers nothing
        self._events: list[tuple[float | None, int, bytes]] = []  # (host time due or None = now, type, body)
        self._out = bytearray()

    # -- clock ---------------------------------------------------------------------------

    def boot(self, now: float) -> None:
        self.boot_at = now
        self.tick0 = self.rng.randrange(0, 1 << 32)  # a counter starts anywhere: exercise the wrap
        self.boot_id = self.rng.randrange(1, 1 << 32)
        self.seq = 0
        self.imu_e0 = 0.0 if self.imu_epoch_s is None else (self.imu_epoch_s - now) * (1.0 + self.drift)
        self.imu_index = 0 if self.imu_e0 >= 0 else int(-self.imu_e0 * self.imu_rate_hz) + 1  # rebooted mid-stream
        self.next_gauge = 0.0
        self.next_status = 0.0
        self.booted = True
        self._out += b"\x00"  # a delimiter first: the host drops whatever half frame it holds
        self._frame(p.Msg.HELLO, p.hello_payload(self.boot_id, self.tick(now), self.firmware, major=self.major))

    def mcu_elapsed(self, now: float) -> float:
        """Seconds since boot on the MCU's own (drifting) clock."""
        return (now - self.boot_at) * (1.0 + self.drift)

    def tick(self, now: float) -> int:
        return (self.tick0 + int(self.mcu_elapsed(now) * p.TICK_HZ)) & 0xFFFFFFFF

    def true_host_time(self, tick: int) -> float:
        """Host time at which the MCU's tick read ``tick`` (ground truth for the tests)."""
        elapsed_ticks = (tick - self.tick0) % (1 << 32)
        return self.boot_at + elapsed_ticks / p.TICK_HZ / (1.0 + self.drift)

    # -- output --------------------------------------------------------------------------

    def _frame(self, msg_type: int, payload: bytes) -> None:
        self._out += p.encode_frame(msg_type, self.seq, payload)
        self.seq = (self.seq + 1) & 0xFFFF
        self.sent[p.Msg(msg_type).name] += 1

    @property
    def data_frames_sent(self) -> int:
        return sum(n for k, n in self.sent.items() if k in DATA_TYPES)

    def touch(self, gesture: str, side: str = "right", at: float | None = None) -> None:
        """A touch gesture now, or at host time ``at`` (sent when due, stamped with the tick of then)."""
        self._events.append((at, p.Msg.TOUCH, bytes([p.GESTURES.index(gesture), p.SIDES.index(side)])))

    def wake_hit(self, keyword: str = "hey_jarvis", score: float = 0.9, at: float | None = None) -> None:
        self._events.append((at, p.Msg.WAKE_HIT, bytes([p.KEYWORDS.index(keyword), int(round(score * 255))])))

    def button(self, action: str = "press", button: int = 0, at: float | None = None) -> None:
        self._events.append((at, p.Msg.BUTTON, bytes([button, p.BUTTON_ACTIONS.index(action)])))

    def hinge(self, state: str, at: float | None = None) -> None:
        self._events.append((at, p.Msg.HINGE, bytes([p.HINGE_STATES.index(state)])))

    def step(self, now: float) -> bytes:
        """Everything the MCU sends up to host time ``now``."""
        if not self.booted:
            self.boot(now)
        if self.hung:
            return b""
        elapsed = self.mcu_elapsed(now)
        due = int((elapsed - self.imu_e0) * self.imu_rate_hz) + 1 if elapsed >= self.imu_e0 else 0
        period_ticks = int(round(p.TICK_HZ / self.imu_rate_hz))
        e0_ticks = int(round(self.imu_e0 * p.TICK_HZ))
        while due - self.imu_index >= self.imu_batch:
            k = np.arange(self.imu_index, self.imu_index + self.imu_batch)
            accel, gyro = self.imu_source(k / self.imu_rate_hz)
            first_tick = (self.tick0 + e0_ticks + self.imu_index * period_ticks) & 0xFFFFFFFF
            self._frame(p.Msg.IMU_BATCH, p.imu_payload(first_tick, period_ticks, accel.tolist(), gyro.tolist()))
            self.imu_index += self.imu_batch
        if self.gauge_period_s < math.inf and elapsed >= self.next_gauge:
            self.next_gauge += self.gauge_period_s
            for slot, (present, soc, serial) in self.packs.items():
                volts = 3.4 + 0.8 * soc if present else math.nan
                self._frame(p.Msg.FUEL_GAUGE, p.gauge_payload(
                    self.tick(now), slot, present, volts, -0.05 if present else math.nan, 31.0, 0.28,
                    soc if present else math.nan, serial if present else ""))
        waiting = []
        for at, msg_type, body in self._events:
            if at is not None and at > now:
                waiting.append((at, msg_type, body))
                continue
            tick = self.tick(now if at is None else max(at, self.boot_at))
            self._frame(msg_type, tick.to_bytes(4, "little") + body)
        self._events = waiting
        if elapsed >= self.next_status:
            self.next_status += self.status_period_s
            e = self.rx_decoder.errors
            self._frame(p.Msg.STATUS, p.pack(p.Msg.STATUS, self.tick(now), min(e["crc"], 0xFFFF),
                                              min(e["cobs"], 0xFFFF), 0))
        out = bytes(self._out)
        self._out.clear()
        return out

    # -- input ---------------------------------------------------------------------------

    def receive(self, data: bytes, now: float) -> None:
        """Bytes from the host, arrived at host time ``now``."""
        if not self.booted:
            self.boot(now)
        if self.hung:
            return
        for frame in self.rx_decoder.feed(data):
            try:
                name = p.Msg(frame.type).name
            except ValueError:
                name = f"0x{frame.type:02x}"
            self.received[name] += 1
            if frame.type == p.Msg.HOST_HELLO:
                self._frame(p.Msg.HELLO, p.hello_payload(self.boot_id, self.tick(now), self.firmware, major=self.major))
            elif frame.type == p.Msg.TIME_SYNC_REQUEST and len(frame.payload) == 4:
                token = int.from_bytes(frame.payload, "little")
                rx = self.tick(now)
                tx = self.tick(now + self.turnaround_s)
                self._frame(p.Msg.TIME_SYNC_REPLY, p.pack(p.Msg.TIME_SYNC_REPLY, token, rx, tx))
            elif frame.type in SETTINGS:
                key, fmt = SETTINGS[frame.type]
                ok = len(frame.payload) == fmt.size
                if ok:
                    (value,) = fmt.unpack(frame.payload)
                    ok = value <= LIMITS[frame.type]
                    if ok:
                        self.settings[key] = value
                self._frame(p.Msg.ACK, p.pack(p.Msg.ACK, frame.seq, 0 if ok else 1))
            else:
                self._frame(p.Msg.ACK, p.pack(p.Msg.ACK, frame.seq, 2))

    def reset(self, now: float, cut_frame: bool = True) -> bytes:
        """Reboot; returns the bytes that reach the wire (a cut frame, then the new HELLO)."""
        cut = b""
        if cut_frame:
            whole = p.encode_frame(p.Msg.IMU_BATCH, self.seq, p.imu_payload(
                self.tick(now), 2500, [[0.0, 0.0, GRAVITY]] * self.imu_batch, [[0.0, 0.0, 0.0]] * self.imu_batch))
            cut = whole[: len(whole) // 2]
            self.sent["IMU_BATCH"] += 1  # it left the MCU but will never arrive whole
        self._out.clear()
        self._events = [e for e in self._events if e[0] is not None and e[0] > now]  # scheduled inputs still come
        self.resets += 1
        self.boot(now)
        return cut + self.step(now)


def scenario_emulator(scenario, start_s: float, imu_rate_hz: float = 100.0, imu_batch: int = 4,
                      sensor=None, touch: bool = True, **kwargs) -> McuEmulator:
    """An emulator that renders a scenario as the MCU would see it: head motion on its IMU (the
    same samples as the sim IMU source: glasses_bringup.drivers.sim.motion), touch entries on its pad."""
    from glasses_bringup.drivers.sensors.imu import plan_from_scenario
    from glasses_bringup.drivers.sim.motion import SimulatedImu

    imu = SimulatedImu(plan_from_scenario(scenario), imu_rate_hz, sensor)

    def render(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        _, gyro, accel, _ = imu.samples(int(round(t[0] * imu_rate_hz)), len(t))
        return accel, gyro

    emulator = McuEmulator(imu_rate_hz=imu_rate_hz, imu_batch=imu_batch, imu_source=render, imu_epoch_s=start_s,
                           seed=scenario.seed, **kwargs)
    for entry in scenario.entries("touch") if touch else []:
        emulator.touch(entry.touch, "right", at=start_s + entry.at)
    return emulator


DATA_TYPES = {"IMU_BATCH", "FUEL_GAUGE", "TOUCH", "WAKE_HIT", "BUTTON", "HINGE"}
SETTINGS = {
    p.Msg.SET_POWER_MODE: ("power_mode", p.FORMATS[p.Msg.SET_POWER_MODE]),
    p.Msg.SET_PRIVACY_LED: ("privacy_led", p.FORMATS[p.Msg.SET_PRIVACY_LED]),
    p.Msg.SET_BRIGHTNESS: ("brightness_permille", p.FORMATS[p.Msg.SET_BRIGHTNESS]),
    p.Msg.SET_WAKE_OFFLOAD: ("wake_offload", p.FORMATS[p.Msg.SET_WAKE_OFFLOAD]),
}
LIMITS = {p.Msg.SET_POWER_MODE: len(p.POWER_MODES) - 1, p.Msg.SET_PRIVACY_LED: 1,
          p.Msg.SET_BRIGHTNESS: 1000, p.Msg.SET_WAKE_OFFLOAD: 1}


class PtyMcu:
    """An emulator behind a pseudo-terminal, stepped every ``period_s`` of wall time on a thread."""

    def __init__(self, emulator: McuEmulator, link_path: str | Path | None = None, period_s: float = 0.002,
                 clock: Callable[[], float] = time.time):
        self.emulator = emulator
        self.link_path = Path(link_path) if link_path else None
        self.period_s = period_s
        self.clock = clock
        self.lock = threading.Lock()
        self.master: int | None = None
        self.slave: int | None = None
        self.slave_name = ""
        self.tx_dropped = 0
        self.tx_bytes = 0
        self._pending = bytearray()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def path(self) -> str:
        return str(self.link_path) if self.link_path else self.slave_name

    def _plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self.master, self.slave, self.slave_name = master, slave, os.ttyname(slave)
        if self.link_path:
            tmp = self.link_path.with_name(self.link_path.name + ".new")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(self.slave_name)
            tmp.replace(self.link_path)

    def start(self) -> PtyMcu:
        self._plug()
        self._thread = threading.Thread(target=self._run, name="mcu_emulator", daemon=True)
        self._thread.start()
        return self

    def unplug(self) -> None:
        """The cable is pulled: the port disappears (the host's reads fail)."""
        with self.lock:
            for fd in (self.master, self.slave):
                if fd is not None:
                    os.close(fd)
            self.master = self.slave = None
            self._pending.clear()
            if self.link_path:
                self.link_path.unlink(missing_ok=True)

    def replug(self, reboot: bool = True) -> None:
        with self.lock:
            self._plug()
            if reboot:  # USB power came back: the MCU boots again
                self.emulator.reset(self.clock(), cut_frame=False)

    def reset(self) -> None:
        with self.lock:
            self._write(self.emulator.reset(self.clock()))

    def _write(self, data: bytes) -> None:
        if self.master is None:
            return
        self._pending += data
        if len(self._pending) > 64 * 1024:  # the host is not reading: drop the oldest, as a UART FIFO would
            self.tx_dropped += len(self._pending) - 64 * 1024
            del self._pending[: len(self._pending) - 64 * 1024]
        try:
            n = os.write(self.master, self._pending)
        except (BlockingIOError, OSError):
            return
        self.tx_bytes += n
        del self._pending[:n]

    def _run(self) -> None:
        while not self._stop.is_set():
            with self.lock:
                master = self.master
            if master is None:
                time.sleep(self.period_s)
                continue
            try:
                ready, _, _ = select.select([master], [], [], self.period_s)
            except (OSError, ValueError):
                continue
            with self.lock:
                if self.master is None:
                    continue
                now = self.clock()
                if ready:
                    try:
                        data = os.read(self.master, 4096)
                    except (BlockingIOError, OSError):
                        data = b""
                    if data:
                        self.emulator.receive(data, now)
                self._write(self.emulator.step(now))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self.unplug()


class EmulatedPort:
    """A pyserial-like port wired to an emulator on an emulated clock, with per-direction latency.

    ``clock()`` is the host's (emulated) time. Each write reaches the emulator
    ``latency_up()`` later, each batch the emulator sends reaches the host
    ``latency_down()`` later; the callables draw the transport delay (seconds).
    """

    def __init__(self, emulator: McuEmulator, clock: Callable[[], float],
                 latency_up: Callable[[], float] = lambda: 0.0005,
                 latency_down: Callable[[], float] = lambda: 0.0005):
        self.emulator = emulator
        self.clock = clock
        self.latency_up = latency_up
        self.latency_down = latency_down
        self.to_mcu: list[tuple[float, bytes]] = []
        self.to_host: list[tuple[float, bytes]] = []
        self.mangle: Callable[[bytes], bytes] | None = None  # tests corrupt the downlink with this
        self.closed = False
        self._last_delivery = -math.inf

    def advance(self) -> None:
        now = self.clock()
        due = [d for d in self.to_mcu if d[0] <= now]
        self.to_mcu = [d for d in self.to_mcu if d[0] > now]
        for t, data in due:
            self.emulator.receive(data, t)
            out = self.emulator.step(t + self.emulator.turnaround_s)
            if out:
                self._deliver(t + self.emulator.turnaround_s, out)
        out = self.emulator.step(now)
        if out:
            self._deliver(now, out)

    def _deliver(self, sent_at: float, data: bytes) -> None:
        # A serial line keeps order: a byte never overtakes the one sent before it.
        self._last_delivery = max(self._last_delivery, sent_at + self.latency_down())
        self.to_host.append((self._last_delivery, data))

    def next_arrival(self) -> float:
        """When bytes next reach either end (an emulated host that waits on the port wakes then)."""
        return min((t for t, _ in self.to_host + self.to_mcu), default=math.inf)

    def inject(self, data: bytes) -> None:
        """Bytes that appear on the host's side of the wire now (noise, replays)."""
        self.to_host.append((self.clock(), data))

    @property
    def in_waiting(self) -> int:
        if self.closed:
            raise OSError("port closed")
        self.advance()
        now = self.clock()
        return sum(len(d) for t, d in self.to_host if t <= now)

    def read(self, n: int) -> bytes:
        now = self.clock()
        out = bytearray()
        while self.to_host and self.to_host[0][0] <= now and len(out) < n:
            out += self.to_host.pop(0)[1]
        data = bytes(out)
        return self.mangle(data) if self.mangle else data

    def write(self, data: bytes) -> int:
        if self.closed:
            raise OSError("port closed")
        self.to_mcu.append((self.clock() + self.latency_up(), bytes(data)))
        return len(data)

    def close(self) -> None:
        self.closed = True
