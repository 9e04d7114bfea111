"""IMU, orientation filter and head gesture nodes with real rclpy (the `ros` fixture)."""

import math
import time
from pathlib import Path

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.parameter import Parameter
from sensor_msgs.msg import Imu

from glasses_bringup.drivers.nodes.imu_node import ImuNode
from glasses_bringup.drivers.nodes.orientation_node import OrientationFilterNode
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation import interfaces
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.msgs import to_sec
from glasses_bringup.foundation.testing import wait_for
from glasses_perception.nodes.head_gesture_node import HeadGestureNode

SCENARIO = Path(__file__).parent / "fixtures" / "imu" / "nod_shake_walk.yaml"
DEEP_SENSOR = gq.profile(interfaces.SENSOR, depth=500)


def params(**values):
    return [Parameter(k, value=v) for k, v in values.items()]


def diagnostics_of(msgs, node_name):
    for arr in reversed(msgs):
        for status in arr.status:
            if status.name.endswith(node_name):
                return {kv.key: kv.value for kv in status.values}
    return {}


def test_sim_imu_to_orientation_and_gestures(ros):
    start = time.time() + 0.5
    sim = params(source="sim", scenario=str(SCENARIO), scenario_start=start)
    raw = ros.collect("imu/data_raw", Imu, DEEP_SENSOR)
    filtered = ros.collect("imu/data", Imu, DEEP_SENSOR)
    gestures = ros.collect_events("input/head_gesture", ev.HeadGesture)
    ros.add(HeadGestureNode(namespace=ros.namespace))
    ros.add(OrientationFilterNode(namespace=ros.namespace))
    ros.add(ImuNode(namespace=ros.namespace, parameter_overrides=sim))

    assert wait_for(lambda: len(gestures) >= 2, timeout=15.0), f"gestures: {gestures}, raw: {len(raw)}"
    got = [(g.gesture, g.stamp) for g in gestures]
    assert [g for g, _ in got] == ["nod", "shake"]
    # The event stamp is the stamp of an IMU sample: on the 100 Hz grid from scenario_start.
    for _, stamp in got:
        k = (stamp - start) * 100.0
        assert abs(k - round(k)) < 1e-3
    assert 0.5 < got[0][1] - start < 2.0 and 2.5 < got[1][1] - start < 4.0
    assert all(0.5 <= g.confidence <= 1.0 and g.source == "head_gesture" for g in gestures)

    msg = raw[-1]
    assert msg.header.frame_id == "imu_link"
    assert msg.orientation_covariance[0] == -1.0  # REP-145: no orientation on data_raw
    assert msg.angular_velocity_covariance[0] > 0 and msg.linear_acceleration_covariance[8] > 0
    stamps = np.array([to_sec(m.header.stamp) for m in raw])
    assert np.all(np.diff(stamps) > 0)
    assert np.allclose(np.diff(stamps), 0.01, atol=1e-6)
    accel_z = np.array([m.linear_acceleration.z for m in raw[:50]])
    assert abs(np.median(accel_z) - 9.81) < 0.5

    assert wait_for(lambda: len(filtered) > 50)
    out = filtered[-1]
    q = np.array([out.orientation.w, out.orientation.x, out.orientation.y, out.orientation.z])
    assert abs(np.linalg.norm(q) - 1.0) < 1e-6
    assert out.orientation_covariance[0] > 0 and out.orientation_covariance[8] > out.orientation_covariance[0]
    assert out.header.frame_id == "imu_link"


def test_bad_imu_messages_are_counted_and_dropped(ros):
    diags = ros.collect("/diagnostics", DiagnosticArray)
    filtered = ros.collect("imu/data", Imu, DEEP_SENSOR)
    ros.add(OrientationFilterNode(namespace=ros.namespace, parameter_overrides=params(diagnostics_period_s=0.2)))
    ros.add(HeadGestureNode(namespace=ros.namespace, parameter_overrides=params(diagnostics_period_s=0.2)))
    pub = ros.publisher("imu/data_raw", Imu, gq.profile(interfaces.SENSOR, reliable=True, depth=50))
    assert wait_for(lambda: pub.get_subscription_count() >= 2, timeout=5.0)

    def imu(t, gx=0.0, az=9.8):
        m = Imu()
        m.header.stamp.sec, m.header.stamp.nanosec = int(t), int(round((t % 1) * 1e9))
        m.header.frame_id = "imu_link"
        m.angular_velocity.x = gx
        m.linear_acceleration.z = az
        return m

    pub.publish(imu(100.0, gx=0.001))
    pub.publish(imu(100.01, gx=math.nan))
    pub.publish(imu(100.02, gx=0.001))
    assert wait_for(lambda: len(filtered) >= 2, timeout=5.0)

    def counted():
        o, g = diagnostics_of(diags, "orientation_filter"), diagnostics_of(diags, "head_gesture")
        return o.get("rejected.not_finite") == "1" and g.get("rejected.bad_imu_sample") == "1"

    assert wait_for(counted, timeout=5.0), (
        diagnostics_of(diags, "orientation_filter"),
        diagnostics_of(diags, "head_gesture"),
    )


def test_head_gesture_refuses_a_malformed_mount_rotation(ros):
    with pytest.raises(ValueError, match="imu_mount_rpy_deg"):
        HeadGestureNode(namespace=ros.namespace, parameter_overrides=params(imu_mount_rpy_deg=[1.0, 2.0]))


def test_orientation_filter_takes_no_imu_without_a_consumer(ros):
    node = ros.add(OrientationFilterNode(namespace=ros.namespace, parameter_overrides=params(consumer_check_s=0.1)))
    raw = ros.publisher("imu/data_raw", Imu, gq.profile(interfaces.SENSOR, reliable=True, depth=50))
    time.sleep(0.5)
    assert raw.get_subscription_count() == 0 and not node.diagnostics_values()["filtering"]  # worn idle: nothing

    filtered = []  # a consumer comes (navigation, a recorder, a viewer)
    consumer = ros.probe.create_subscription(Imu, "imu/data", filtered.append, DEEP_SENSOR)
    assert wait_for(lambda: raw.get_subscription_count() == 1, timeout=5.0)
    for k in range(20):
        m = Imu()
        m.header.stamp.sec, m.header.stamp.nanosec = 200, k * 10_000_000
        m.linear_acceleration.z = 9.8
        raw.publish(m)
    assert wait_for(lambda: len(filtered) >= 10, timeout=5.0)
    assert abs(filtered[-1].orientation.w) == pytest.approx(1.0, abs=1e-3)  # level, from gravity

    ros.probe.destroy_subscription(consumer)  # and goes: the filter stops taking samples
    assert wait_for(lambda: raw.get_subscription_count() == 0, timeout=5.0)
