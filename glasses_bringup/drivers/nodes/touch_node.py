"""Touch temple node: publishes input/touch gesture events (reliable, depth 10).

Source 'sim' plays the scenario's `touch` entries, stamped with their scenario time.
"""

from __future__ import annotations

from glasses_bringup.drivers.nodes.sim_support import declare_scenario
from glasses_bringup.drivers.sim.scenario import Cursor
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node


class TouchNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("touch", **kwargs)
        self.source_kind = self.declare("source", "sim", "Gesture source.", choices=("sim",))
        self.side = self.declare("side", "right", "Temple with the touch pad.", choices=("right", "left"))
        self.scenario, self.start = declare_scenario(self, required=True)
        self.cursor = Cursor(self.scenario.entries("touch"))
        self.pub = self.event_publisher("input/touch")
        self.create_timer(0.01, self.tick)

    def tick(self) -> None:
        for entry in self.cursor.due(self.now_s() - self.start):
            self.pub.publish(ev.Touch(stamp=self.start + entry.at, gesture=entry.touch, side=self.side))


def main(args=None):
    return run_node(TouchNode, args)
