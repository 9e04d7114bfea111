"""IMU core (no rclpy): the simulated source, REP-145 covariances, orientation filter.

Sources produce ``ImuBatch`` objects: per-sample stamps (ROS time, s), gyro in
rad/s and specific force in m/s^2, both in the ``imu_link`` frame (REP-103:
x forward, y left, z up; at rest the accelerometer reads +9.81 on z).

- ``SimImuSource`` renders head motion from a scenario (``motion`` entries set
  still/walk, ``head`` entries trigger nod/shake) through glasses_bringup.drivers.sim.motion.
- Hardware samples come over the co-processor link (glasses_bringup.drivers.link, the
  ``coprocessor_link`` node), not through this module.
- ``OrientationEstimator`` turns raw samples into orientation with the ``ahrs``
  library (Madgwick or Mahony) for imu/data.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

# Plausibility limits of a consumer IMU (16 g, 2000 deg/s full scale, with margin).
ACCEL_LIMIT = 16 * 9.80665 * 1.05
GYRO_LIMIT = math.radians(2000) * 1.05


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
