"""Sensors added the documented way (docs/adding-a-sensor.md): one entry each, here only.

Every place that lists what runs reads this table instead of naming the sensor
itself: registry.py (executables, so setup.py and the runner know the node),
interfaces.py (the topic contract, so docs/interfaces.md and the recorder's QoS
know the topics), scenario.py (the timeline action of its simulated source),
rig.py (the node is added to each rig named in ``rigs`` unless the rig file lists
it already; launch files and ``glasses up`` build from rigs) and the power model
(``power_mw`` while the node runs).

This module imports nothing from the stack and only the standard library:
registry.py (and through it setup.py) loads it by path with runpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TopicEntry:
    name: str  # relative to the rig's namespace
    msg_type: str  # e.g. sensor_msgs/msg/NavSatFix
    qos: str  # a QoS class of interfaces.py: sensor, audio, latched, events, still, default
    schema: str | None = None  # event schema for std_msgs/String topics


@dataclass(frozen=True)
class SensorEntry:
    name: str  # executable (`ros2 run glasses_stack NAME`) and node name in the rigs
    node: str  # "module:NodeClass"
    description: str
    topics: tuple[TopicEntry, ...]
    rigs: dict[str, dict[str, Any]] = field(default_factory=dict)  # rig name -> node parameters
    respawn: bool = True
    scenario_action: str | None = None  # timeline key of the simulated source
    scenario_model: str | None = None  # "module:Model": the value type of that key (pydantic model or Literal)
    power_mw: float = 0.0  # draw from the glasses' packs while the node runs (at the load)
    power_note: str = ""


SIM = {"source": "sim", "scenario": "$(scenario)", "scenario_start": "$(scenario_start)"}

SENSORS: tuple[SensorEntry, ...] = (
    SensorEntry(
        name="gnss",
        node="glasses_bringup.drivers.nodes.gnss_node:GnssNode",
        description="GNSS receiver: NMEA 0183 on a serial port (pynmea2), or a simulated walk",
        topics=(TopicEntry("gnss/fix", "sensor_msgs/msg/NavSatFix", "sensor"),),
        rigs={
            "sim": dict(SIM),
            "jetson": {"source": "nmea", "port": "/dev/ttyTHS2", "baudrate": 9600},
        },
        scenario_action="walk",
        scenario_model="glasses_bringup.drivers.sensors.gnss:Walk",
        power_mw=25.0,
        power_note="u-blox M10-class receiver tracking continuously (~7.5 mA at 3.3 V)",
    ),
    SensorEntry(
        name="ring_controller",
        node="glasses_bringup.drivers.nodes.ring_node:RingNode",
        description="Ring controller: tap / swipe gestures as BLE notifications (bleak), or from the scenario",
        topics=(TopicEntry("input/ring", "std_msgs/msg/String", "events", "touch"),),
        rigs={
            "sim": dict(SIM),
            "jetson": {"source": "ble", "address": ""},
        },
        scenario_action="ring",
        scenario_model="glasses_bringup.drivers.sensors.ring:RingGesture",
        power_mw=1.5,
        power_note="BLE connection to the ring at a 30 ms interval; the ring has its own cell",
    ),
)


def entries() -> tuple[SensorEntry, ...]:
    return SENSORS


def by_name() -> dict[str, SensorEntry]:
    return {s.name: s for s in SENSORS}
