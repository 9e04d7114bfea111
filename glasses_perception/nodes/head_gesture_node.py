"""Head gesture node: imu/data_raw -> input/head_gesture events (nod / shake).

The event's stamp is the stamp of the IMU sample at which the gesture was
recognised, so gesture latency can be read from a bag. Thresholds are parameters
(see glasses_perception.gestures.GestureConfig and docs/imu.md).
"""

from __future__ import annotations

import math

from sensor_msgs.msg import Imu

from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation import interfaces
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node
from glasses_perception.gestures import GestureConfig, HeadGestureDetector

IN_TOPIC = "imu/data_raw"
OUT_TOPIC = "input/head_gesture"


class HeadGestureNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("head_gesture", **kwargs)
        d = GestureConfig()
        config = GestureConfig(
            nod_threshold_rad_s=self.declare(
                "nod_threshold_rad_s",
                d.nod_threshold_rad_s,
                "Minimum pitch-rate peak of every nod swing (rad/s).",
                min=0.1,
                max=10.0,
            ),
            shake_threshold_rad_s=self.declare(
                "shake_threshold_rad_s",
                d.shake_threshold_rad_s,
                "Minimum yaw-rate peak of every shake swing (rad/s).",
                min=0.1,
                max=10.0,
            ),
            nod_lobes=self.declare(
                "nod_swings", d.nod_lobes, "Alternating pitch swings that make a nod.", min=2, max=8
            ),
            shake_lobes=self.declare(
                "shake_swings", d.shake_lobes, "Alternating yaw swings that make a shake.", min=2, max=8
            ),
            max_lobe_gap_s=self.declare(
                "max_swing_gap_s",
                d.max_lobe_gap_s,
                "Longest pause between swings of one gesture (s).",
                min=0.0,
                max=2.0,
            ),
            dominance=self.declare(
                "dominance", d.dominance, "Gesture-axis peak over the other axes' rates, at least.", min=1.0, max=10.0
            ),
            refractory_s=self.declare(
                "refractory_s", d.refractory_s, "Quiet time after a detection (s).", min=0.0, max=10.0
            ),
            smoothing_hz=self.declare("smoothing_hz", d.smoothing_hz, "Gyro low-pass cut-off (Hz).", min=0.5, max=50.0),
        )
        mount = self.declare(
            "imu_mount_rpy_deg",
            [0.0, 0.0, 0.0],
            "Roll, pitch, yaw (deg, ZYX) of imu_link relative to head: rotates the rates into the head frame.",
        )
        if len(mount) != 3 or not all(math.isfinite(v) for v in mount):
            raise ValueError(f"imu_mount_rpy_deg needs three finite angles, got {list(mount)}")
        self.detector = HeadGestureDetector(config, tuple(math.radians(v) for v in mount))
        self.pub = self.event_publisher(OUT_TOPIC)
        # Sensor-data QoS, but a deeper reader queue: the driver may publish a burst of samples per tick.
        depth = self.declare("queue_depth", 50, "Reader queue depth for imu/data_raw.", min=1, max=1000)
        self.create_subscription(Imu, IN_TOPIC, self.on_imu, gq.profile(interfaces.SENSOR, depth=depth))
        self._rejected_seen = 0

    def on_imu(self, msg: Imu) -> None:
        self.health.tick(IN_TOPIC)
        w = msg.angular_velocity
        detection = self.detector.update(self.stamp_s(msg.header), (w.x, w.y, w.z))
        if self.detector.rejected != self._rejected_seen:
            self._rejected_seen = self.detector.rejected
            self.health.reject("bad_imu_sample", "non-finite rate or stamp not increasing")
            self.get_logger().warning("skipped IMU sample (non-finite or out of order)", throttle_duration_sec=5.0)
        if detection is None:
            return
        self.pub.publish(
            ev.HeadGesture(stamp=detection.stamp, gesture=detection.gesture, confidence=detection.confidence)
        )
        self.health.set("last_gesture", f"{detection.gesture} at {detection.stamp:.3f} (conf {detection.confidence})")
        self.get_logger().info(
            f"{detection.gesture}: {detection.lobes} swings, weakest {detection.peak_rad_s:.2f} rad/s, "
            f"confidence {detection.confidence}"
        )


def main(args=None):
    return run_node(HeadGestureNode, args)
