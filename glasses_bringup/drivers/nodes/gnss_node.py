"""GNSS node: publishes gnss/fix (sensor_msgs/NavSatFix, sensor QoS) at the receiver's rate.

Source 'nmea' reads NMEA 0183 from a serial port (GGA for the fix, RMC for its
validity; glasses_bringup.drivers.sensors.gnss); a missing port or a silent receiver is
an ERROR / WARN on /diagnostics and a retry every ``reconnect_s``. Source 'sim'
renders the scenario's ``walk`` entries (noise, drop-outs). Without a fix the
node publishes status NO_FIX with NaN position, as REP-145's NavSatFix users expect.
"""

from __future__ import annotations

from sensor_msgs.msg import NavSatFix, NavSatStatus

from glasses_bringup.drivers.nodes.sim_support import declare_scenario
from glasses_bringup.drivers.sensors import gnss as core
from glasses_bringup.foundation import health as hl
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node

TOPIC = "gnss/fix"


class GnssNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("gnss", **kwargs)
        self.source_kind = self.declare("source", "sim", "Fix source.", choices=("sim", "nmea"))
        self.frame_id = self.declare("frame_id", "gnss", "frame_id of the fixes (the antenna).")
        self.rate_hz = self.declare("rate_hz", 1.0, "Sim: fix rate (Hz).", min=0.1, max=20.0)
        self.uere_m = self.declare("uere_m", 3.0, "User equivalent range error for the HDOP covariance (m).",
                                   min=0.1, max=100.0)
        self.port = self.declare("port", "/dev/ttyUSB0", "NMEA: serial device or pyserial URL.")
        self.baudrate = self.declare("baudrate", 9600, "NMEA: baud rate.", min=1200, max=921600)
        self.reconnect_s = self.declare("reconnect_s", 2.0, "NMEA: wait before reopening the port (s).",
                                        min=0.1, max=60.0)
        self.stale_after_s = self.declare("stale_after_s", 3.0, "NMEA: warn after this long without a sentence (s).",
                                          min=0.5, max=120.0)
        self.declare("hardware_id", "", "Receiver model for /diagnostics.")
        self.pub = self.create_publisher(NavSatFix, TOPIC, gq.for_topic(TOPIC))
        self.sim: core.SimGnssSource | None = None
        self.decoder: core.NmeaDecoder | None = None
        self.serial = None
        self._next_open = 0.0
        self._last_data = self.now_s()
        self.fixes = 0
        self.no_fix = 0
        if self.source_kind == "sim":
            scenario, start = declare_scenario(self, required=False)
            walks = [(e.at, e.walk) for e in scenario.entries("walk")] if scenario is not None else []
            self.sim = core.SimGnssSource(walks, self.rate_hz, start or self.now_s(),
                                          seed=scenario.seed if scenario else 0, uere_m=self.uere_m)
            period = 0.1
        else:
            self.decoder = core.NmeaDecoder(self.uere_m)
            period = 0.05
        self.create_timer(period, self.tick)

    def _open(self, now: float) -> bool:
        import serial

        if self.serial is not None:
            return True
        if now < self._next_open:
            return False
        self._next_open = now + self.reconnect_s
        try:
            self.serial = serial.serial_for_url(self.port, baudrate=self.baudrate, timeout=0)
        except (serial.SerialException, ValueError, OSError) as exc:
            self.health.set_level(hl.ERROR, f"cannot open GNSS port {self.port}: {exc}")
            self.get_logger().error(f"cannot open GNSS port {self.port}: {exc}", throttle_duration_sec=30.0)
            return False
        self.health.clear_level()
        self._last_data = now
        return True

    def _read(self, now: float) -> list[core.Fix]:
        if not self._open(now):
            return []
        try:
            waiting = self.serial.in_waiting
            data = self.serial.read(waiting) if waiting else b""
        except Exception as exc:  # unplugged: report, reopen later
            self.health.set_level(hl.ERROR, f"GNSS port {self.port} failed: {exc}")
            self.serial.close()
            self.serial = None
            return []
        if not data:
            if now - self._last_data > self.stale_after_s:
                self.health.set_level(hl.WARN, f"no NMEA on {self.port} for {now - self._last_data:.0f} s")
            return []
        if now - self._last_data > self.stale_after_s:
            self.health.clear_level()
        self._last_data = now
        bad = sum(self.decoder.errors.values())
        fixes = self.decoder.feed(data, now)
        if sum(self.decoder.errors.values()) > bad:
            for reason, n in self.decoder.errors.items():
                self.health.rejects[reason] = n
            self.health.error(f"bad NMEA: {self.decoder.last_error}", count=False)
        return fixes

    def tick(self) -> None:
        now = self.now_s()
        fixes = self.sim.poll(now) if self.sim is not None else self._read(now)
        for fix in fixes:
            self.pub.publish(self._message(fix))
            if fix.status == core.STATUS_NO_FIX:
                self.no_fix += 1
            else:
                self.fixes += 1
            self.health.tick("fixes")

    def _message(self, fix: core.Fix) -> NavSatFix:
        msg = NavSatFix()
        msg.header.stamp = self.stamp_msg(fix.stamp)
        msg.header.frame_id = self.frame_id
        msg.status = NavSatStatus(status=fix.status, service=fix.service)
        msg.latitude, msg.longitude, msg.altitude = fix.latitude, fix.longitude, fix.altitude
        msg.position_covariance = [float(c) for c in fix.covariance]
        msg.position_covariance_type = fix.covariance_type
        return msg

    def diagnostics_values(self) -> dict:
        values = {"source": self.source_kind, "fixes": self.fixes, "no_fix": self.no_fix}
        if self.decoder is not None:
            values.update(port=self.port, connected=self.serial is not None, sentences=self.decoder.sentences)
        return values

    def destroy_node(self):
        if self.serial is not None:
            self.serial.close()
        return super().destroy_node()


def main(args=None):
    return run_node(GnssNode, args)


