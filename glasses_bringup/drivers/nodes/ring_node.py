"""Ring controller node: publishes input/ring touch events (reliable, depth 10), side "ring".

Source 'ble' reads the ring's gesture notifications over BLE (bleak; see
glasses_bringup.drivers.sensors.ring); without an adapter or a ring in range the node
reports why on /diagnostics and keeps trying. Source 'sim' plays the scenario's
``ring`` entries. A rig that wants the ring to act as the temple pad remaps
input/ring to input/touch.
"""

from __future__ import annotations

from glasses_bringup.drivers.nodes.sim_support import declare_scenario
from glasses_bringup.drivers.sensors import ring as core
from glasses_bringup.drivers.sim.scenario import Cursor
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation import health as hl
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node


class RingNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("ring_controller", **kwargs)
        self.source_kind = self.declare("source", "sim", "Gesture source.", choices=("sim", "ble"))
        self.address = self.declare("address", "", "BLE: the ring's address (or set `name`).")
        self.ring_name = self.declare("name", "", "BLE: the ring's advertised name.")
        self.gesture_uuid = self.declare("gesture_uuid", core.GESTURE_UUID, "BLE: gesture notify characteristic.")
        self.reconnect_s = self.declare("reconnect_s", 5.0, "BLE: wait between connection attempts (s).",
                                        min=0.5, max=300.0)
        self.declare("hardware_id", "", "Ring model for /diagnostics.")
        self.pub = self.event_publisher("input/ring")
        self.ble: core.BleRingSource | None = None
        self.cursor = None
        self.battery: int | None = None
        if self.source_kind == "sim":
            scenario, self.start = declare_scenario(self, required=False)
            self.cursor = Cursor(scenario.entries("ring") if scenario is not None else [])
        else:
            self.ble = core.BleRingSource(self.address, self.ring_name, self.gesture_uuid, self.reconnect_s)
        self.create_timer(0.02, self.tick)

    def tick(self) -> None:
        now = self.now_s()
        if self.cursor is not None:
            for entry in self.cursor.due(now - self.start):
                self.pub.publish(ev.Touch(stamp=self.start + entry.at, gesture=entry.ring, side="ring"))
            return
        for data in self.ble.pending():
            try:
                gesture, battery = core.parse_notification(data)
            except core.RingError as exc:
                self.health.reject(exc.reason, str(exc))
                continue
            if battery is not None:
                self.battery = battery
            self.pub.publish(ev.Touch(stamp=now, gesture=gesture, side="ring"))
        if self.ble.connected:
            self.health.clear_level()
        elif self.ble.last_error:
            self.health.set_level(hl.ERROR, f"ring not connected: {self.ble.last_error}")

    def diagnostics_values(self) -> dict:
        values = {"source": self.source_kind}
        if self.ble is not None:
            values.update(connected=self.ble.connected, attempts=self.ble.attempts,
                          battery_pct="" if self.battery is None else self.battery)
        return values

    def destroy_node(self):
        if self.ble is not None:
            self.ble.close()
        return super().destroy_node()


def main(args=None):
    return run_node(RingNode, args)
