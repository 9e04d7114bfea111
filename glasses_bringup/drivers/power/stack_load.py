"""What is active in the running stack, as a power-model ActiveSet.

The simulated battery drains by what the stack is doing. It learns that from the
ROS graph and the standard ROS interfaces, never from /diagnostics (which carries
health, not data):

- which nodes run: the graph's node names (``nodes_running``);
- camera: its ``fps`` and ``enabled`` parameters (read once when the node appears,
  then followed on /parameter_events: ``camera_settings``);
- vision / full ASR: on while a node named in the lists runs and its lifecycle
  state (``<node>/get_state`` when it appears, then ``<node>/transition_event``:
  ``lifecycle_state``) is ``active``; a node whose state is not known yet counts
  as active, the costlier guess;
- display: the level display/brightness last said (0 while no card shows), while
  the display node runs (``display_lit``);
- catalog sensors draw their ``power_mw`` while their node runs;
- the wearer's activity (scenario ``activity`` entries in the sim rig) supplies
  what the stack cannot see: the phone link, music, the speaker.

Pure Python: the battery manager node feeds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from glasses_bringup.drivers.power.model import SENSOR_MW, ActiveSet


@dataclass
class CameraSettings:
    fps: float = 0.0
    enabled: bool = True


@dataclass
class StackObserver:
    camera_nodes: tuple[str, ...] = ("camera",)
    display_nodes: tuple[str, ...] = ("display",)
    vision_nodes: tuple[str, ...] = ("code_reader", "text_reader", "product_recognizer")
    asr_nodes: tuple[str, ...] = ("asr",)
    sensor_nodes: tuple[str, ...] = tuple(SENSOR_MW)  # catalog sensors draw while their node runs
    display_level: float = 0.0  # last display/brightness value
    running: set[str] = field(default_factory=set)
    lifecycle: dict[str, str] = field(default_factory=dict)
    cameras: dict[str, CameraSettings] = field(default_factory=dict)

    def nodes_running(self, names: Iterable[str]) -> tuple[set[str], set[str]]:
        """The graph's node names now (base names). Returns (appeared, gone): a node that
        appears has its camera settings and lifecycle state read anew (it may have respawned)."""
        now = set(names)
        appeared, gone = now - self.running, self.running - now
        for name in gone:
            self.lifecycle.pop(name, None)
            self.cameras.pop(name, None)
        self.running = now
        return appeared, gone

    def lifecycle_state(self, node: str, state: str) -> None:
        """``state`` is a lifecycle label: unconfigured, inactive, active, finalized."""
        self.lifecycle[node] = state

    def camera_settings(self, node: str, fps: float | None = None, enabled: bool | None = None) -> None:
        cam = self.cameras.setdefault(node, CameraSettings())
        if fps is not None and fps == fps:
            cam.fps = max(0.0, float(fps))
        if enabled is not None:
            cam.enabled = bool(enabled)

    def display_lit(self, level: float) -> None:
        """The display's lit level from display/brightness (0 = dark)."""
        self.display_level = max(0.0, min(1.0, float(level))) if level == level else 0.0

    def _running(self, names: Iterable[str]) -> bool:
        return any(n in self.running and self.lifecycle.get(n, "active") == "active" for n in names)

    def active_set(self, base: ActiveSet | None = None) -> ActiveSet:
        a = base or ActiveSet()
        fps = max((c.fps for n, c in self.cameras.items() if n in self.camera_nodes and n in self.running
                   and c.enabled), default=0.0)  # fmt: skip
        brightness = self.display_level if any(n in self.running for n in self.display_nodes) else 0.0
        vision = self._running(self.vision_nodes)
        asr = self._running(self.asr_nodes)
        sensors = tuple(sorted(set(a.sensors) | {n for n in self.sensor_nodes if n in self.running}))
        return a.copy(
            sensors=sensors,
            camera_fps=max(a.camera_fps, fps),
            camera_duty=1.0 if fps > 0 else a.camera_duty,
            display_brightness=max(a.display_brightness, brightness),
            vision_duty=1.0 if vision else a.vision_duty,
            asr_full_duty=1.0 if asr else a.asr_full_duty,
            soc_awake=a.soc_awake or fps > 0 or vision or asr,
        )
