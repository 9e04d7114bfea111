"""Orientation filter node: imu/data_raw -> imu/data with orientation (REP-145).

Orientation comes from the ``ahrs`` library (Madgwick or Mahony, 6-axis: gyro +
accelerometer, no magnetometer). Roll and pitch are absolute (gravity); yaw is
relative to the start and drifts, which orientation_covariance says with a large
yaw variance. Angular velocity, acceleration and their covariances are passed on
unchanged.

No work without a consumer: while imu/data has no subscriber (worn idle: the agent
takes it only during navigation) the node does not subscribe to imu/data_raw; it checks
every ``consumer_check_s`` and restarts the filter from gravity when one appears.
"""

from __future__ import annotations

import math

from sensor_msgs.msg import Imu

from glasses_bringup.drivers.sensors import imu as core
from glasses_bringup.foundation import interfaces
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node

IN_TOPIC = "imu/data_raw"
OUT_TOPIC = "imu/data"


class OrientationFilterNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("orientation_filter", **kwargs)
        self.algorithm = self.declare(
            "algorithm",
            "madgwick",
            "Orientation filter of the ahrs library.",
            choices=core.OrientationEstimator.ALGORITHMS,
        )
        rate = self.declare(
            "rate_hz", 100.0, "Nominal input rate (Hz); actual dt comes from the stamps.", min=1.0, max=1000.0
        )
        gain = self.declare("madgwick_gain", 0.033, "Madgwick gradient-descent gain (beta).", min=0.001, max=1.0)
        kp = self.declare("mahony_kp", 1.0, "Mahony proportional gain.", min=0.0, max=20.0)
        ki = self.declare("mahony_ki", 0.3, "Mahony integral gain (gyro bias).", min=0.0, max=5.0)
        max_gap = self.declare(
            "max_gap_s", 0.5, "A longer gap between samples restarts the filter (s).", min=0.01, max=10.0
        )
        rp_std = self.declare(
            "roll_pitch_stddev_rad", 0.02, "Reported roll/pitch standard deviation (rad).", min=0.0, max=math.pi
        )
        yaw_std = self.declare(
            "yaw_stddev_rad",
            math.pi,
            "Reported yaw standard deviation (rad): no magnetometer, yaw drifts.",
            min=0.0,
            max=10.0,
        )
        self.orientation_covariance = core.diagonal([rp_std**2, rp_std**2, yaw_std**2])
        self.estimator = core.OrientationEstimator(self.algorithm, rate, gain, kp, ki, max_gap)
        self._rejected_seen = 0
        self.pub = self.create_publisher(Imu, OUT_TOPIC, gq.for_topic(OUT_TOPIC))
        # Sensor-data QoS, but a deeper reader queue: the driver may publish a burst of samples per tick.
        self.in_qos = gq.profile(interfaces.SENSOR, depth=self.declare(
            "queue_depth", 50, "Reader queue depth for imu/data_raw.", min=1, max=1000))  # fmt: skip
        self.always_on = self.declare("always_on", False, "Filter even when nobody subscribes to imu/data.")
        check_s = self.declare("consumer_check_s", 1.0, "How often imu/data's subscribers are counted (s).",
                               min=0.05, max=10.0)  # fmt: skip
        self.sub = None
        self.follow_consumers()
        self.create_timer(check_s, self.follow_consumers)

    def follow_consumers(self) -> None:
        wanted = self.always_on or self.pub.get_subscription_count() > 0
        if wanted and self.sub is None:
            self.estimator.reset()  # the orientation of a paused filter is stale: start again from gravity
            self.sub = self.create_subscription(Imu, IN_TOPIC, self.on_imu, self.in_qos)
        elif not wanted and self.sub is not None:
            self.destroy_subscription(self.sub)
            self.sub = None

    def on_imu(self, msg: Imu) -> None:
        self.health.tick(IN_TOPIC)
        w, a = msg.angular_velocity, msg.linear_acceleration
        q = self.estimator.update(self.stamp_s(msg.header), (w.x, w.y, w.z), (a.x, a.y, a.z))
        if self.estimator.rejected_total != self._rejected_seen:
            self._count_rejects()
        if q is None:
            return
        out = Imu()
        out.header = msg.header
        out.orientation.w, out.orientation.x, out.orientation.y, out.orientation.z = (float(v) for v in q)
        out.orientation_covariance = self.orientation_covariance
        out.angular_velocity = msg.angular_velocity
        out.angular_velocity_covariance = msg.angular_velocity_covariance
        out.linear_acceleration = msg.linear_acceleration
        out.linear_acceleration_covariance = msg.linear_acceleration_covariance
        self.pub.publish(out)
        self.health.tick(OUT_TOPIC)

    def _count_rejects(self) -> None:
        for r, n in self.estimator.rejected.items():
            self.health.rejects[r] = n
        self.health.error(f"IMU sample not used ({self.estimator.last_reject})", count=False)
        self.get_logger().warning(
            f"IMU samples not used so far: {dict(self.estimator.rejected)}", throttle_duration_sec=5.0
        )
        self._rejected_seen = self.estimator.rejected_total

    def diagnostics_values(self) -> dict:
        values = {"algorithm": self.algorithm, "resets": self.estimator.resets, "filtering": self.sub is not None}
        if self.estimator.q is not None:
            roll, pitch, yaw = core.quaternion_to_euler(self.estimator.q)
            values.update(roll_deg=f"{math.degrees(roll):.1f}", pitch_deg=f"{math.degrees(pitch):.1f}")
        return values


def main(args=None):
    return run_node(OrientationFilterNode, args)
