"""Sensor readings that cannot be true are rejected, counted, and change no estimate."""

import math

import numpy as np
import pytest

from glasses_bringup.drivers.power.manager import BatteryManager, PackReading, ReadingError
from glasses_bringup.drivers.sensors.imu import OrientationEstimator, quaternion_to_euler
from glasses_bringup.foundation.health import Health


def reading(t, i=-0.05, temp=25.0, cap=0.28, v=3.9):
    return PackReading(slot="left", present=True, t=t, voltage_v=v, current_a=i, temperature_c=temp,
                       design_capacity_ah=cap, serial="A")


@pytest.mark.parametrize("bad, reason", [
    (dict(i=-1e6), "current_out_of_range"),
    (dict(i=1e6), "current_out_of_range"),
    (dict(temp=1e4), "temperature_out_of_range"),
    (dict(temp=-300.0), "temperature_out_of_range"),
    (dict(cap=1e9), "bad_capacity"),
    (dict(cap=1e-9), "bad_capacity"),
])
def test_one_absurd_gauge_reading_is_rejected_and_the_charge_survives(bad, reason):
    m = BatteryManager()
    m.ingest(reading(0.0))
    for t in range(1, 10):
        m.ingest(reading(float(t)))
    soc_before = m.slots["left"].soc
    assert 0.5 < soc_before < 0.9
    with pytest.raises(ReadingError) as err:
        m.ingest(reading(10.0, **bad))
    assert err.value.reason == reason
    health = Health()
    health.reject(err.value.reason, err.value.detail)  # what the node does with it
    assert health.status()[2][f"rejected.{reason}"] == "1"
    for t in range(11, 20):
        m.ingest(reading(float(t)))
    assert m.slots["left"].soc == pytest.approx(soc_before, abs=0.01)


def test_unmeasured_temperature_is_still_accepted():
    m = BatteryManager()
    m.ingest(reading(0.0, temp=math.nan))
    assert m.slots["left"].present


def test_a_huge_gyro_rate_is_rejected_and_does_not_flip_the_orientation():
    est = OrientationEstimator(rate_hz=100.0)
    level = np.array([0.0, 0.0, 9.80665])
    for k in range(50):
        est.update(k * 0.01, [0.0, 0.0, 0.0], level)
    before = np.degrees(quaternion_to_euler(est.q))
    assert est.update(0.5, [1e30, 0.0, 0.0], level) is None
    assert est.update(0.51, [0.0, 0.0, 0.0], [1e9, 0.0, 0.0]) is None
    assert est.rejected["gyro_out_of_range"] == 1 and est.rejected["accel_out_of_range"] == 1
    for k in range(52, 60):
        est.update(k * 0.01, [0.0, 0.0, 0.0], level)
    after = np.degrees(quaternion_to_euler(est.q))
    assert np.allclose(before, after, atol=1.0)
