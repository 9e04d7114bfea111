"""Scenario clock node: announces each timeline entry on sim/scenario as it happens.

Testers and the demo summary read it as ground truth ("at 2.0 s the wearer said ...")
and measure end-to-end latency against it. Reliable, depth 10.
"""

from __future__ import annotations

from glasses_bringup.drivers.nodes.sim_support import declare_scenario
from glasses_bringup.drivers.sim.scenario import Cursor
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node


class ScenarioNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("scenario_clock", **kwargs)
        self.scenario, self.start = declare_scenario(self, required=True)
        self.cursor = Cursor(self.scenario.timeline)
        self.pub = self.event_publisher("sim/scenario")
        self.create_timer(0.01, self.tick)

    def tick(self) -> None:
        t = self.now_s() - self.start
        for entry in self.cursor.due(t):
            action = entry.action
            value = getattr(entry, action)
            details = value.model_dump(mode="json") if hasattr(value, "model_dump") else {"value": value}
            self.pub.publish(ev.ScenarioEvent(stamp=self.start + entry.at, at=entry.at, kind=action, details=details))
        self.health.set("scenario_time_s", f"{t:.2f}")
        self.health.set("finished", t >= self.scenario.duration_s)


def main(args=None):
    return run_node(ScenarioNode, args)
