"""IMU driver node: publishes imu/data_raw (sensor_msgs/Imu, REP-145, sensor-data QoS).

Source 'sim' renders head motion from the scenario (still, walk, nod, shake, with
noise and bias); source 'serial' reads the co-processor's line protocol (see
glasses_bringup.drivers.sensors.imu). Samples are produced in small batches per timer tick
and each message carries its own sample stamp.
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
        self.source_kind = self.declare("source", "sim", "Sample source.", choices=("sim", "serial"))
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
        self.port = self.declare("port", "/dev/ttyS1", "Serial: device path or pyserial URL (loop://, socket://h:p).")
        self.baudrate = self.declare("baudrate", 921600, "Serial: baud rate.", min=1200, max=4_000_000)
        self.stale_after_s = self.declare(
            "stale_after_s", 2.0, "Serial: warn on /diagnostics after this long without samples (s).", min=0.1, max=60.0
        )
        self.declare("hardware_id", "", "Hardware id reported on /diagnostics.")
        self.covariances = core.raw_covariances(self.gyro_noise_std, self.accel_noise_std)
        self.pub = self.create_publisher(Imu, TOPIC, gq.for_topic(TOPIC))
        self._msg = self._template()
        self.serial: core.SerialImuSource | None = None
        self.sim: core.SimImuSource | None = None
        self._reported_bad = 0
        self._last_data = 0.0
        self._stale = False
        if self.source_kind == "sim":
            self._start_sim()
        else:
            self.serial = core.SerialImuSource(self.port, self.baudrate)
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
        if self.sim is not None:
            skipped = self.sim.skipped
            batch = self.sim.poll(now)
            if self.sim.skipped > skipped:
                self.health.drop(TOPIC, self.sim.skipped - skipped)
        else:
            batch = self._poll_serial(now)
        for i in range(len(batch)):
            self.pub.publish(self._message(batch, i))
        if len(batch):
            self.health.tick(TOPIC, len(batch))

    def _poll_serial(self, now: float) -> core.ImuBatch:
        src = self.serial
        was_connected = src.connected
        batch = src.poll(now)
        if src.connected and not was_connected:
            self.health.clear_level()
            self._last_data = now
            self.get_logger().info(f"serial IMU open on {src.url}")
        elif not src.connected and src.last_error:
            self.health.set_level(2, src.last_error)
            self.get_logger().error(src.last_error, throttle_duration_sec=10.0)
        if len(batch):
            if self._stale:
                self.health.clear_level()
                self._stale = False
            self._last_data = now
        elif src.connected and now - self._last_data > self.stale_after_s and not self._stale:
            # The port is open but the co-processor went quiet (asleep, wrong baud rate, unplugged UART).
            self._stale = True
            self.health.set_level(1, f"no IMU samples on {src.url} for {now - self._last_data:.1f} s")
        stats = src.decoder.stats
        bad = sum(stats.bad.values())
        if bad > self._reported_bad:
            # Count each bad line by reason; log at most every few seconds.
            for reason, n in stats.bad.items():
                self.health.rejects[reason] = n
            self.health.error(f"bad serial lines: {stats.last_bad}", count=False)
            self.get_logger().warning(
                f"{bad - self._reported_bad} bad IMU line(s) on {src.url}: {stats.last_bad}", throttle_duration_sec=5.0
            )
            self._reported_bad = bad
        return batch

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
        if self.serial is not None:
            stats = self.serial.decoder.stats
            values.update(
                port=self.serial.url,
                connected=self.serial.connected,
                lines=stats.lines,
                samples=stats.samples,
                bad_lines=sum(stats.bad.values()),
                clock_resets=self.serial.decoder.clock.resets,
            )
        return values

    def destroy_node(self):
        if self.serial is not None:
            self.serial.close()
        return super().destroy_node()


def main(args=None):
    return run_node(ImuNode, args)
