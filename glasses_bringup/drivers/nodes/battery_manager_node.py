"""Battery manager node: one sensor_msgs/BatteryState per slot plus the combined one, latched.

Publishes power/battery/left, power/battery/right and power/battery (reliable,
transient local) every ``publish_period_s`` and at once on a swap. Percentage is
0..1, current negative while discharging, NaN where unmeasured; an empty slot
is published with ``present`` false. Sources:

- ``sim``: packs from the scenario (``batteries``, ``battery_pull``,
  ``battery_insert``), drained by the power model of what the running stack has
  active plus the scenario's ``activity``. What is active comes from the ROS graph
  (which nodes run), the camera's ``fps`` / ``enabled`` parameters (read when it
  appears, then /parameter_events), the vision and ASR nodes' lifecycle states
  (``get_state`` when they appear, then ``transition_event``) and display/brightness,
  never from /diagnostics (power/stack_load.py); ``time_scale`` speeds up
  the discharge for short scenarios.
- ``link``: raw fuel-gauge readings the co-processor link node publishes on
  power/gauge/left and power/gauge/right (docs/coprocessor-link.md), stamped
  with the MCU's measurement time.

The simulated drain follows the display's lit level from display/brightness.

Rejected readings (NaN, non-positive capacity, a pack present in two slots...)
are counted on /diagnostics by reason and change nothing.
"""

from __future__ import annotations

import math

import numpy as np
from lifecycle_msgs.msg import TransitionEvent
from lifecycle_msgs.srv import GetState
from rcl_interfaces.msg import ParameterEvent, ParameterType
from rcl_interfaces.srv import GetParameters
from rclpy.qos import qos_profile_parameter_events
from sensor_msgs.msg import BatteryState
from std_msgs.msg import Float32

from glasses_bringup.drivers.nodes.sim_support import declare_scenario
from glasses_bringup.drivers.power import pack_health as ph
from glasses_bringup.drivers.power.fuel_gauge import GaugeConfig
from glasses_bringup.drivers.power.manager import (
    LOCATIONS,
    SLOTS,
    BatteryManager,
    PackReading,
    ReadingError,
    Slot,
    SwapNotice,
)
from glasses_bringup.drivers.power.model import PowerModel, activity
from glasses_bringup.drivers.power.sim_pack import PackBank, SimPack
from glasses_bringup.drivers.power.stack_load import StackObserver
from glasses_bringup.drivers.sim.scenario import Cursor
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node

NAN = math.nan


class BatteryManagerNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("battery_manager", **kwargs)
        self.source_kind = self.declare("source", "sim", "Fuel-gauge source.", choices=("sim", "link"))
        self.period = self.declare("publish_period_s", 1.0, "BatteryState publish period (s).", min=0.05, max=60.0)
        design_mah = self.declare(
            "design_capacity_mah", 280.0, "Design capacity of one pack (mAh).", min=10.0, max=10000.0
        )
        gauge = GaugeConfig(
            design_capacity_ah=design_mah / 1000.0,
            internal_resistance_ohm=self.declare(
                "internal_resistance_ohm", 0.25, "Pack resistance for IR-drop compensation (ohm).", min=0.0, max=5.0
            ),
            light_load_a=self.declare(
                "light_load_ma", 20.0, "Current below which a pack rests (mA).", min=0.0, max=1000.0
            )
            / 1000.0,
            relax_s=self.declare("relax_s", 60.0, "Rest before the OCV reading is trusted (s).", min=0.0, max=3600.0),
            ocv_tau_s=self.declare(
                "ocv_tau_s", 120.0, "Time constant of the pull toward OCV (s).", min=1.0, max=36000.0
            ),
        )
        self.manager = BatteryManager(
            gauge_config=gauge,
            reading_timeout_s=self.declare(
                "reading_timeout_s", 5.0, "A slot silent this long counts as removed (s).", min=0.5, max=600.0
            ),
        )
        self.hardware_id = self.declare("hardware_id", "", "Fuel-gauge chip / link name for /diagnostics.")
        self.notices = 0
        self.swaps: dict[str, int] = {"inserted": 0, "removed": 0, "lost": 0}
        self.pubs = {
            slot: self.create_publisher(BatteryState, f"power/battery/{slot}", gq.for_topic(f"power/battery/{slot}"))
            for slot in SLOTS
        }
        self.combined_pub = self.create_publisher(BatteryState, "power/battery", gq.for_topic("power/battery"))
        if self.source_kind == "sim":
            self._init_sim()
        else:
            self._init_gauge_topics()
        self.create_timer(self.period, self.tick)

    # -- sources -------------------------------------------------------------------

    def _init_sim(self) -> None:
        self.scenario, self.start = declare_scenario(self, required=True)
        self.time_scale = self.declare(
            "time_scale", 1.0, "Sim discharge speed-up (1 = real time).", min=0.01, max=100000.0
        )
        seed = self.declare("seed", -1, "Noise seed; -1 = the scenario's seed.", min=-1, max=2**31 - 1)
        self.observer = StackObserver(
            camera_nodes=tuple(self.declare("camera_nodes", ["camera"], "Nodes whose frame rate is camera load.")),
            display_nodes=tuple(self.declare("display_nodes", ["display"], "Nodes that drive the display.")),
            vision_nodes=tuple(
                self.declare("vision_nodes", ["code_reader", "text_reader", "product_recognizer"], "Vision nodes.")
            ),
            asr_nodes=tuple(self.declare("asr_nodes", ["asr"], "Full-ASR nodes.")),
        )
        self.model = PowerModel()
        self.bank = PackBank(rng=np.random.default_rng(self.scenario.seed if seed < 0 else seed))
        self.pack_count = 0
        for slot in SLOTS:
            spec = self.scenario.batteries.get(slot)
            if spec is not None and spec.present:
                self.bank.insert(slot, self._new_pack(slot, spec.soc))
        self.swap_cursor = Cursor(self.scenario.entries("battery_pull") + self.scenario.entries("battery_insert"))
        self.activity_entries = self.scenario.entries("activity")
        self.sim_last: float | None = None
        self.load_w = 0.0
        self.create_subscription(ParameterEvent, "/parameter_events", self._on_parameter_event,
                                 qos_profile_parameter_events)
        self.camera_clients = {n: self.create_client(GetParameters, f"{n}/get_parameters")
                               for n in self.observer.camera_nodes}
        self.state_clients = {}
        for node in (*self.observer.vision_nodes, *self.observer.asr_nodes):
            self.state_clients[node] = self.create_client(GetState, f"{node}/get_state")
            self.create_subscription(TransitionEvent, f"{node}/transition_event",
                                     lambda m, n=node: self.observer.lifecycle_state(n, m.goal_state.label), 10)
        self.to_read: set[str] = set()  # nodes that appeared and whose settings or state are still to read
        self.create_subscription(Float32, "display/brightness", lambda m: self.observer.display_lit(m.data),
                                 gq.for_topic("display/brightness"))

    def _new_pack(self, slot: str, soc: float) -> SimPack:
        self.pack_count += 1
        cap = self.manager.gauge_config.design_capacity_ah
        return SimPack(f"sim-{slot}-{self.pack_count}", soc=soc, capacity_ah=cap, design_capacity_ah=cap)

    def _watch_stack(self) -> None:
        """Which nodes of this namespace run (the graph), and the settings of those that appeared."""
        ns = self.get_namespace()
        appeared, _ = self.observer.nodes_running(n for n, node_ns in self.get_node_names_and_namespaces()
                                                  if node_ns == ns)  # fmt: skip
        self.to_read |= appeared & (set(self.camera_clients) | set(self.state_clients))
        for node in sorted(self.to_read):
            client = self.camera_clients.get(node) or self.state_clients[node]
            if not client.service_is_ready():
                continue  # just appeared: its services come up a moment later
            self.to_read.discard(node)
            if node in self.camera_clients:
                future = client.call_async(GetParameters.Request(names=["fps", "enabled"]))
                future.add_done_callback(lambda f, n=node: self._camera_read(n, f.result()))
            else:
                future = client.call_async(GetState.Request())
                future.add_done_callback(lambda f, n=node: f.result() is not None and
                                         self.observer.lifecycle_state(n, f.result().current_state.label))

    def _camera_read(self, node: str, result) -> None:
        if result is None or len(result.values) != 2:
            self.to_read.add(node)  # ask again next tick
            return
        fps, enabled = result.values
        self.observer.camera_settings(
            node, fps=fps.double_value if fps.type == ParameterType.PARAMETER_DOUBLE else None,
            enabled=enabled.bool_value if enabled.type == ParameterType.PARAMETER_BOOL else None)

    def _on_parameter_event(self, msg: ParameterEvent) -> None:
        ns, _, node = msg.node.rpartition("/")
        if node not in self.camera_clients or (ns or "/") != self.get_namespace():
            return
        for param in (*msg.new_parameters, *msg.changed_parameters):
            if param.name == "fps" and param.value.type == ParameterType.PARAMETER_DOUBLE:
                self.observer.camera_settings(node, fps=param.value.double_value)
            elif param.name == "enabled" and param.value.type == ParameterType.PARAMETER_BOOL:
                self.observer.camera_settings(node, enabled=param.value.bool_value)

    def _activity_at(self, t: float) -> str:
        name = "idle"
        for e in self.activity_entries:
            if e.at <= t:
                name = e.activity
        return name

    def _sim_step(self, now: float) -> None:
        t = now - self.start
        for entry in self.swap_cursor.due(t):
            if entry.battery_pull is not None:
                if self.bank.pull(entry.battery_pull) is None:
                    self.health.error(f"scenario pulls the empty {entry.battery_pull} slot")
                else:
                    self.get_logger().info(f"sim: {entry.battery_pull} pack pulled at t={t:.1f}s")
            else:
                ins = entry.battery_insert
                if self.bank.slots[ins.slot] is not None:
                    self.health.error(f"scenario inserts into the occupied {ins.slot} slot")
                else:
                    self.bank.insert(ins.slot, self._new_pack(ins.slot, ins.soc))
                    self.get_logger().info(f"sim: {ins.slot} pack inserted ({ins.soc:.0%}) at t={t:.1f}s")
        try:
            base = activity(self._activity_at(t))
        except ValueError as exc:
            self.health.error(str(exc))
            base = activity("idle")
        self._watch_stack()
        active = self.observer.active_set(base)
        self.load_w = self.model.battery_w(active)
        dt = 0.0 if self.sim_last is None else max(now - self.sim_last, 0.0)
        self.sim_last = now
        self.bank.step(self.load_w, dt * self.time_scale)
        self.health.set("sim_load_mw", f"{self.load_w * 1000:.0f}")
        self.health.set("sim_camera_fps", f"{active.camera_fps:.1f}")
        # The gauge runs on sim time (scaled), so its coulomb count matches the drain.
        gauge_t = self.start + t * self.time_scale
        for r in self.bank.readings(gauge_t):
            self._ingest(r, now)

    def _init_gauge_topics(self) -> None:
        self.link_started = self.now_s()
        for slot in SLOTS:
            self.create_subscription(BatteryState, f"power/gauge/{slot}", lambda m, s=slot: self._on_gauge(s, m),
                                     gq.for_topic(f"power/gauge/{slot}"))

    def _on_gauge(self, slot: str, msg: BatteryState) -> None:
        reading = PackReading(
            slot=slot, present=bool(msg.present), t=self.stamp_s(msg.header), voltage_v=float(msg.voltage),
            current_a=float(msg.current), temperature_c=float(msg.temperature),
            design_capacity_ah=float(msg.design_capacity), serial=msg.serial_number,
            soc_hint=None if math.isnan(msg.percentage) else float(msg.percentage),
        )
        self._ingest(reading, self.now_s())

    # -- manager ----------------------------------------------------------------------

    def _ingest(self, reading, now: float) -> None:
        try:
            notices = self.manager.ingest(reading)
        except ReadingError as exc:
            self.health.reject(exc.reason, exc.detail)
            self.get_logger().warning(f"rejected fuel-gauge reading: {exc}", throttle_duration_sec=2.0)
            return
        self.health.tick(f"readings.{reading.slot}")
        for n in notices:
            self._notice(n)

    def _notice(self, n: SwapNotice) -> None:
        self.swaps[n.kind] = self.swaps.get(n.kind, 0) + 1
        self.notices += 1
        soc = "unknown" if math.isnan(n.soc) else f"{n.soc:.0%}"
        self.get_logger().info(f"{n.slot} pack {n.kind} ({n.serial or 'no serial'}, charge {soc})")
        self.publish_states()

    def tick(self) -> None:
        now = self.now_s()
        if self.source_kind == "sim":
            self._sim_step(now)
        else:
            for notice in self.manager.expire(now):
                self._notice(notice)
            heard = any(slot.last_t is not None for slot in self.manager.slots.values())
            if not heard and now - self.link_started > self.manager.reading_timeout_s:
                self.health.set_level(1, "no fuel-gauge readings on power/gauge/* (is coprocessor_link up?)")
            elif heard:
                self.health.clear_level()
        self.publish_states()

    # -- messages ---------------------------------------------------------------------

    def _slot_msg(self, slot: Slot, stamp) -> BatteryState:
        msg = BatteryState()
        msg.header.stamp = stamp
        msg.header.frame_id = f"battery_{slot.name}"
        msg.location = LOCATIONS[slot.name]
        msg.power_supply_technology = ph.TECHNOLOGY_LIPO
        msg.present = slot.present
        design = self.manager.gauge_config.design_capacity_ah
        msg.design_capacity = float(design if math.isnan(slot.design_capacity_ah) else slot.design_capacity_ah)
        if not slot.present:
            msg.voltage = msg.temperature = msg.current = msg.charge = msg.capacity = msg.percentage = NAN
            msg.power_supply_status = ph.STATUS_UNKNOWN
            msg.power_supply_health = ph.HEALTH_UNKNOWN
            return msg
        msg.voltage = float(slot.voltage_v)
        msg.current = float(slot.current_a)
        msg.temperature = float(slot.temperature_c)
        msg.percentage = float(slot.soc)
        msg.capacity = float(slot.full_capacity_ah)
        msg.charge = float(slot.remaining_ah)
        msg.cell_voltage = [float(slot.voltage_v)]
        msg.cell_temperature = [float(slot.temperature_c)]
        msg.serial_number = slot.serial
        msg.power_supply_status = ph.status_code(slot.current_a, slot.soc, True)
        msg.power_supply_health = ph.health_code(slot.gauge.health, slot.temperature_c)
        return msg

    def publish_states(self) -> None:
        stamp = self.now_msg()
        for name, slot in self.manager.slots.items():
            self.pubs[name].publish(self._slot_msg(slot, stamp))
        c = self.manager.combined()
        msg = BatteryState()
        msg.header.stamp = stamp
        msg.header.frame_id = "battery"
        msg.location = "both temples"
        msg.power_supply_technology = ph.TECHNOLOGY_LIPO
        msg.present = c.present
        msg.design_capacity = float(self.manager.gauge_config.design_capacity_ah * len(SLOTS))
        msg.voltage, msg.current, msg.percentage = float(c.voltage_v), float(c.current_a), float(c.soc)
        msg.charge = float(c.remaining_ah) if c.present else NAN
        msg.capacity = float(c.full_capacity_ah)
        msg.temperature = NAN
        msg.power_supply_status = ph.status_code(c.current_a, c.soc, c.present)
        msg.power_supply_health = ph.HEALTH_GOOD if c.present else ph.HEALTH_UNKNOWN
        self.combined_pub.publish(msg)
        self.health.tick("published")

    def diagnostics_values(self) -> dict:
        c = self.manager.combined()
        out = {
            "source": self.source_kind,
            "swap_state": c.swap_state,
            "soc": "nan" if math.isnan(c.soc) else f"{c.soc:.3f}",
            **{f"swaps.{k}": v for k, v in self.swaps.items()},
        }
        for name, slot in self.manager.slots.items():
            out[f"{name}.present"] = slot.present
            out[f"{name}.soc"] = "nan" if math.isnan(slot.soc) else f"{slot.soc:.3f}"
            if slot.present and slot.gauge is not None:
                out[f"{name}.health"] = f"{slot.gauge.health:.2f}"
        return out


def main(args=None):
    return run_node(BatteryManagerNode, args)
