"""IMU core (no rclpy): simulated and serial sources, REP-145 covariances, orientation filter.

Sources produce ``ImuBatch`` objects: per-sample stamps (ROS time, s), gyro in
rad/s and specific force in m/s^2, both in the ``imu_link`` frame (REP-103:
x forward, y left, z up; at rest the accelerometer reads +9.81 on z).

- ``SimImuSource`` renders head motion from a scenario (``motion`` entries set
  still/walk, ``head`` entries trigger nod/shake) through glasses_bringup.drivers.sim.motion.
- ``SerialImuSource`` reads the co-processor's line protocol over pyserial::

      [$]IMU,<t_us>,<ax>,<ay>,<az>,<gx>,<gy>,<gz>[*<XX>]

  t_us is the co-processor's microsecond counter (32-bit wrap handled), the
  values are m/s^2 and rad/s in imu_link; XX is an optional NMEA-style checksum
  (two hex digits, XOR of every byte between '$' and '*'), as on the fuel-gauge
  link ($BAT lines, glasses_bringup.drivers.power.link). Anything else on the line (boot
  messages, noise, half lines, bad numbers) is counted by reason and skipped.
- ``OrientationEstimator`` turns raw samples into orientation with the ``ahrs``
  library (Madgwick or Mahony) for imu/data.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

# Plausibility limits of a consumer IMU (16 g, 2000 deg/s full scale, with margin).
ACCEL_LIMIT = 16 * 9.80665 * 1.05
GYRO_LIMIT = math.radians(2000) * 1.05
MAX_LINE_BYTES = 160


# --- REP-145 covariances -----------------------------------------------------------


def diagonal(variances) -> list[float]:
    """Row-major 3x3 covariance with the given diagonal."""
    v = [float(x) for x in variances]
    return [v[0], 0.0, 0.0, 0.0, v[1], 0.0, 0.0, 0.0, v[2]]


ORIENTATION_UNKNOWN = [-1.0] + [0.0] * 8  # REP-145: orientation_covariance[0] = -1 on imu/data_raw


def raw_covariances(gyro_noise_std: float, accel_noise_std: float) -> dict[str, list[float]]:
    """Covariances of an imu/data_raw message: no orientation, white-noise variances."""
    return {
        "orientation_covariance": list(ORIENTATION_UNKNOWN),
        "angular_velocity_covariance": diagonal([gyro_noise_std**2] * 3),
        "linear_acceleration_covariance": diagonal([accel_noise_std**2] * 3),
    }


# --- samples -----------------------------------------------------------------------


@dataclass
class ImuBatch:
    """n samples: stamps (s, ROS time), gyro (rad/s) and accel (m/s^2) as (n, 3) arrays."""

    stamps: np.ndarray
    gyro: np.ndarray
    accel: np.ndarray

    @classmethod
    def empty(cls) -> ImuBatch:
        return cls(np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3)))

    def __len__(self) -> int:
        return len(self.stamps)


# --- simulated source --------------------------------------------------------------


def plan_from_scenario(scenario, seed: int | None = None):
    """MotionPlan of a glasses_bringup.drivers.sim.scenario.Scenario: motion and head entries."""
    from glasses_bringup.drivers.sim.motion import MotionPlan

    plan = MotionPlan(seed=scenario.seed if seed is None else seed)
    for entry in scenario.timeline:
        if entry.motion is not None:
            plan.add_mode(entry.at, entry.motion)
        elif entry.head is not None:
            plan.add_gesture(entry.head, entry.at)
    return plan


class SimImuSource:
    """Samples of a simulated head at ``rate_hz``, stamped start_s + k / rate_hz.

    ``poll(now_s)`` returns every sample whose stamp is <= now_s and not yet
    returned. Samples are rendered ``lookahead`` at a time (numpy work per call
    costs far more than per sample) and handed out as they fall due. If the
    caller fell more than ``max_catchup_s`` behind (process paused), older
    samples are skipped and counted in ``skipped``.
    """

    def __init__(
        self, plan, rate_hz: float, start_s: float, sensor=None, max_catchup_s: float = 1.0, lookahead: int = 10
    ):
        from glasses_bringup.drivers.sim.motion import SimulatedImu

        self.imu = SimulatedImu(plan, rate_hz, sensor)
        self.rate_hz = float(rate_hz)
        self.start_s = float(start_s)
        self.max_catchup_s = max_catchup_s
        self.lookahead = max(1, int(lookahead))
        self.next_index = 0
        self.skipped = 0
        self._buffer: tuple[int, np.ndarray, np.ndarray, np.ndarray] | None = None  # (first index, t, gyro, accel)

    def due_index(self, now_s: float) -> int:
        """Index one past the last sample due at now_s."""
        return max(0, math.floor((now_s - self.start_s) * self.rate_hz + 1e-9) + 1)

    def _render(self, k0: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        buf = self._buffer
        if buf is None or not (buf[0] <= k0 and k0 + n <= buf[0] + len(buf[1])):
            t, gyro, accel, _ = self.imu.samples(k0, max(n, self.lookahead))
            buf = self._buffer = (k0, t, gyro, accel)
        i = k0 - buf[0]
        return buf[1][i : i + n], buf[2][i : i + n], buf[3][i : i + n]

    def poll(self, now_s: float) -> ImuBatch:
        end = self.due_index(now_s)
        oldest = end - max(1, int(self.max_catchup_s * self.rate_hz))
        if self.next_index < oldest:
            self.skipped += oldest - self.next_index
            self.next_index = oldest
        n = end - self.next_index
        if n <= 0:
            return ImuBatch.empty()
        t, gyro, accel = self._render(self.next_index, n)
        self.next_index = end
        return ImuBatch(self.start_s + t, gyro, accel)


# --- serial line protocol ----------------------------------------------------------


class ImuLineError(ValueError):
    """A line that is not a valid IMU sample; ``reason`` is a short, countable label."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class ImuLine:
    t_us: int
    accel: tuple[float, float, float]
    gyro: tuple[float, float, float]


def checksum(body: str) -> int:
    """XOR of the bytes of ``body`` (NMEA style)."""
    value = 0
    for b in body.encode("ascii", "replace"):
        value ^= b
    return value


def format_line(t_us: int, accel, gyro, with_checksum: bool = True) -> str:
    """The line the co-processor sends for one sample (used by tests and tools)."""
    body = "IMU,{},{}".format(int(t_us), ",".join(f"{v:.6g}" for v in (*accel, *gyro)))
    return f"${body}*{checksum(body):02X}" if with_checksum else body


def parse_line(line: str) -> ImuLine:
    """Parse one line (without newline); ImuLineError says why it is not a sample."""
    line = line.strip()
    if not line:
        raise ImuLineError("empty")
    if line.startswith("$"):
        line = line[1:]
    if "*" in line:
        body, _, cs = line.rpartition("*")
        try:
            expected = int(cs, 16)
        except ValueError:
            raise ImuLineError("bad_checksum", f"not hex: {cs[:8]!r}") from None
        if len(cs) != 2 or checksum(body) != expected:
            raise ImuLineError("bad_checksum", line[:40])
        line = body
    fields = line.split(",")
    if fields[0] != "IMU":
        raise ImuLineError("not_imu", fields[0][:16])
    if len(fields) != 8:
        raise ImuLineError("field_count", f"{len(fields)} fields, expected 8")
    if not line.isascii():  # float() and int() would take Unicode digits such as '١٢'
        raise ImuLineError("not_ascii", line[:40])
    try:
        t_us = int(fields[1])
    except ValueError:
        raise ImuLineError("bad_time", fields[1][:20]) from None
    if t_us < 0:
        raise ImuLineError("bad_time", fields[1][:20])
    try:
        values = [float(f) for f in fields[2:]]
    except ValueError:
        raise ImuLineError("bad_number", line[:60]) from None
    if not all(math.isfinite(v) for v in values):
        raise ImuLineError("not_finite", line[:60])
    accel, gyro = tuple(values[:3]), tuple(values[3:])
    if max(abs(v) for v in accel) > ACCEL_LIMIT:
        raise ImuLineError("accel_out_of_range", line[:60])
    if max(abs(v) for v in gyro) > GYRO_LIMIT:
        raise ImuLineError("gyro_out_of_range", line[:60])
    return ImuLine(t_us, accel, gyro)  # type: ignore[arg-type]


class LineSplitter:
    """Bytes from a serial port -> complete lines; an over-long run without a newline is dropped whole."""

    def __init__(self, max_line: int = MAX_LINE_BYTES):
        self.max_line = max_line
        self.buffer = bytearray()
        self.overlong = 0
        self.discarding = False  # inside an over-long run: skip up to the next newline

    def feed(self, data: bytes) -> list[str]:
        self.buffer += data
        lines: list[str] = []
        while True:
            cut = -1
            for sep in (b"\n", b"\r"):
                i = self.buffer.find(sep)
                if i >= 0 and (cut < 0 or i < cut):
                    cut = i
            if cut < 0:
                break
            raw = bytes(self.buffer[:cut])
            del self.buffer[: cut + 1]
            if self.discarding:
                self.discarding = False
                continue
            if len(raw) > self.max_line:
                self.overlong += 1
                continue
            if raw:
                lines.append(raw.decode("ascii", errors="replace"))
        if len(self.buffer) > self.max_line:
            if not self.discarding:
                self.overlong += 1
            self.discarding = True
            self.buffer.clear()
        return lines


class ClockMapper:
    """Device microseconds -> ROS seconds: offset = smallest (host - device) seen, drifting.

    The smallest observed delay is the best estimate of transport latency; the
    offset may creep up by ``drift_ppm`` so clock drift cannot freeze it. A device
    counter that jumps back (reset) or forward by more than ``reset_gap_s``
    restarts the mapping. 32-bit counter wrap is unfolded.
    """

    WRAP = 1 << 32

    def __init__(self, drift_ppm: float = 200.0, reset_gap_s: float = 5.0):
        self.drift = drift_ppm * 1e-6
        self.reset_gap_s = reset_gap_s
        self.offset: float | None = None
        self.last_device_s: float | None = None
        self.last_raw: int | None = None
        self.unwrapped_base = 0
        self.resets = 0

    def device_seconds(self, t_us: int) -> float:
        if self.last_raw is not None and t_us < self.last_raw and self.last_raw - t_us > self.WRAP // 2:
            self.unwrapped_base += self.WRAP
        self.last_raw = t_us
        return (self.unwrapped_base + t_us) * 1e-6

    def stamp_batch(self, t_us: list[int], host_s: float) -> list[float]:
        """ROS stamps of the samples of one read, all received by host time host_s.

        Only the last sample of a read bounds the offset tightly (the earlier ones
        waited in the port buffer), so the offset is updated once per read.
        """
        if not t_us:
            return []
        device = [self.device_seconds(t) for t in t_us]
        stamps: list[float] = []
        start = 0
        while start < len(device):
            end = start + 1
            while end < len(device) and 0 <= device[end] - device[end - 1] <= self.reset_gap_s:
                end += 1
            self._update(device[start], device[end - 1], host_s)
            stamps.extend(d + self.offset for d in device[start:end])
            start = end
        return stamps

    def _update(self, first_s: float, last_s: float, host_s: float) -> None:
        if self.last_device_s is not None:
            step = first_s - self.last_device_s
            if step < 0 or step > self.reset_gap_s:
                self.offset = None
                self.resets += 1
        candidate = host_s - last_s
        if self.offset is None:
            self.offset = candidate
        else:
            elapsed = max(last_s - self.last_device_s, 0.0)
            self.offset = min(self.offset + self.drift * elapsed, candidate)
        self.last_device_s = last_s


@dataclass
class SerialStats:
    lines: int = 0
    samples: int = 0
    bad: Counter = field(default_factory=Counter)
    last_bad: str = ""


class SerialDecoder:
    """Bytes in, ImuBatch out: splits lines, parses, maps device time, counts every bad line."""

    def __init__(self, clock: ClockMapper | None = None):
        self.splitter = LineSplitter()
        self.clock = clock or ClockMapper()
        self.stats = SerialStats()
        self.last_t_us: int | None = None

    def decode(self, data: bytes, host_s: float) -> ImuBatch:
        overlong_before = self.splitter.overlong
        lines = self.splitter.feed(data)
        if self.splitter.overlong > overlong_before:
            self.stats.bad["overlong"] += self.splitter.overlong - overlong_before
            self.stats.last_bad = "overlong line without newline"
        times, gyro, accel = [], [], []
        for line in lines:
            self.stats.lines += 1
            try:
                sample = parse_line(line)
            except ImuLineError as exc:
                self.stats.bad[exc.reason] += 1
                self.stats.last_bad = str(exc)[:120]
                continue
            if self.last_t_us is not None and sample.t_us == self.last_t_us:
                self.stats.bad["duplicate_time"] += 1
                self.stats.last_bad = f"duplicate device time {sample.t_us}"
                continue
            self.last_t_us = sample.t_us
            times.append(sample.t_us)
            gyro.append(sample.gyro)
            accel.append(sample.accel)
        if not times:
            return ImuBatch.empty()
        resets = self.clock.resets
        stamps = self.clock.stamp_batch(times, host_s)
        if self.clock.resets > resets:
            self.stats.bad["device_clock_jump"] += self.clock.resets - resets
            self.stats.last_bad = "device clock jumped (co-processor reset?)"
        self.stats.samples += len(stamps)
        return ImuBatch(np.asarray(stamps), np.asarray(gyro, float), np.asarray(accel, float))


class SerialImuSource:
    """The co-processor's IMU over a serial port or any pyserial URL (loop://, socket://...)."""

    def __init__(self, url: str, baudrate: int = 921600, reconnect_s: float = 2.0):
        self.url = url
        self.baudrate = baudrate
        self.reconnect_s = reconnect_s
        self.decoder = SerialDecoder()
        self.port = None
        self.last_error = ""
        self.open_failures = 0
        self._next_attempt = -math.inf

    @property
    def connected(self) -> bool:
        return self.port is not None

    def open(self, now_s: float) -> bool:
        import serial

        if self.port is not None:
            return True
        if now_s < self._next_attempt:
            return False
        self._next_attempt = now_s + self.reconnect_s
        try:
            self.port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0)
        except (serial.SerialException, ValueError, OSError) as exc:
            self.open_failures += 1
            self.last_error = f"cannot open {self.url}: {exc}"
            self.port = None
            return False
        return True

    def poll(self, now_s: float) -> ImuBatch:
        """Read what is waiting (never blocks) and decode it; reconnects after errors."""
        import serial

        if not self.open(now_s):
            return ImuBatch.empty()
        try:
            waiting = self.port.in_waiting
            data = self.port.read(waiting) if waiting else b""
        except (serial.SerialException, OSError) as exc:
            self.last_error = f"read failed on {self.url}: {exc}"
            self.close()
            return ImuBatch.empty()
        return self.decoder.decode(data, now_s) if data else ImuBatch.empty()

    def close(self) -> None:
        if self.port is not None:
            try:
                self.port.close()
            except Exception:
                pass
        self.port = None


# --- orientation -------------------------------------------------------------------


class OrientationEstimator:
    """Gyro + accelerometer -> orientation (head -> world, wxyz) with ahrs Madgwick or Mahony.

    The first valid sample initialises roll and pitch from gravity (yaw 0), so the
    estimate is right from the start instead of converging for seconds. Samples
    with a non-finite value, a value beyond the sensor's full scale, a stamp that
    does not advance, or a gap longer than
    ``max_gap_s`` are handled without corrupting the state (skipped or reset).
    """

    ALGORITHMS = ("madgwick", "mahony")

    def __init__(
        self,
        algorithm: str = "madgwick",
        rate_hz: float = 100.0,
        madgwick_gain: float = 0.033,
        mahony_kp: float = 1.0,
        mahony_ki: float = 0.3,
        max_gap_s: float = 0.5,
    ):
        from ahrs.filters import Madgwick, Mahony

        if algorithm not in self.ALGORITHMS:
            raise ValueError(f"algorithm must be one of {self.ALGORITHMS}, got {algorithm!r}")
        self.algorithm = algorithm
        if algorithm == "madgwick":
            self.filter = Madgwick(frequency=rate_hz, gain=madgwick_gain)
        else:
            self.filter = Mahony(frequency=rate_hz, k_P=mahony_kp, k_I=mahony_ki)
        self.default_dt = 1.0 / rate_hz
        self.max_gap_s = max_gap_s
        self.q: np.ndarray | None = None
        self.last_stamp: float | None = None
        self.rejected: Counter = Counter()
        self.rejected_total = 0
        self.last_reject = ""
        self.resets = 0

    def _reject(self, reason: str) -> None:
        self.rejected[reason] += 1
        self.rejected_total += 1
        self.last_reject = reason

    def reset(self) -> None:
        self.q = None
        self.last_stamp = None
        self.resets += 1

    def update(self, stamp: float, gyro, accel) -> np.ndarray | None:
        """New orientation (w, x, y, z) after one sample, or None if the sample was rejected."""
        from ahrs.common.orientation import acc2q

        gyro = np.asarray(gyro, dtype=float)
        accel = np.asarray(accel, dtype=float)
        if not (np.all(np.isfinite(gyro)) and np.all(np.isfinite(accel)) and math.isfinite(stamp)):
            self._reject("not_finite")
            return None
        # imu/data_raw may come from any driver or a bag: the sensor's full scale bounds it here too,
        # since one absurd rate integrated over a step would flip the orientation.
        if np.any(np.abs(gyro) > GYRO_LIMIT):
            self._reject("gyro_out_of_range")
            return None
        if np.any(np.abs(accel) > ACCEL_LIMIT):
            self._reject("accel_out_of_range")
            return None
        if self.last_stamp is not None:
            dt = stamp - self.last_stamp
            if dt <= 0:
                self._reject("stamp_not_increasing")
                return None
            if dt > self.max_gap_s:
                self._reject("gap_reset")
                self.reset()
        if self.q is None:
            if np.linalg.norm(accel) < 1.0:  # no usable gravity reference (free fall or zeros)
                self._reject("no_gravity")
                return None
            self.q = np.asarray(acc2q(accel), dtype=float)
            self.last_stamp = stamp
            return self.q
        dt = stamp - self.last_stamp
        q = np.asarray(self.filter.updateIMU(self.q, gyr=gyro, acc=accel, dt=dt), dtype=float)
        if not np.all(np.isfinite(q)):
            self._reject("filter_diverged")
            self.reset()
            return None
        self.q = q
        self.last_stamp = stamp
        return q


def quaternion_to_euler(q) -> tuple[float, float, float]:
    """(roll, pitch, yaw) in rad of a wxyz quaternion (ZYX convention, REP-103)."""
    w, x, y, z = (float(v) for v in q)
    roll = math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    pitch = math.asin(max(-1.0, min(1.0, 2 * (w * y - z * x))))
    yaw = math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return roll, pitch, yaw
