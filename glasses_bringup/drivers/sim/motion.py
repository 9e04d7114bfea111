"""Simulated head motion for the IMU: still, walk, nod and shake, with sensor noise and bias.

The head's orientation and the IMU's position are analytic functions of time (sums
of smooth sinusoids and windowed pulses with closed-form first and second
derivatives), so the body-frame angular velocity and specific force follow exactly
from the trajectory rather than from numerical differences.

Frames follow REP-103: the world is x forward (the walking direction), y left,
z up; the head frame is x forward, y left, z up. Orientation is ZYX Euler
(yaw, pitch, roll), so a positive pitch is nose down and a positive yaw is a turn
to the left. The accelerometer reports specific force (gravity included): at rest
it reads +9.81 m/s^2 on z, as REP-145 expects.

The IMU sits at ``LEVER_ARM_M`` from the neck's rotation centre (glasses sit in
front of and above it), so nodding and shaking also produce tangential and
centripetal acceleration, as on real glasses.

Everything is deterministic from the seed: gesture shapes depend on (seed, entry
index) and sensor noise on (seed, sample index), so batches of any size give the
same samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

GRAVITY = 9.80665  # m/s^2, standard gravity
LEVER_ARM_M = np.array([0.09, 0.0, 0.11])  # IMU position from the neck pivot, head frame (m)


# --- smooth scalar signals: each returns (value, first derivative, second derivative) ---


def _zeros(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    z = np.zeros_like(t)
    return z, z.copy(), z.copy()


def sinusoid(t: np.ndarray, amp: float, freq_hz: float, phase: float) -> tuple:
    w = 2.0 * math.pi * freq_hz
    s, c = np.sin(w * t + phase), np.cos(w * t + phase)
    return amp * s, amp * w * c, -amp * w * w * s


def smoothstep(t: np.ndarray, t0: float, ramp_s: float) -> tuple:
    """0 before t0, 1 after t0 + ramp_s, a C2 quintic in between (no jerk spikes)."""
    u = np.clip((t - t0) / ramp_s, 0.0, 1.0)
    inside = (t > t0) & (t < t0 + ramp_s)
    v = u**3 * (10 - 15 * u + 6 * u * u)
    d1 = np.where(inside, 30 * u * u * (1 - u) ** 2 / ramp_s, 0.0)
    d2 = np.where(inside, 60 * u * (1 - u) * (1 - 2 * u) / ramp_s**2, 0.0)
    return v, d1, d2


def product(a: tuple, b: tuple) -> tuple:
    return a[0] * b[0], a[1] * b[0] + a[0] * b[1], a[2] * b[0] + 2 * a[1] * b[1] + a[0] * b[2]


def pulse_train(t: np.ndarray, t0: float, duration_s: float, amp: float, cycles: int) -> tuple:
    """``cycles`` smooth excursions 0 -> amp -> 0 (a nod: down and back), zero outside."""
    k = math.pi * cycles / duration_s
    tau = t - t0
    inside = (tau >= 0) & (tau <= duration_s)
    # sin^4 keeps value, rate and angular acceleration continuous at both ends.
    s, c = np.sin(k * tau), np.cos(k * tau)
    v = amp * s**4
    d1 = amp * 4 * k * s**3 * c
    d2 = amp * 4 * k * k * (3 * s * s * c * c - s**4)
    return tuple(np.where(inside, x, 0.0) for x in (v, d1, d2))


def windowed_oscillation(t: np.ndarray, t0: float, duration_s: float, amp: float, cycles: float) -> tuple:
    """amp * sin(2 pi cycles tau / D) under a sin^2 window (a shake: left, right, left...)."""
    tau = t - t0
    inside = (tau >= 0) & (tau <= duration_s)
    window = product(sinusoid(tau, 1.0, 0.5 / duration_s, 0.0), sinusoid(tau, 1.0, 0.5 / duration_s, 0.0))
    osc = sinusoid(tau, amp, cycles / duration_s, 0.0)
    return tuple(np.where(inside, x, 0.0) for x in product(window, osc))


def _add(acc: list, term: tuple) -> None:
    for i in range(3):
        acc[i] = acc[i] + term[i]


# --- the wearer's motion plan ------------------------------------------------------


@dataclass(frozen=True)
class Gesture:
    """One nod or shake: when, how long, how far, how many swings."""

    kind: str  # "nod" | "shake"
    start_s: float
    duration_s: float
    amplitude_rad: float
    cycles: float

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


@dataclass(frozen=True)
class Glance:
    """A look to one side and back while walking (a natural confounder for shake)."""

    start_s: float
    duration_s: float
    amplitude_rad: float


def make_gesture(kind: str, at_s: float, seed: int, index: int) -> Gesture:
    """A natural-looking nod or shake whose shape varies with (seed, index)."""
    rng = np.random.default_rng([seed, 0x6E6F64, index])
    if kind == "nod":
        cycles = int(rng.integers(1, 3))  # one or two down-up nods
        per_cycle = rng.uniform(0.45, 0.65)
        return Gesture("nod", at_s, cycles * per_cycle, math.radians(rng.uniform(10.0, 20.0)), cycles)
    if kind == "shake":
        cycles = float(rng.choice([1.5, 2.0, 2.5]))  # left-right swings
        per_cycle = rng.uniform(0.4, 0.55)
        return Gesture("shake", at_s, cycles * per_cycle, math.radians(rng.uniform(15.0, 28.0)), cycles)
    raise ValueError(f"unknown head gesture {kind!r} (nod or shake)")


@dataclass
class MotionPlan:
    """What the head does over time: still/walk segments and gestures."""

    seed: int = 0
    modes: list[tuple[float, str]] = field(default_factory=lambda: [(0.0, "still")])
    gestures: list[Gesture] = field(default_factory=list)
    glances: bool = True  # occasional looks to the side while walking
    step_hz: float = 1.9  # walking cadence (steps per second)

    def add_mode(self, at_s: float, mode: str) -> None:
        if mode not in ("still", "walk"):
            raise ValueError(f"unknown motion {mode!r} (still or walk)")
        self.modes.append((at_s, mode))
        self.modes.sort(key=lambda m: m[0])

    def add_gesture(self, kind: str, at_s: float) -> Gesture:
        g = make_gesture(kind, at_s, self.seed, len(self.gestures))
        self.gestures.append(g)
        return g

    def walk_segments(self, horizon_s: float = 1e9) -> list[tuple[float, float]]:
        """(start, end) of each walking segment."""
        out, start = [], None
        for at, mode in self.modes:
            if mode == "walk" and start is None:
                start = at
            elif mode == "still" and start is not None:
                out.append((start, at))
                start = None
        if start is not None:
            out.append((start, horizon_s))
        return out

    def glances_in(self, start_s: float, end_s: float) -> list[Glance]:
        if not self.glances:
            return []
        rng = np.random.default_rng([self.seed, 0x676C, int(start_s * 1000)])
        out, t = [], start_s + rng.uniform(3.0, 6.0)
        while t + 2.0 < min(end_s, start_s + 3600.0):
            out.append(Glance(t, rng.uniform(1.2, 1.8), math.radians(rng.uniform(20, 40)) * rng.choice([-1, 1])))
            t += rng.uniform(5.0, 10.0)
        return out


class HeadTrajectory:
    """Analytic head orientation and IMU position of a MotionPlan."""

    RAMP_S = 1.0  # still <-> walk blend time

    def __init__(self, plan: MotionPlan):
        self.plan = plan
        rng = np.random.default_rng([plan.seed, 0x77616C6B])
        self.phases = rng.uniform(0, 2 * math.pi, size=12)
        self._segments = plan.walk_segments()
        # A glance never overlaps a gesture: the wearer does one thing at a time.
        self._glances = [
            g
            for s, e in self._segments
            for g in plan.glances_in(s, e)
            if all(g.start_s + g.duration_s + 1.0 < n.start_s or g.start_s > n.end_s + 1.0 for n in plan.gestures)
        ]

    def _walk_envelope(self, t: np.ndarray) -> tuple:
        env = list(_zeros(t))
        for start, end in self._segments:
            on = smoothstep(t, start, self.RAMP_S)
            off = smoothstep(t, end, self.RAMP_S) if end < 1e8 else _zeros(t)
            _add(env, tuple(a - b for a, b in zip(on, off, strict=True)))
        return tuple(env)

    def angles(self, t: np.ndarray) -> tuple[tuple, tuple, tuple]:
        """(roll, pitch, yaw), each (value, rate, acceleration) in rad, rad/s, rad/s^2."""
        p, f = self.phases, self.plan.step_hz
        # Standing still: slow postural sway of a fraction of a degree.
        roll = list(sinusoid(t, 0.004, 0.23, p[0]))
        pitch = list(sinusoid(t, 0.006, 0.17, p[1]))
        yaw = list(sinusoid(t, 0.008, 0.11, p[2]))
        env = self._walk_envelope(t)
        if np.any(env[0]):
            # Walking: pitch bobs once per step, roll and yaw sway once per stride.
            _add(pitch, product(env, sinusoid(t, math.radians(2.0), f, p[3])))
            _add(roll, product(env, sinusoid(t, math.radians(1.5), f / 2, p[4])))
            _add(yaw, product(env, sinusoid(t, math.radians(2.5), f / 2, p[5])))
        for g in self._glances:
            # Out, hold, back: one smooth excursion whose flat top is the hold.
            _add(yaw, pulse_train(t, g.start_s, g.duration_s, g.amplitude_rad, 1))
        for g in self.plan.gestures:
            if g.kind == "nod":
                _add(pitch, pulse_train(t, g.start_s, g.duration_s, g.amplitude_rad, int(g.cycles)))
            else:
                _add(yaw, windowed_oscillation(t, g.start_s, g.duration_s, g.amplitude_rad, g.cycles))
        return tuple(roll), tuple(pitch), tuple(yaw)

    def pivot_acceleration(self, t: np.ndarray) -> np.ndarray:
        """World-frame acceleration of the neck pivot (n, 3): walking bob and sway."""
        env = self._walk_envelope(t)
        p, f = self.phases, self.plan.step_hz
        acc = np.zeros((len(t), 3))
        if np.any(env[0]):
            acc[:, 0] = product(env, sinusoid(t, 0.012, f, p[6]))[2]  # surge per step
            acc[:, 1] = product(env, sinusoid(t, 0.02, f / 2, p[7]))[2]  # lateral sway per stride
            acc[:, 2] = product(env, sinusoid(t, 0.025, f, p[8]))[2]  # vertical bob per step
        return acc

    def sample(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """True (quaternion wxyz head->world, gyro rad/s, specific force m/s^2) at times t."""
        t = np.asarray(t, dtype=float)
        (phi, dphi, ddphi), (th, dth, ddth), (psi, dpsi, ddpsi) = self.angles(t)
        sf, cf, st, ct = np.sin(phi), np.cos(phi), np.sin(th), np.cos(th)
        # Body rates from ZYX Euler rates, and their time derivative.
        w = np.stack([dphi - dpsi * st, dth * cf + dpsi * ct * sf, -dth * sf + dpsi * ct * cf], axis=1)
        alpha = np.stack(
            [
                ddphi - ddpsi * st - dpsi * dth * ct,
                ddth * cf - dth * dphi * sf + ddpsi * ct * sf - dpsi * dth * st * sf + dpsi * dphi * ct * cf,
                -ddth * sf - dth * dphi * cf + ddpsi * ct * cf - dpsi * dth * st * cf - dpsi * dphi * ct * sf,
            ],
            axis=1,
        )
        rot = euler_to_matrix(phi, th, psi)  # (n, 3, 3) head -> world
        a_world = self.pivot_acceleration(t)
        a_world[:, 2] += GRAVITY
        specific = np.einsum("nji,nj->ni", rot, a_world)  # R^T (a + g)
        r = LEVER_ARM_M
        specific += np.cross(alpha, r) + np.cross(w, np.cross(w, r))
        return euler_to_quaternion(phi, th, psi), w, specific


def euler_to_matrix(roll, pitch, yaw) -> np.ndarray:
    """ZYX Euler angles (arrays) -> rotation matrices (n, 3, 3), body -> world."""
    cr, sr, cp, sp, cy, sy = np.cos(roll), np.sin(roll), np.cos(pitch), np.sin(pitch), np.cos(yaw), np.sin(yaw)
    return np.stack(
        [
            np.stack([cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr], axis=-1),
            np.stack([sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr], axis=-1),
            np.stack([-sp, cp * sr, cp * cr], axis=-1),
        ],
        axis=-2,
    )


def euler_to_quaternion(roll, pitch, yaw) -> np.ndarray:
    """ZYX Euler angles -> unit quaternions (n, 4) as w, x, y, z."""
    cr, sr = np.cos(roll / 2), np.sin(roll / 2)
    cp, sp = np.cos(pitch / 2), np.sin(pitch / 2)
    cy, sy = np.cos(yaw / 2), np.sin(yaw / 2)
    return np.stack(
        [
            cr * cp * cy + sr * sp * sy,
            sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy,
            cr * cp * sy - sr * sp * cy,
        ],
        axis=-1,
    )


@dataclass(frozen=True)
class SensorModel:
    """Consumer MEMS IMU errors: white noise per sample and a turn-on bias per axis."""

    gyro_noise_std: float = 0.003  # rad/s per sample
    accel_noise_std: float = 0.02  # m/s^2 per sample
    gyro_bias_std: float = 0.008  # rad/s, drawn once per run (about 0.5 deg/s)
    accel_bias_std: float = 0.05  # m/s^2, drawn once per run


class SimulatedImu:
    """Samples k = 0, 1, 2... at ``rate_hz`` of a MotionPlan through a SensorModel.

    ``samples(k0, n)`` returns stamps (s from start), gyro and accel (n, 3) for
    sample indices k0..k0+n-1, plus the true orientation; the result depends only
    on the indices, never on how the requests were batched.
    """

    NOISE_BLOCK = 1024  # samples per noise block; noise for index k comes from block k // 1024

    def __init__(self, plan: MotionPlan, rate_hz: float = 100.0, sensor: SensorModel | None = None):
        if not (rate_hz > 0):
            raise ValueError("rate_hz must be positive")
        self.plan = plan
        self.rate_hz = float(rate_hz)
        self.sensor = sensor or SensorModel()
        self.trajectory = HeadTrajectory(plan)
        bias_rng = np.random.default_rng([plan.seed, 0x62696173])
        self.gyro_bias = bias_rng.normal(0.0, self.sensor.gyro_bias_std, 3)
        self.accel_bias = bias_rng.normal(0.0, self.sensor.accel_bias_std, 3)
        self._block_cache: tuple[int, np.ndarray] | None = None

    def _noise_block(self, block: int) -> np.ndarray:
        if self._block_cache is None or self._block_cache[0] != block:
            rng = np.random.default_rng([self.plan.seed, 0x6E6F6973, block])
            self._block_cache = (block, rng.standard_normal((self.NOISE_BLOCK, 6)))
        return self._block_cache[1]

    def noise(self, k0: int, n: int) -> np.ndarray:
        out = np.empty((n, 6))
        k, filled = k0, 0
        while filled < n:
            block, offset = divmod(k, self.NOISE_BLOCK)
            take = min(n - filled, self.NOISE_BLOCK - offset)
            out[filled : filled + take] = self._noise_block(block)[offset : offset + take]
            filled += take
            k += take
        return out

    def samples(self, k0: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(t_s, gyro rad/s, accel m/s^2, true quaternion wxyz) for sample indices k0..k0+n-1."""
        t = (k0 + np.arange(n)) / self.rate_hz
        quat, gyro, accel = self.trajectory.sample(t)
        noise = self.noise(k0, n)
        gyro = gyro + self.gyro_bias + noise[:, :3] * self.sensor.gyro_noise_std
        accel = accel + self.accel_bias + noise[:, 3:] * self.sensor.accel_noise_std
        return t, gyro, accel, quat
