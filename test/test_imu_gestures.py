"""Head gesture detector on simulated nods, shakes, walking and standing still."""

import math

import numpy as np
import pytest

from glasses_bringup.drivers.sim.motion import MotionPlan, SensorModel, SimulatedImu
from glasses_perception.gestures import GestureConfig, HeadGestureDetector, score


def simulate(seed, walking, kinds, count=12, spacing_s=6.0, duration_s=None, sensor=None):
    plan = MotionPlan(seed=seed)
    if walking:
        plan.add_mode(0.0, "walk")
    gestures = [plan.add_gesture(kinds[i % len(kinds)], 4.0 + i * spacing_s) for i in range(count)] if kinds else []
    duration_s = duration_s or 4.0 + count * spacing_s + 2.0
    t, gyro, _, _ = SimulatedImu(plan, 100.0, sensor).samples(0, int(duration_s * 100))
    truth = [(g.kind, g.start_s, g.end_s) for g in gestures]
    return t, gyro, truth


@pytest.mark.parametrize("walking", [False, True], ids=["still", "walking"])
@pytest.mark.parametrize("kinds", [["nod"], ["shake"], ["nod", "shake"]], ids=["nods", "shakes", "mixed"])
def test_detects_gestures_with_no_false_alarms(walking, kinds):
    hits = expected = false = wrong = 0
    for seed in (1, 2):
        t, gyro, truth = simulate(seed, walking, kinds)
        result = score(HeadGestureDetector().process(t, gyro), truth)
        hits, expected = hits + result.hits, expected + result.expected
        false, wrong = false + result.false_alarms, wrong + result.wrong_kind
    assert hits / expected >= 0.95
    assert false == 0 and wrong == 0


@pytest.mark.parametrize("walking", [False, True], ids=["still", "walking"])
def test_no_false_alarm_without_gestures(walking):
    # Walking includes glances to the side and back every 5-10 s.
    t, gyro, _ = simulate(4, walking, [], duration_s=240.0)
    assert HeadGestureDetector().process(t, gyro) == []


def test_detection_stamp_is_an_imu_sample_stamp_inside_the_gesture():
    t, gyro, truth = simulate(3, False, ["nod", "shake"], count=4)
    detections = HeadGestureDetector().process(t, gyro)
    assert [d.gesture for d in detections] == [k for k, _, _ in truth]
    for d, (_, start, end) in zip(detections, truth, strict=True):
        assert d.stamp in set(t.tolist())
        assert start < d.stamp <= end + 0.2
        assert start <= d.start_stamp < d.stamp
        assert 0.5 <= d.confidence <= 1.0


def test_batching_does_not_change_the_result():
    t, gyro, _ = simulate(5, True, ["nod", "shake"], count=6)
    whole = HeadGestureDetector().process(t, gyro)
    detector = HeadGestureDetector()
    chunked = []
    for k in range(0, len(t), 7):
        chunked += detector.process(t[k : k + 7], gyro[k : k + 7])
    assert whole == chunked and len(whole) == 6


def test_bad_samples_are_skipped_not_fatal():
    t, gyro, truth = simulate(6, False, ["nod"], count=2)
    gyro = gyro.copy()
    gyro[50] = [math.nan, 0, 0]
    gyro[51] = [0, math.inf, 0]
    t = t.copy()
    t[60] = t[59]  # repeated stamp
    detector = HeadGestureDetector()
    result = score(detector.process(t, gyro), truth)
    assert detector.rejected == 3
    assert result.hits == 2


def test_a_slow_deliberate_turn_or_look_down_is_not_a_gesture():
    # Turn the head 60 degrees left over 1.5 s and back: long, smooth lobes.
    t = np.arange(0, 8, 0.01)
    rate = np.where((t > 1) & (t < 2.5), 0.7, 0.0) + np.where((t > 3) & (t < 4.5), -0.7, 0.0)
    gyro = np.zeros((len(t), 3))
    gyro[:, 2] = rate
    gyro[:, 1] = np.roll(rate, 300)  # then look down at the floor and back up
    assert HeadGestureDetector().process(t, gyro) == []


def test_stronger_sensor_bias_and_noise_still_work():
    sensor = SensorModel(gyro_noise_std=0.01, accel_noise_std=0.05, gyro_bias_std=0.04, accel_bias_std=0.2)
    t, gyro, truth = simulate(7, False, ["nod", "shake"], count=8, sensor=sensor)
    result = score(HeadGestureDetector().process(t, gyro), truth)
    assert result.hits >= 7 and result.false_alarms == 0


def test_thresholds_are_respected():
    t, gyro, truth = simulate(8, False, ["nod"], count=6)
    strict = GestureConfig(nod_threshold_rad_s=5.0)
    assert HeadGestureDetector(strict).process(t, gyro) == []
    result = score(HeadGestureDetector().process(t, gyro), truth)
    assert result.hits == 6


def test_one_long_shake_is_reported_once():
    plan = MotionPlan(seed=9)
    g = plan.add_gesture("shake", 1.0)
    t, gyro, _, _ = SimulatedImu(plan, 100.0).samples(0, 500)
    detections = HeadGestureDetector().process(t, gyro)
    assert len(detections) == 1 and g.cycles >= 1.5


def test_a_tilted_imu_mount_is_rotated_into_the_head_frame():
    # The IMU sits in the temple rotated 90 deg about z and tilted 20 deg: head rates show up on other axes.
    from glasses_perception.gestures import rotation_matrix

    mount = (0.0, math.radians(20), math.radians(90))
    t, gyro_head, truth = simulate(10, False, ["nod", "shake"], count=6)
    gyro_imu = gyro_head @ rotation_matrix(*mount)  # row-vector form of R^T w: head -> imu_link
    assert score(HeadGestureDetector().process(t, gyro_imu), truth).hits < 6
    result = score(HeadGestureDetector(imu_to_head_rpy_rad=mount).process(t, gyro_imu), truth)
    assert result.hits == 6 and result.false_alarms == 0
