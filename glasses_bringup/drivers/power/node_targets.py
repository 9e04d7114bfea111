"""What the power policy wants of other nodes, kept until each one confirms.

A target is a parameter value (the camera's ``fps``, the display's ``brightness``)
or a lifecycle state (a vision or ASR node ``active`` / ``inactive``). As nav2's
lifecycle manager does for its nodes, the keeper holds every target until its
service confirms it: the node asks for the ``due()`` ones on each tick, reports
what the service answered, and a node that is missing or refuses is simply due
again on the next tick (never a crash, never forgotten). Plain Python: the
power policy node owns the service clients.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(eq=False)
class Target:
    key: str  # param:<node>:<name> or lifecycle:<node>
    group: str  # camera, display, vision, asr
    desired: float | str
    confirmed: bool = False
    pending: bool = False  # a request is on its way
    attempts: int = 0  # times the service was not there

    @property
    def kind(self) -> str:
        return self.key.partition(":")[0]

    @property
    def node(self) -> str:
        return self.key.split(":")[1]

    @property
    def parameter(self) -> str:
        return self.key.split(":")[2] if self.kind == "param" else ""


def param_key(node: str, name: str) -> str:
    return f"param:{node}:{name}"


def lifecycle_key(node: str) -> str:
    return f"lifecycle:{node}"


class TargetKeeper:
    def __init__(self) -> None:
        self.targets: dict[str, Target] = {}

    def plan(self, wanted: dict[str, tuple[str, float | str]]) -> None:
        """New wishes (key -> (group, desired)). A target already confirmed or on its way with
        the same wish is kept, not sent again; a changed wish replaces it (superseding its answer)."""
        planned = {}
        for key, (group, desired) in wanted.items():
            old = self.targets.get(key)
            planned[key] = old if old is not None and old.desired == desired else Target(key, group, desired)
        self.targets = planned

    def due(self) -> list[Target]:
        """Targets to ask for now: neither confirmed nor waiting for an answer."""
        return [t for t in self.targets.values() if not (t.confirmed or t.pending)]

    def sent(self, target: Target) -> None:
        target.pending = True

    def unavailable(self, target: Target) -> int:
        """Its service is not there: counted, due again next tick. Returns the attempts so far."""
        target.attempts += 1
        return target.attempts

    def current(self, target: Target) -> bool:
        """Whether ``target`` is still the wish for its key (a newer plan supersedes it)."""
        return self.targets.get(target.key) is target

    def answered(self, target: Target, confirmed: bool) -> bool:
        """The service answered. False when a newer plan superseded this target (its answer is void)."""
        target.pending = False
        live = self.current(target)
        if live and confirmed:
            target.confirmed = True
        return live

    def waiting(self) -> list[str]:
        return [k for k, t in self.targets.items() if not t.confirmed]

    def confirmed_count(self) -> int:
        return sum(t.confirmed for t in self.targets.values())
