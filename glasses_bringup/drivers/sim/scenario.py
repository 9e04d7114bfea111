"""Scenario files: a timeline a tester can read and write, driving every simulated sensor.

    name: demo
    duration_s: 30
    seed: 7
    timeline:
      - {at: 1.0, touch: tap}
      - {at: 2.0, say: {text: "navigate to the train station", clip: audio/navigate.wav, snr_db: 15}}
      - {at: 9.0, show: {kind: qr, text: "glasspay://pay?payee=Cafe&amount=12.50", duration_s: 4}}
      - {at: 12.0, battery_pull: left}
      - {at: 40.0, battery_insert: {slot: left, soc: 0.95}}
      - {at: 15.0, head: nod}
      - {at: 3.0, motion: walk}
      - {at: 5.0, walk: {start: [31.2304, 121.4737], heading_deg: 90, duration_s: 60}}   # GNSS
      - {at: 6.0, ring: tap}

Each timeline entry has ``at`` (seconds from start) and exactly one action. The
same scenario and seed always render the same sensor data. Sensors of
glasses_bringup/foundation/sensor_catalog.py add their own actions (``walk``, ``ring``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator


class ScenarioError(ValueError):
    """A scenario file that cannot be read or does not validate."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Say(Strict):
    text: str = Field(description="what is said (also the transcript ground truth); by the wearer unless gain_db < 0")
    clip: str | None = Field(default=None, description="wav file, relative to the scenario file or assets/")
    snr_db: float | None = Field(default=None, description="background noise level for this utterance")
    lang: str = "en"
    gain_db: float = Field(default=0.0, ge=-60.0, le=20.0, description="level at the mics relative to the wearer's "
                           "voice: someone else speaking a metre or two away is about -14 dB")  # fmt: skip


class Show(Strict):
    kind: Literal["qr", "ean13", "upca", "product", "text", "image"]
    text: str = Field(default="", description="code payload, product id, or text to show")
    image: str | None = Field(default=None, description="image asset for kind=image/product")
    duration_s: float = Field(default=3.0, gt=0)
    size: float = Field(default=0.35, gt=0, le=1.0, description="code width as a fraction of frame width")
    center: tuple[float, float] = Field(default=(0.5, 0.5), description="normalized position in the frame")
    tilt_deg: float = Field(default=10.0, ge=0, le=60, description="perspective tilt")
    rotate_deg: float = 0.0
    blur: float = Field(default=0.0, ge=0, le=10, description="Gaussian blur sigma in pixels")
    glare: float = Field(default=0.0, ge=0, le=1, description="strength of a specular highlight")
    noise: float = Field(default=2.0, ge=0, le=50, description="sensor noise sigma (0-255 scale)")


class BatteryInsert(Strict):
    slot: Literal["left", "right"]
    soc: float = Field(default=1.0, ge=0, le=1)


class Entry(Strict):
    at: float = Field(ge=0)
    say: Say | None = None
    touch: Literal["tap", "double_tap", "long_press", "swipe_forward", "swipe_back"] | None = None
    head: Literal["nod", "shake"] | None = None
    motion: Literal["still", "walk"] | None = None
    show: Show | None = None
    battery_pull: Literal["left", "right"] | None = None
    battery_insert: BatteryInsert | None = None
    activity: str | None = Field(default=None, description="label of what the wearer is doing (power model)")

    @model_validator(mode="after")
    def _one_action(self) -> Entry:
        actions = [k for k in ACTIONS if getattr(self, k) is not None]
        if len(actions) != 1:
            raise ValueError(f"entry at {self.at}s needs exactly one action of {ACTIONS}, got {actions}")
        return self

    @property
    def action(self) -> str:
        return next(k for k in ACTIONS if getattr(self, k) is not None)


ACTIONS = ("say", "touch", "head", "motion", "show", "battery_pull", "battery_insert", "activity")


def _sensor_actions() -> dict[str, object]:
    """Timeline actions of the sensors in glasses_bringup/foundation/sensor_catalog.py: key -> value type."""
    import importlib

    from glasses_bringup.foundation.sensor_catalog import SENSORS

    out = {}
    for sensor in SENSORS:
        if sensor.scenario_action:
            module, name = sensor.scenario_model.split(":")
            out[sensor.scenario_action] = getattr(importlib.import_module(module), name)
    return out


SENSOR_ACTIONS = _sensor_actions()
Entry = create_model(  # noqa: F811 - the entry grows one optional field per catalog sensor action
    "Entry", __base__=Entry, **{key: (kind | None, None) for key, kind in SENSOR_ACTIONS.items()}
)
ACTIONS = ACTIONS + tuple(SENSOR_ACTIONS)


class Pack(Strict):
    soc: float = Field(default=1.0, ge=0, le=1)
    present: bool = True


class Scenario(Strict):
    name: str
    description: str = ""
    duration_s: float = Field(gt=0)
    seed: int = 0
    variant: Literal["s1", "g1"] = "s1"
    noise_snr_db: float = Field(default=30.0, description="background noise level (dB SNR vs speech)")
    batteries: dict[Literal["left", "right"], Pack] = Field(
        default_factory=lambda: {"left": Pack(), "right": Pack()}
    )
    timeline: list[Entry] = Field(default_factory=list)
    path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _sorted(self) -> Scenario:
        self.timeline.sort(key=lambda e: e.at)
        late = [e.at for e in self.timeline if e.at > self.duration_s]
        if late:
            raise ValueError(f"timeline entries after duration_s={self.duration_s}: {late}")
        return self

    def entries(self, action: str) -> list[Entry]:
        return [e for e in self.timeline if e.action == action]

    def resolve(self, relative: str) -> Path:
        """Find an asset: absolute, next to the scenario file, or in the package assets/."""
        p = Path(relative)
        candidates = [p]
        if self.path is not None:
            candidates.append(self.path.parent / p)
        candidates.append(assets_dir() / p)
        for c in candidates:
            if c.exists():
                return c
        raise ScenarioError(f"asset not found: {relative} (looked in {[str(c) for c in candidates]})")

    def motion_at(self, t: float) -> str:
        mode = "still"
        for e in self.entries("motion"):
            if e.at <= t:
                mode = e.motion
        return mode

    def shows_at(self, t: float) -> list[tuple[Entry, Show]]:
        return [(e, e.show) for e in self.entries("show") if e.at <= t < e.at + e.show.duration_s]


def assets_dir() -> Path:
    from glasses_bringup.foundation.paths import share_path

    return share_path("assets")


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file; ScenarioError says what is wrong and where."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise ScenarioError(f"{path}: a scenario is a mapping with name, duration_s, timeline")
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as exc:
        errs = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise ScenarioError(f"{path}: {errs}") from None
    scenario.path = path.resolve()
    return scenario


class Cursor:
    """Walks a timeline: ``due(t)`` returns the entries whose time has come since the last call."""

    def __init__(self, entries: list[Entry]):
        self.entries = sorted(entries, key=lambda e: e.at)
        self.index = 0

    def due(self, t: float) -> list[Entry]:
        out = []
        while self.index < len(self.entries) and self.entries[self.index].at <= t:
            out.append(self.entries[self.index])
            self.index += 1
        return out

    @property
    def done(self) -> bool:
        return self.index >= len(self.entries)
