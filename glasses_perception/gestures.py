"""Head gestures from the gyro: nod ("yes") and shake ("no"), pure Python, no rclpy.

A nod is alternating pitch-rate lobes (nose down first, then back up), a shake is
alternating yaw-rate lobes (left, right, left...). The detector

1. removes a slowly tracked gyro bias (updated only while the head is quiet),
2. low-pass filters the rates (first order, ``smoothing_hz``),
3. cuts each axis into lobes: a run of one sign above ``lobe_on_rad_s``, ended
   when the rate falls below ``lobe_off_rad_s`` or changes sign,
4. chains alternating lobes that follow each other within ``max_lobe_gap_s``;
   a lobe that is too weak, too long (a slow turn), or not dominant over the
   other axes breaks the chain,
5. reports a gesture when a chain reaches ``nod_lobes`` (pitch) or
   ``shake_lobes`` (yaw) lobes, then stays quiet for ``refractory_s``.

A single look to the side and back is two yaw lobes, so it is not a shake
(three needed); walking bobs the head at well under the lobe thresholds.

Axes follow REP-103 in the head frame (x forward, y left, z up): pitch rate is
gyro y (positive = nose going down), yaw rate is gyro z.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

PITCH, YAW = 1, 2  # gyro axes


@dataclass(frozen=True)
class GestureConfig:
    nod_threshold_rad_s: float = 0.6  # every nod lobe must peak above this pitch rate
    shake_threshold_rad_s: float = 0.8  # every shake lobe must peak above this yaw rate
    lobe_on_rad_s: float = 0.3  # a lobe starts above this rate
    lobe_off_rad_s: float = 0.12  # and ends below this one (hysteresis)
    min_lobe_s: float = 0.06
    max_lobe_s: float = 0.55  # longer: a deliberate turn or look, not a gesture swing
    max_lobe_gap_s: float = 0.25
    nod_lobes: int = 2  # down + up
    shake_lobes: int = 3  # left + right + left (or the mirror)
    nod_down_first: bool = True  # a nod starts with the nose going down
    dominance: float = 1.8  # gesture-axis peak / largest other-axis rate during the lobe
    refractory_s: float = 1.0
    smoothing_hz: float = 8.0
    bias_tau_s: float = 5.0
    quiet_rad_s: float = 0.08  # bias is tracked only while every axis is below this

    def threshold(self, axis: int) -> float:
        return self.nod_threshold_rad_s if axis == PITCH else self.shake_threshold_rad_s

    def lobes_needed(self, axis: int) -> int:
        return self.nod_lobes if axis == PITCH else self.shake_lobes


def rotation_matrix(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """ZYX (yaw, pitch, roll) rotation taking vectors from the IMU frame into the head frame."""
    cr, sr, cp, sp, cy, sy = (
        math.cos(roll),
        math.sin(roll),
        math.cos(pitch),
        math.sin(pitch),
        math.cos(yaw),
        math.sin(yaw),
    )
    return np.array(
        [
            [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
            [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
            [-sp, cp * sr, cp * cr],
        ]
    )


@dataclass(frozen=True)
class Detection:
    """A recognised gesture. ``stamp`` is the IMU sample at which it was recognised."""

    gesture: str  # "nod" | "shake"
    stamp: float
    start_stamp: float  # first sample of the first lobe
    confidence: float  # 0.5 at the thresholds, 1.0 well above them
    peak_rad_s: float  # weakest lobe peak of the chain
    lobes: int


@dataclass
class _Lobe:
    sign: int
    start: float
    end: float
    peak: float = 0.0
    other_peak: float = 0.0

    @property
    def dominance(self) -> float:
        return self.peak / max(self.other_peak, 1e-6)


@dataclass
class _AxisTracker:
    axis: int
    lobe: _Lobe | None = None
    chain: list[_Lobe] = field(default_factory=list)
    consumed: bool = False  # the chain already produced a detection


class HeadGestureDetector:
    """Feed gyro samples (stamps in s, rates in rad/s); collect Detection objects."""

    def __init__(self, config: GestureConfig | None = None, imu_to_head_rpy_rad=(0.0, 0.0, 0.0)):
        self.config = config or GestureConfig()
        # Rates arrive in imu_link; the swings are defined in the head frame.
        self.imu_to_head = None if not any(imu_to_head_rpy_rad) else rotation_matrix(*imu_to_head_rpy_rad)
        self.bias = np.zeros(3)
        self.smoothed = np.zeros(3)
        self.last_stamp: float | None = None
        self.quiet_until = -math.inf
        self.trackers = {PITCH: _AxisTracker(PITCH), YAW: _AxisTracker(YAW)}
        self.samples = 0
        self.rejected = 0

    def reset(self) -> None:
        self.smoothed[:] = 0.0
        self.last_stamp = None
        for tracker in self.trackers.values():
            tracker.lobe, tracker.chain, tracker.consumed = None, [], False

    def process(self, stamps, gyro) -> list[Detection]:
        """Process a batch: stamps (n,), gyro (n, 3). Non-finite or out-of-order samples are skipped."""
        stamps = np.asarray(stamps, dtype=float).reshape(-1)
        gyro = np.asarray(gyro, dtype=float).reshape(-1, 3)
        out: list[Detection] = []
        for t, w in zip(stamps.tolist(), gyro.tolist(), strict=True):
            detection = self.update(t, w)
            if detection is not None:
                out.append(detection)
        return out

    def update(self, t: float, w) -> Detection | None:
        cfg = self.config
        if not (math.isfinite(t) and all(math.isfinite(v) for v in w)):
            self.rejected += 1
            return None
        if self.last_stamp is not None:
            dt = t - self.last_stamp
            if dt <= 0:
                self.rejected += 1
                return None
            if dt > 0.5:  # a gap in the stream: start over rather than bridge it
                self.reset()
                dt = 0.0
        else:
            dt = 0.0
        self.last_stamp = t
        self.samples += 1
        raw = np.asarray(w, dtype=float)
        if self.imu_to_head is not None:
            raw = self.imu_to_head @ raw
        raw = raw - self.bias
        if dt > 0:
            a = 1.0 - math.exp(-2.0 * math.pi * cfg.smoothing_hz * dt)
            self.smoothed += a * (raw - self.smoothed)
            if np.all(np.abs(raw) < cfg.quiet_rad_s):
                self.bias += (dt / cfg.bias_tau_s) * raw
        else:
            self.smoothed[:] = raw
        rates = self.smoothed
        found = None
        for axis, tracker in self.trackers.items():
            other = max(abs(rates[i]) for i in range(3) if i != axis)
            detection = self._track(tracker, t, float(rates[axis]), float(other))
            if detection is not None and found is None:
                found = detection
        if found is not None:
            self.quiet_until = t + cfg.refractory_s
            for tracker in self.trackers.values():
                tracker.consumed = True  # the rest of this motion is part of the same gesture
        return found

    def _track(self, tr: _AxisTracker, t: float, rate: float, other: float) -> Detection | None:
        cfg = self.config
        lobe = tr.lobe
        if lobe is not None:
            if rate * lobe.sign > cfg.lobe_off_rad_s:
                lobe.end = t
                lobe.peak = max(lobe.peak, abs(rate))
                lobe.other_peak = max(lobe.other_peak, other)
                if lobe.end - lobe.start > cfg.max_lobe_s:
                    tr.chain, tr.consumed = [], False
                return None
            tr.lobe = None
            return self._close(tr, lobe, t)
        # Chains end when no new lobe follows in time.
        if tr.chain and t - tr.chain[-1].end > cfg.max_lobe_gap_s:
            tr.chain, tr.consumed = [], False
        if abs(rate) > cfg.lobe_on_rad_s:
            tr.lobe = _Lobe(1 if rate > 0 else -1, t, t, abs(rate), other)
        return None

    def _close(self, tr: _AxisTracker, lobe: _Lobe, t: float) -> Detection | None:
        cfg = self.config
        duration = lobe.end - lobe.start
        good = (
            cfg.min_lobe_s <= duration <= cfg.max_lobe_s
            and lobe.peak >= cfg.threshold(tr.axis)
            and lobe.dominance >= cfg.dominance
        )
        if not good:
            tr.chain, tr.consumed = [], False
            return None
        if tr.chain and (tr.chain[-1].sign == lobe.sign or lobe.start - tr.chain[-1].end > cfg.max_lobe_gap_s):
            tr.chain, tr.consumed = [], False
        if not tr.chain:
            if tr.axis == PITCH and cfg.nod_down_first and lobe.sign < 0:
                return None  # an upward flick on its own does not start a nod
            tr.consumed = False  # a fresh chain: a new gesture may begin
        tr.chain.append(lobe)
        if tr.consumed or len(tr.chain) < cfg.lobes_needed(tr.axis) or t < self.quiet_until:
            return None
        chain = tr.chain
        weakest = min(lb.peak for lb in chain)
        dominance = min(lb.dominance for lb in chain)
        threshold = cfg.threshold(tr.axis)
        amp_score = min(1.0, max(0.0, (weakest - threshold) / threshold))
        dom_score = min(1.0, max(0.0, (dominance - cfg.dominance) / cfg.dominance))
        return Detection(
            gesture="nod" if tr.axis == PITCH else "shake",
            stamp=t,
            start_stamp=chain[0].start,
            confidence=round(0.5 + 0.25 * amp_score + 0.25 * dom_score, 3),
            peak_rad_s=weakest,
            lobes=len(chain),
        )


@dataclass(frozen=True)
class Score:
    """Detections matched against known gestures (simulated or labelled recordings)."""

    expected: int
    hits: int
    wrong_kind: int
    false_alarms: int
    from_start_s: tuple[float, ...]  # detection stamp - gesture start, per hit
    from_end_s: tuple[float, ...]  # detection stamp - gesture end (negative: before the head came to rest)

    @property
    def detection_rate(self) -> float:
        return self.hits / self.expected if self.expected else float("nan")


def score(detections: list[Detection], truth: list[tuple[str, float, float]], slack_s: float = 0.5) -> Score:
    """Match detections to ``truth`` = [(kind, start_s, end_s)]; one detection per gesture.

    A detection inside [start - 0.2 s, end + slack_s] of a gesture of the same
    kind is a hit; of another kind, a wrong kind; outside every gesture (or a
    second one on the same gesture), a false alarm.
    """
    hits = wrong = false = 0
    used: set[int] = set()
    from_start: list[float] = []
    from_end: list[float] = []
    for d in detections:
        match = next(
            (i for i, (_, start, end) in enumerate(truth) if start - 0.2 <= d.stamp <= end + slack_s and i not in used),
            None,
        )
        if match is None:
            false += 1
            continue
        used.add(match)
        kind, start, end = truth[match]
        if kind == d.gesture:
            hits += 1
            from_start.append(d.stamp - start)
            from_end.append(d.stamp - end)
        else:
            wrong += 1
    return Score(len(truth), hits, wrong, false, tuple(from_start), tuple(from_end))
