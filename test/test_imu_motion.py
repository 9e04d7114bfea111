"""Simulated head motion: physics consistency, REP-103 signs, determinism, noise and bias."""

import math

import numpy as np
import pytest

from glasses_bringup.drivers.sim.motion import (
    GRAVITY,
    LEVER_ARM_M,
    HeadTrajectory,
    MotionPlan,
    SensorModel,
    SimulatedImu,
    euler_to_matrix,
    make_gesture,
    product,
    sinusoid,
)


def quat_mul(a, b):
    w1, x1, y1, z1 = a.T
    w2, x2, y2, z2 = b.T
    return np.stack(
        [
            w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
            w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
            w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
            w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
        ],
        axis=1,
    )


def busy_plan(seed=3):
    plan = MotionPlan(seed=seed)
    plan.add_mode(4.0, "walk")
    plan.add_gesture("nod", 1.5)
    plan.add_gesture("shake", 8.0)
    plan.add_gesture("nod", 12.0)
    plan.add_mode(16.0, "still")
    return plan


def test_still_head_reads_gravity_up_and_no_rotation():
    traj = HeadTrajectory(MotionPlan(seed=1))
    _, gyro, accel = traj.sample(np.linspace(0, 10, 500))
    assert np.allclose(accel.mean(axis=0), [0, 0, GRAVITY], atol=0.05)
    assert np.abs(gyro).max() < 0.05


def test_gyro_is_the_derivative_of_the_orientation():
    t = np.arange(0.0, 20.0, 0.001)
    quat, gyro, _ = HeadTrajectory(busy_plan()).sample(t)
    dq = np.gradient(quat, t, axis=0)
    body_rate = 2 * quat_mul(quat * [1, -1, -1, -1], dq)[:, 1:]
    assert np.abs(body_rate - gyro)[5:-5].max() < 1e-3
    assert np.abs(gyro).max() > 1.0  # the gestures are in there


def test_specific_force_is_the_second_derivative_of_the_imu_position_plus_gravity():
    plan = busy_plan()
    traj = HeadTrajectory(plan)
    t = np.arange(0.0, 20.0, 0.001)
    _, _, accel = traj.sample(t)
    (roll, _, _), (pitch, _, _), (yaw, _, _) = traj.angles(t)
    rot = euler_to_matrix(roll, pitch, yaw)
    env, p, f = traj._walk_envelope(t), traj.phases, plan.step_hz
    pivot = np.stack(
        [
            product(env, sinusoid(t, 0.012, f, p[6]))[0],
            product(env, sinusoid(t, 0.02, f / 2, p[7]))[0],
            product(env, sinusoid(t, 0.025, f, p[8]))[0],
        ],
        axis=1,
    )
    position = pivot + rot @ LEVER_ARM_M
    a_world = np.gradient(np.gradient(position, t, axis=0), t, axis=0)
    a_world[:, 2] += GRAVITY
    expected = np.einsum("nji,nj->ni", rot, a_world)
    assert np.abs(expected - accel)[10:-10].max() < 0.02


def test_nod_is_nose_down_first_and_shake_is_about_z():
    plan = MotionPlan(seed=5)
    nod = plan.add_gesture("nod", 1.0)
    shake = plan.add_gesture("shake", 4.0)
    traj = HeadTrajectory(plan)
    t = np.arange(0.0, 7.0, 0.005)
    _, gyro, accel = traj.sample(t)
    in_nod = (t > nod.start_s) & (t < nod.end_s)
    in_shake = (t > shake.start_s) & (t < shake.end_s)
    first_fast = np.argmax(np.abs(gyro[:, 1]) > 0.3)
    assert gyro[first_fast, 1] > 0  # REP-103: +pitch = nose down
    assert np.abs(gyro[in_nod, 1]).max() > 3 * np.abs(gyro[in_nod][:, [0, 2]]).max()
    assert np.abs(gyro[in_shake, 2]).max() > 3 * np.abs(gyro[in_shake][:, [0, 1]]).max()
    # Nose down tilts the forward axis towards the floor: specific force on x turns negative.
    assert accel[in_nod, 0].min() < -1.0


def test_gestures_vary_with_index_but_are_reproducible():
    a, b = make_gesture("nod", 1.0, seed=7, index=0), make_gesture("nod", 1.0, seed=7, index=1)
    assert a != b
    assert a == make_gesture("nod", 1.0, seed=7, index=0)
    for i in range(30):
        g = make_gesture("shake", 0.0, seed=i, index=i)
        assert math.radians(15) <= g.amplitude_rad <= math.radians(28)
    with pytest.raises(ValueError):
        make_gesture("wink", 0.0, 0, 0)
    with pytest.raises(ValueError):
        MotionPlan().add_mode(1.0, "run")


def test_samples_do_not_depend_on_batching():
    imu_a, imu_b = SimulatedImu(busy_plan(9), 100.0), SimulatedImu(busy_plan(9), 100.0)
    t, g, a, _ = imu_a.samples(0, 3000)
    parts = [imu_b.samples(k, n) for k, n in ((0, 1), (1, 7), (8, 1100), (1108, 1892))]
    assert np.array_equal(np.concatenate([p[1] for p in parts]), g)
    assert np.array_equal(np.concatenate([p[2] for p in parts]), a)
    assert np.allclose(np.concatenate([p[0] for p in parts]), t)


def test_seed_changes_noise_and_bias():
    g1 = SimulatedImu(MotionPlan(seed=1), 100.0).samples(0, 200)[1]
    g2 = SimulatedImu(MotionPlan(seed=2), 100.0).samples(0, 200)[1]
    assert not np.allclose(g1, g2)


def test_noise_and_bias_follow_the_sensor_model():
    sensor = SensorModel(gyro_noise_std=0.01, accel_noise_std=0.05, gyro_bias_std=0.02, accel_bias_std=0.1)
    imu = SimulatedImu(MotionPlan(seed=4), 200.0, sensor)
    _, gyro, accel, _ = imu.samples(0, 20000)
    clean = HeadTrajectory(MotionPlan(seed=4)).sample(np.arange(20000) / 200.0)
    gyro_err, accel_err = gyro - clean[1], accel - clean[2]
    assert np.allclose(gyro_err.mean(axis=0), imu.gyro_bias, atol=0.001)
    assert np.allclose(accel_err.mean(axis=0), imu.accel_bias, atol=0.003)
    assert np.allclose(gyro_err.std(axis=0), 0.01, rtol=0.05)
    assert np.allclose(accel_err.std(axis=0), 0.05, rtol=0.05)


def test_walking_bobs_the_head_and_glances_never_overlap_gestures():
    plan = MotionPlan(seed=2)
    plan.add_mode(0.0, "walk")
    gestures = [plan.add_gesture("shake", 10.0 + 7 * i) for i in range(8)]
    traj = HeadTrajectory(plan)
    assert traj._glances, "walking includes glances to the side"
    for glance in traj._glances:
        for g in gestures:
            assert glance.start_s + glance.duration_s < g.start_s or glance.start_s > g.end_s
    t = np.arange(0, 8, 0.01)
    _, _, accel = traj.sample(t)
    assert accel[:, 2].std() > 1.0  # vertical bob of each step
