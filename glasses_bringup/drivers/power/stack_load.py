"""What is active in the running stack, as a power-model ActiveSet.

Every node reports its streams' rates on /diagnostics and lifecycle nodes report
the key ``lifecycle``: that health says which nodes run and how fast. The one
datum health cannot carry, the display's lit level, comes from the display's own
latched topic display/brightness (``display_lit``). This module turns both into the
power model's inputs (pure Python; the battery manager node feeds it):

- camera: the measured frame rate of its ``frames`` stream while it reports;
- display: the level display/brightness last said (0 while no card shows), while
  the display node is alive on /diagnostics;
- vision / full ASR: on while any node named in the lists reports lifecycle
  ``active`` (or reports at all, for plain nodes);
- the wearer's activity (scenario ``activity`` entries in the sim rig) supplies
  what the stack cannot see: the phone link, music, the speaker.

Reports older than ``stale_s`` count as the node being gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasses_bringup.drivers.power.model import SENSOR_MW, ActiveSet


@dataclass
class NodeReport:
    t: float
    values: dict[str, str]


def _float(values: dict[str, str], key: str, default: float) -> float:
    try:
        return float(values[key])
    except (KeyError, ValueError):
        return default


@dataclass
class StackObserver:
    camera_nodes: tuple[str, ...] = ("camera",)
    display_nodes: tuple[str, ...] = ("display",)
    vision_nodes: tuple[str, ...] = ("code_reader", "text_reader", "product_recognizer")
    asr_nodes: tuple[str, ...] = ("asr",)
    sensor_nodes: tuple[str, ...] = tuple(SENSOR_MW)  # catalog sensors draw while their node reports
    stale_s: float = 5.0
    display_level: float = 0.0  # last display/brightness value
    reports: dict[str, NodeReport] = field(default_factory=dict)

    def display_lit(self, level: float) -> None:
        """The display's lit level from display/brightness (0 = dark)."""
        self.display_level = max(0.0, min(1.0, float(level))) if level == level else 0.0

    def update(self, status_name: str, values: dict[str, str], t: float) -> None:
        """Record one DiagnosticStatus (name is the node's fully qualified name)."""
        self.reports[status_name.rstrip("/").rsplit("/", 1)[-1]] = NodeReport(t, values)

    def _live(self, names, t: float):
        for name in names:
            r = self.reports.get(name)
            if r is not None and t - r.t <= self.stale_s:
                yield r

    def _running(self, names, t: float) -> bool:
        return any(r.values.get("lifecycle", "active") == "active" for r in self._live(names, t))

    def active_set(self, t: float, base: ActiveSet | None = None) -> ActiveSet:
        a = base or ActiveSet()
        fps = 0.0
        for r in self._live(self.camera_nodes, t):
            if r.values.get("enabled", "True") != "False":
                fps = max(fps, _float(r.values, "frames.rate_hz", 0.0))
        brightness = self.display_level if any(True for _ in self._live(self.display_nodes, t)) else 0.0
        vision = self._running(self.vision_nodes, t)
        asr = self._running(self.asr_nodes, t)
        sensors = tuple(sorted(set(a.sensors) | {n for n in self.sensor_nodes if any(self._live([n], t))}))
        return a.copy(
            sensors=sensors,
            camera_fps=max(a.camera_fps, fps),
            camera_duty=1.0 if fps > 0 else a.camera_duty,
            display_brightness=max(a.display_brightness, brightness),
            vision_duty=1.0 if vision else a.vision_duty,
            asr_full_duty=1.0 if asr else a.asr_full_duty,
            soc_awake=a.soc_awake or fps > 0 or vision or asr,
        )
