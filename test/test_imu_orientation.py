"""Orientation estimator (ahrs Madgwick / Mahony) against the simulated head's true attitude."""

import math

import numpy as np
import pytest

from glasses_bringup.drivers.sensors.imu import OrientationEstimator, quaternion_to_euler
from glasses_bringup.drivers.sim.motion import GRAVITY, MotionPlan, SimulatedImu


def attitude_errors_deg(algorithm, walking, seconds=30.0):
    plan = MotionPlan(seed=3)
    if walking:
        plan.add_mode(0.0, "walk")
    for i in range(3):
        plan.add_gesture("nod" if i % 2 == 0 else "shake", 4.0 + 8 * i)
    t, gyro, accel, truth = SimulatedImu(plan, 100.0).samples(0, int(seconds * 100))
    est = OrientationEstimator(algorithm)
    estimates = [est.update(t[i], gyro[i], accel[i]) for i in range(len(t))]
    got = np.array([quaternion_to_euler(q) for q in estimates])
    want = np.array([quaternion_to_euler(q) for q in truth])
    return np.degrees(np.abs(got - want))


@pytest.mark.parametrize(("algorithm", "limit_deg"), [("madgwick", 1.5), ("mahony", 4.0)])
def test_roll_and_pitch_follow_the_true_attitude_while_walking(algorithm, limit_deg):
    err = attitude_errors_deg(algorithm, walking=True)
    rms = np.sqrt((err[:, :2] ** 2).mean(axis=0))
    assert np.all(rms < limit_deg), rms
    assert err[:, :2].max() < 3 * limit_deg


def test_first_sample_initialises_roll_and_pitch_from_gravity():
    pitch = math.radians(25)
    accel = (-GRAVITY * math.sin(pitch), 0.0, GRAVITY * math.cos(pitch))
    est = OrientationEstimator("madgwick")
    roll_e, pitch_e, yaw_e = quaternion_to_euler(est.update(0.0, (0.001, 0, 0), accel))
    assert pitch_e == pytest.approx(pitch, abs=1e-6)  # REP-103: +pitch = nose down
    assert roll_e == pytest.approx(0.0, abs=1e-6) and yaw_e == pytest.approx(0.0, abs=1e-6)


def test_yaw_integrates_the_gyro():
    est = OrientationEstimator("madgwick")
    q = None
    for k in range(101):  # 1 s at 0.5 rad/s about z (turning left)
        q = est.update(k * 0.01, (0.0, 0.0, 0.5), (0.0, 0.0, GRAVITY))
    assert quaternion_to_euler(q)[2] == pytest.approx(0.5, abs=0.01)


def test_bad_samples_do_not_corrupt_the_state():
    est = OrientationEstimator("mahony")
    q0 = est.update(0.0, (0.01, 0, 0), (0, 0, GRAVITY))
    assert est.update(0.01, (math.nan, 0, 0), (0, 0, GRAVITY)) is None
    assert est.update(0.0, (0.01, 0, 0), (0, 0, GRAVITY)) is None  # stamp did not advance
    assert est.rejected == {"not_finite": 1, "stamp_not_increasing": 1}
    q1 = est.update(0.02, (0.01, 0, 0), (0, 0, GRAVITY))
    assert np.all(np.isfinite(q1)) and np.allclose(q1, q0, atol=1e-3)


def test_a_long_gap_restarts_from_gravity_and_zero_acceleration_waits():
    est = OrientationEstimator("madgwick", max_gap_s=0.5)
    assert est.update(0.0, (0, 0, 0.1), (0, 0, 0)) is None  # no gravity reference yet
    est.update(0.01, (0, 0, 0.1), (0, 0, GRAVITY))
    est.update(5.0, (0, 0, 0.1), (0, GRAVITY, 0))  # 5 s later, head on the right shoulder
    assert est.resets == 1
    roll, _, _ = quaternion_to_euler(est.q)
    assert roll == pytest.approx(math.pi / 2, abs=1e-3)  # left ear up: +roll about x


def test_unknown_algorithm_is_refused():
    with pytest.raises(ValueError):
        OrientationEstimator("kalman")
