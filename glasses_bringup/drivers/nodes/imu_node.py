"""IMU driver node: publishes imu/data_raw (sensor_msgs/Imu, REP-145, sensor-data QoS).

It renders head motion from the scenario (still, walk, nod, shake, with noise and
bias): a simulated IMU for rigs and tests without the co-processor link (on the
glasses the IMU arrives over the link: the ``coprocessor_link`` node publishes
imu/data_raw). Samples are produced in small batches per timer tick and each
message carries its own sample stamp.
"""

from __future__ import annotations

from sensor_msgs.msg import Imu

from glasses_bringup.drivers.nodes.sim_support import declare_scenario
from glasses_bringup.drivers.sensors import imu as core
from glasses_bringup.foundation import interfaces
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node

TOPIC = "imu/data_raw"


class ImuNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("imu", **kwargs)
        self.source_kind = self.declare("source", "sim", "Sample source (the link node serves hardware).",
                                        choices=("sim",))
        self.rate_hz = self.declare("rate_hz", 100.0, "Sample rate of the simulated IMU (Hz).", min=1.0, max=1000.0)
        self.frame_id = self.declare("frame_id", interfaces.FRAME_IMU, "frame_id of the messages.")
        self.publish_period_s = self.declare(
            "publish_period_s", 0.01, "Timer period; every due sample is published per tick (s).", min=0.001, max=0.5
        )
        self.gyro_noise_std = self.declare(
            "gyro_noise_std", 0.003, "Gyro white noise per sample (rad/s): sim noise and covariance.", min=0.0, max=1.0
        )
        self.accel_noise_std = self.declare(
            "accel_noise_std",
            0.02,
            "Accel white noise per sample (m/s^2): sim noise and covariance.",
            min=0.0,
            max=10.0,
        )
        self.gyro_bias_std = self.declare(
            "gyro_bias_std", 0.008, "Sim: spread of the turn-on gyro bias (rad/s).", min=0.0, max=1.0
        )
        self.accel_bias_std = self.declare(
            "accel_bias_std", 0.05, "Sim: spread of the turn-on accel bias (m/s^2).", min=0.0, max=5.0
        )
        self.declare("hardware_id", "", "Hardware id reported on /diagnostics.")
        self.covariances = core.raw_covariances(self.gyro_noise_std, self.accel_noise_std)
        self.pub = self.create_publisher(Imu, TOPIC, gq.for_topic(TOPIC))
        self._msg = self._template()
        self.sim: core.SimImuSource | None = None
        self._start_sim()
        self.create_timer(self.publish_period_s, self.tick)

    def _start_sim(self) -> None:
        from glasses_bringup.drivers.sim.motion import MotionPlan, SensorModel

        scenario, start = declare_scenario(self, required=False)
        if scenario is None:
            plan, start = MotionPlan(seed=0), self.now_s()  # no scenario: a still head
        else:
            plan = core.plan_from_scenario(scenario)
        sensor = SensorModel(self.gyro_noise_std, self.accel_noise_std, self.gyro_bias_std, self.accel_bias_std)
        self.sim = core.SimImuSource(plan, self.rate_hz, start, sensor)
        self.health.set("gestures_planned", len(plan.gestures))

    def tick(self) -> None:
        now = self.now_s()
        skipped = self.sim.skipped
        batch = self.sim.poll(now)
        if self.sim.skipped > skipped:
            self.health.drop(TOPIC, self.sim.skipped - skipped)
        for i in range(len(batch)):
            self.pub.publish(self._message(batch, i))
        if len(batch):
            self.health.tick(TOPIC, len(batch))

    def _template(self) -> Imu:
        msg = Imu()
        msg.header.frame_id = self.frame_id
        msg.orientation.w = 1.0  # unused: orientation_covariance[0] = -1 marks it as not provided
        msg.orientation_covariance = self.covariances["orientation_covariance"]
        msg.angular_velocity_covariance = self.covariances["angular_velocity_covariance"]
        msg.linear_acceleration_covariance = self.covariances["linear_acceleration_covariance"]
        return msg

    def _message(self, batch: core.ImuBatch, i: int) -> Imu:
        # One message object is refilled per sample: publish() serializes at once, and
        # re-assigning the covariance arrays each time would cost more than the sample.
        msg = self._msg
        msg.header.stamp = self.stamp_msg(float(batch.stamps[i]))
        v = msg.angular_velocity
        v.x, v.y, v.z = batch.gyro[i].tolist()
        a = msg.linear_acceleration
        a.x, a.y, a.z = batch.accel[i].tolist()
        return msg

    def diagnostics_values(self) -> dict:
        values = {"source": self.source_kind, "frame_id": self.frame_id}
        if self.sim is not None:
            values.update(rate_hz_nominal=self.rate_hz, samples=self.sim.next_index)
        return values


def main(args=None):
    return run_node(ImuNode, args)
