"""Power policy core: normal / saver / critical with hysteresis, actions and warnings.

The mode follows the combined state of charge of the packs present. Entering a
lower mode happens at ``*_enter``; leaving it needs the charge to climb past
``*_exit`` (a swap, a charge), so noise around a threshold never makes the
display and camera flicker between modes. ``min_dwell_s`` additionally keeps a
mode for a while after a change.

Each mode maps to actions the node applies: camera frame rate, which heavy
lifecycle nodes are parked, display brightness. Always-on work (wake word, IMU,
touch, battery) is never in a park list.

The wearer always wins where the packs allow it: a request (a wake word for full
ASR, a scan or pay intent for vision) lifts the parking of that group for
``hold_s`` when the charge present can carry the extra draw for that long, and is
refused (with the reason) only when it cannot.

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
    "normal": ModeActions(camera_fps=15.0, display_brightness=1.0),
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
    """The one low-battery warning: the facts only; the agent's cards word it."""

    t: float
    soc: float
    runtime_left_h: float
    packs_present: int

    @property
    def minutes(self) -> int:
        return max(1, int(round(self.runtime_left_h * 60.0)))


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
    holds: dict[str, float] = field(default_factory=dict)  # group -> time its request hold ends

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

    def parked_now(self, t: float) -> tuple[str, ...]:
        """Groups the mode parks, minus those held for a wearer's request."""
        return tuple(g for g in self.actions[self.mode].parked if self.holds.get(g, -math.inf) <= t)

    def request(
        self, t: float, group: str, hold_s: float, remaining_wh: float, load_w: float, extra_w: float
    ) -> tuple[bool, str]:
        """The wearer needs ``group`` (vision, asr) now: (granted, reason)."""
        if group not in self.actions[self.mode].parked:
            return True, f"{group} is running in {self.mode}"
        if not self.can_carry(remaining_wh, load_w, extra_w, hold_s / 3600.0):
            return False, f"not enough charge to run {group} for {hold_s:.0f} s ({remaining_wh:.2f} Wh left)"
        self.holds[group] = max(self.holds.get(group, -math.inf), t + hold_s)
        return True, f"{group} resumed for {hold_s:.0f} s at the wearer's request"

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
        return Warning(t, soc, runtime_left_h, packs_present)

    @staticmethod
    def can_carry(
        remaining_wh: float, load_w: float, extra_w: float, duration_h: float, reserve_wh: float = 0.0
    ) -> bool:
        """Whether the packs present can carry a requested activity on top of the present load."""
        return remaining_wh - reserve_wh >= (load_w + extra_w) * duration_h


@dataclass(frozen=True)
class ListeningOutlook:
    """What continuous transcription (captions, notes, teleprompter) costs on the packs present."""

    extra_w: float
    runtime_h: float  # hours the packs last at the present load plus extra_w
    meeting_h: float
    enough: bool


def listening_outlook(remaining_wh: float, load_w: float, extra_w: float, meeting_h: float) -> ListeningOutlook:
    """Runtime with full ASR transcribing continuously, and whether it covers a meeting of ``meeting_h``."""
    draw = max(load_w, 0.0) + extra_w
    runtime_h = remaining_wh / draw if draw > 0 else math.inf
    return ListeningOutlook(extra_w, runtime_h, meeting_h, PowerPolicy.can_carry(remaining_wh, load_w, extra_w, meeting_h))
