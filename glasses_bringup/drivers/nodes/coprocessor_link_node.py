"""Co-processor link node: owns the MCU's serial port and publishes what the MCU measures.

One node per port (docs/coprocessor-link.md). It publishes

- imu/data_raw (sensor_msgs/Imu, sensor QoS): every sample of the IMU batches,
  stamped through the link's time sync;
- power/gauge/left, power/gauge/right (sensor_msgs/BatteryState, reliable depth
  10): raw fuel-gauge readings; the battery manager (source ``link``) turns them
  into the pack states on power/battery*;
- input/touch, input/button, input/hinge (events) and, while the wake word is
  offloaded to the MCU's low-power core, perception/wake;

and sends down the power mode (power/state), the privacy LED (camera/privacy_led)
and the display brightness (display/brightness), plus wake-on-voice offload in
the modes listed in ``wake_offload_modes``. The port is read on a thread that
waits on it (arrival times are what the time sync needs); a missing or failing
port is an ERROR on /diagnostics and a retry every ``reconnect_s``, never a crash.
With ``emulate`` the node starts the MCU emulator on a pseudo-terminal and talks
to it: with a ``scenario`` (the sim rig) the emulator's IMU renders the scenario's
head motion, the same samples the ``imu`` node's sim source renders, so the sim
rig's imu/data_raw crosses the real link code (framing, sequence, time sync).
"""

from __future__ import annotations

import queue
import tempfile
import threading
from pathlib import Path

from sensor_msgs.msg import BatteryState, Imu
from std_msgs.msg import Bool, Float32

from glasses_bringup.drivers.link import protocol as p
from glasses_bringup.drivers.link.session import LinkConfig, LinkSession, Stamped
from glasses_bringup.drivers.power import pack_health as ph
from glasses_bringup.drivers.power.manager import LOCATIONS, PackReading
from glasses_bringup.drivers.sensors import imu as imu_core
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation import health as hl
from glasses_bringup.foundation import interfaces
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node

IMU_TOPIC = "imu/data_raw"


class CoprocessorLinkNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("coprocessor_link", **kwargs)
        self.port_url = self.declare("port", "/dev/ttyTHS1", "Serial device, pty or pyserial URL of the MCU link.")
        self.baudrate = self.declare("baudrate", 921600, "Link baud rate (ignored by USB-CDC and ptys).",
                                     min=9600, max=12_000_000)
        self.emulate = self.declare("emulate", False, "Start the MCU emulator on a pseudo-terminal and use it.")
        self.emulate_imu_hz = self.declare("emulate_imu_hz", 400.0, "Emulator: IMU rate (Hz).", min=1.0, max=3200.0)
        self.emulate_gauge_hz = self.declare("emulate_gauge_hz", 1.0, "Emulator: fuel-gauge rate (Hz).",
                                             min=0.0, max=100.0)
        self.emulate_drift_ppm = self.declare("emulate_drift_ppm", 50.0, "Emulator: MCU clock error (ppm).",
                                              min=-1000.0, max=1000.0)
        self.emulate_touch = self.declare(
            "emulate_touch", True, "Emulator with a scenario: its touch pad plays the scenario's touch entries.")
        config = LinkConfig(
            reconnect_s=self.declare("reconnect_s", 2.0, "Wait before reopening a missing port (s).", min=0.05, max=60.0),
            link_timeout_s=self.declare("link_timeout_s", 3.0, "MCU silent this long: handshake again (s).",
                                        min=0.2, max=60.0),
            sync_period_s=self.declare("sync_period_s", 1.0, "Time-sync exchange period (s).", min=0.05, max=60.0),
        )
        self.frame_id = self.declare("frame_id", interfaces.FRAME_IMU, "frame_id of imu/data_raw.")
        gyro_std = self.declare("gyro_noise_std", 0.003, "Gyro white noise (rad/s) for the covariance.", min=0.0, max=1.0)
        accel_std = self.declare("accel_noise_std", 0.02, "Accel white noise (m/s^2) for the covariance.",
                                 min=0.0, max=10.0)
        self.wake_offload_modes = tuple(self.declare(
            "wake_offload_modes", ["saver", "critical"], "Power modes in which the MCU listens for the wake word."))
        self.declare("hardware_id", "", "MCU / board name for /diagnostics.")
        self.mcu = None
        if self.emulate:
            self.port_url = self._start_emulator()
        self.session = LinkSession(self.port_url, self.baudrate, config)
        self.session.set_wake_offload(False)
        self.lock = threading.Lock()
        self.items: queue.Queue = queue.Queue(maxsize=2000)
        cov = imu_core.raw_covariances(gyro_std, accel_std)
        self._imu_msg = Imu()
        self._imu_msg.header.frame_id = self.frame_id
        self._imu_msg.orientation.w = 1.0
        self._imu_msg.orientation_covariance = cov["orientation_covariance"]
        self._imu_msg.angular_velocity_covariance = cov["angular_velocity_covariance"]
        self._imu_msg.linear_acceleration_covariance = cov["linear_acceleration_covariance"]
        self.imu_pub = self.create_publisher(Imu, IMU_TOPIC, gq.for_topic(IMU_TOPIC))
        self.gauge_pubs = {
            slot: self.create_publisher(BatteryState, f"power/gauge/{slot}", gq.for_topic(f"power/gauge/{slot}"))
            for slot in p.SLOTS
        }
        self.touch_pub = self.event_publisher("input/touch")
        self.button_pub = self.event_publisher("input/button")
        self.hinge_pub = self.event_publisher("input/hinge")
        self.wake_pub = self.event_publisher("perception/wake")
        self.event_subscription("power/state", ev.PowerState, self.on_power_state)
        self.create_subscription(Bool, "camera/privacy_led", self.on_privacy_led, gq.for_topic("camera/privacy_led"))
        self.create_subscription(Float32, "display/brightness", self.on_brightness, gq.for_topic("display/brightness"))
        self._state = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read_loop, name="coprocessor_link", daemon=True)
        self._thread.start()
        self.create_timer(0.01, self.tick)

    def _start_emulator(self) -> str:
        from glasses_bringup.drivers.link.emulator import McuEmulator, PtyMcu, scenario_emulator
        from glasses_bringup.drivers.nodes.sim_support import declare_scenario

        scenario, start = declare_scenario(self, required=False)
        common = dict(drift_ppm=self.emulate_drift_ppm, gauge_rate_hz=self.emulate_gauge_hz)
        if scenario is not None:  # the scenario's head motion (and touches) as the MCU would see them
            emulator = scenario_emulator(scenario, start, self.emulate_imu_hz, touch=self.emulate_touch, **common)
        else:  # a still head
            emulator = McuEmulator(imu_rate_hz=self.emulate_imu_hz, **common)
        link = Path(tempfile.mkdtemp(prefix="glasses_mcu_")) / "ttyMCU"
        self.mcu = PtyMcu(emulator, link_path=link, period_s=0.005).start()
        self.get_logger().info(f"MCU emulator on {self.mcu.slave_name} ({link})")
        return str(link)

    # -- port thread --------------------------------------------------------------------

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            if not self.session.connected:
                self._stop.wait(0.1)  # nothing to wait on: the open is retried every reconnect_s
            else:
                self.session.wait(0.02)
            with self.lock:
                got = self.session.poll(self.now_s())
            for item in got:
                try:
                    self.items.put_nowait(item)
                except queue.Full:
                    self.health.drop("link_items")

    # -- commands down ------------------------------------------------------------------

    def on_power_state(self, state: ev.PowerState) -> None:
        with self.lock:
            self.session.set_power_mode(state.mode)
            self.session.set_wake_offload(state.mode in self.wake_offload_modes)

    def on_privacy_led(self, msg: Bool) -> None:
        with self.lock:
            self.session.set_privacy_led(bool(msg.data))

    def on_brightness(self, msg: Float32) -> None:
        with self.lock:
            self.session.set_brightness(float(msg.data))

    # -- publishing ---------------------------------------------------------------------

    def tick(self) -> None:
        while True:
            try:
                item = self.items.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, imu_core.ImuBatch):
                self._publish_imu(item)
            elif isinstance(item, PackReading):
                self._publish_gauge(item)
            elif isinstance(item, Stamped):
                self._publish_input(item)
        self._update_level()

    def _publish_imu(self, batch: imu_core.ImuBatch) -> None:
        msg = self._imu_msg
        for i in range(len(batch)):
            msg.header.stamp = self.stamp_msg(float(batch.stamps[i]))
            v = msg.angular_velocity
            v.x, v.y, v.z = batch.gyro[i].tolist()
            a = msg.linear_acceleration
            a.x, a.y, a.z = batch.accel[i].tolist()
            self.imu_pub.publish(msg)
        self.health.tick(IMU_TOPIC, len(batch))

    def _publish_gauge(self, r: PackReading) -> None:
        msg = BatteryState()
        msg.header.stamp = self.stamp_msg(r.t)
        msg.header.frame_id = f"battery_{r.slot}"
        msg.location = LOCATIONS[r.slot]
        msg.present = r.present
        msg.voltage, msg.current, msg.temperature = r.voltage_v, r.current_a, r.temperature_c
        msg.design_capacity = r.design_capacity_ah
        msg.percentage = float("nan") if r.soc_hint is None else r.soc_hint
        msg.charge = msg.capacity = float("nan")
        msg.serial_number = r.serial
        msg.power_supply_technology = ph.TECHNOLOGY_LIPO
        self.gauge_pubs[r.slot].publish(msg)
        self.health.tick(f"gauge.{r.slot}")

    def _publish_input(self, item: Stamped) -> None:
        f = item.frame
        if isinstance(f, p.TouchFrame):
            self.touch_pub.publish(ev.Touch(stamp=item.stamp, gesture=f.gesture, side=f.side))
        elif isinstance(f, p.ButtonFrame):
            self.button_pub.publish(ev.Button(stamp=item.stamp, button=f.button, action=f.action))
        elif isinstance(f, p.HingeFrame):
            self.hinge_pub.publish(ev.Hinge(stamp=item.stamp, state=f.state))
        elif isinstance(f, p.WakeFrame):
            self.wake_pub.publish(ev.Wake(stamp=item.stamp, reason="wake_word", phrase=f.keyword, score=f.score))

    def _update_level(self) -> None:
        s = self.session
        state = s.state
        if state == self._state:
            return
        self._state = state
        if state == "running":
            self.health.clear_level()
            self.get_logger().info(f"MCU link up on {s.url}: firmware {s.hello.firmware!r}")
        elif state == "incompatible":
            self.health.set_level(hl.ERROR, s.last_error)
            self.get_logger().error(s.last_error)
        elif state == "closed":
            self.health.set_level(hl.ERROR, s.last_error or f"{s.url} not open")
            self.get_logger().error(f"MCU link down: {s.last_error}", throttle_duration_sec=10.0)
        else:
            self.health.set_level(hl.WARN, f"waiting for the MCU's HELLO on {s.url}")

    def diagnostics_values(self) -> dict:
        with self.lock:
            values = self.session.diagnostics()
            errors = self.session.error_total
        if self.session.state == "closed" and self.session.last_error:
            self.health.set_level(hl.ERROR, self.session.last_error)
        values["errors_total"] = errors
        return values

    def destroy_node(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
        self.session.close()
        if self.mcu is not None:
            self.mcu.stop()
        return super().destroy_node()


def main(args=None):
    return run_node(CoprocessorLinkNode, args)
