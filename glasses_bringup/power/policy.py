"""Power policy core: normal / saver / critical with hysteresis, actions and warnings.

The mode follows the combined state of charge of the packs present. Entering a
lower mode happens at ``*_enter``; leaving it needs the charge to climb past
``*_exit`` (a swap, a charge), so noise around a threshold never makes the
display and camera flicker between modes. ``min_dwell_s`` additionally keeps a
mode for a while after a change.

Each mode maps to actions the node applies: camera frame rate, which heavy
lifecycle nodes are parked, display brightness. Always-on work (wake word, IMU,
touch, battery) is never in a park list.

The low-battery warning fires once, ``warn_runtime_s`` before the last charge is
predicted to run out (or at ``warn_soc``, whichever comes first), and re-arms when
the charge rises again (a fresh pack was inserted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

MODES = ("normal", "saver", "critical")


@dataclass(frozen=True)
class Thresholds:
    saver_enter: float = 0.30
    saver_exit: float = 0.35
    critical_enter: float = 0.10
    critical_exit: float = 0.15
    min_dwell_s: float = 10.0

    def check(self) -> None:
        if not (0 <= self.critical_enter < self.critical_exit <= self.saver_enter < self.saver_exit <= 1):
            raise ValueError("thresholds must satisfy critical_enter < critical_exit <= saver_enter < saver_exit")


@dataclass(frozen=True)
class ModeActions:
    camera_fps: float
    display_brightness: float
    parked: tuple[str, ...] = ()


DEFAULT_ACTIONS: dict[str, ModeActions] = {
    "normal": ModeActions(camera_fps=15.0, display_brightness=0.8),
    "saver": ModeActions(camera_fps=5.0, display_brightness=0.5, parked=("vision",)),
    "critical": ModeActions(camera_fps=1.0, display_brightness=0.25, parked=("vision", "asr")),
}


@dataclass(frozen=True)
class ModeChange:
    t: float
    old: str
    new: str
    soc: float
    reason: str


@dataclass(frozen=True)
class Warning:
    t: float
    soc: float
    runtime_left_h: float
    text: str


@dataclass
class PowerPolicy:
    thresholds: Thresholds = field(default_factory=Thresholds)
    actions: dict[str, ModeActions] = field(default_factory=lambda: dict(DEFAULT_ACTIONS))
    warn_runtime_s: float = 600.0
    warn_soc: float = 0.08
    warn_rearm_margin: float = 0.05
    mode: str = "normal"
    changed_at: float = -math.inf
    warned: bool = False
    warned_soc: float = math.nan

    def __post_init__(self) -> None:
        self.thresholds.check()

    def target_mode(self, soc: float) -> tuple[str, str]:
        """Mode the charge asks for given the current mode (hysteresis), with a reason."""
        th = self.thresholds
        if math.isnan(soc):
            return "critical", "no pack measured"
        if self.mode == "normal":
            if soc <= th.critical_enter:
                return "critical", f"charge {soc:.0%} <= {th.critical_enter:.0%}"
            if soc <= th.saver_enter:
                return "saver", f"charge {soc:.0%} <= {th.saver_enter:.0%}"
            return "normal", ""
        if self.mode == "saver":
            if soc <= th.critical_enter:
                return "critical", f"charge {soc:.0%} <= {th.critical_enter:.0%}"
            if soc >= th.saver_exit:
                return "normal", f"charge {soc:.0%} >= {th.saver_exit:.0%}"
            return "saver", ""
        # critical
        if soc >= th.saver_exit:
            return "normal", f"charge {soc:.0%} >= {th.saver_exit:.0%}"
        if soc >= th.critical_exit:
            return "saver", f"charge {soc:.0%} >= {th.critical_exit:.0%}"
        return "critical", ""

    def update(self, t: float, soc: float) -> ModeChange | None:
        """Feed the combined charge; returns the change when the mode moves."""
        target, reason = self.target_mode(soc)
        if target == self.mode:
            return None
        worse = MODES.index(target) > MODES.index(self.mode)
        # Getting worse is never delayed (the pack is running out); recovering waits the dwell.
        if not worse and t - self.changed_at < self.thresholds.min_dwell_s:
            return None
        change = ModeChange(t, self.mode, target, soc, reason)
        self.mode, self.changed_at = target, t
        return change

    def current_actions(self) -> ModeActions:
        return self.actions[self.mode]

    def check_warning(self, t: float, soc: float, runtime_left_h: float, packs_present: int) -> Warning | None:
        """The one warning before the last charge runs out; re-armed by a charge rise."""
        if math.isnan(soc):
            return None
        if self.warned:
            if soc >= self.warned_soc + self.warn_rearm_margin:
                self.warned = False
            else:
                return None
        runtime_s = runtime_left_h * 3600.0
        if runtime_s > self.warn_runtime_s and soc > self.warn_soc:
            return None
        self.warned, self.warned_soc = True, soc
        minutes = max(1, int(round(runtime_s / 60.0)))
        where = "the last pack" if packs_present <= 1 else "the batteries"
        text = f"Battery low: {where} has about {minutes} minutes left. Swap a pack to keep going."
        return Warning(t, soc, runtime_left_h, text)

    @staticmethod
    def can_carry(
        remaining_wh: float, load_w: float, extra_w: float, duration_h: float, reserve_wh: float = 0.0
    ) -> bool:
        """Whether the packs present can carry a requested activity on top of the present load."""
        return remaining_wh - reserve_wh >= (load_w + extra_w) * duration_h
