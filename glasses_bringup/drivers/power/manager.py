"""Battery manager core: two hot-swappable slots, reading validation, swap detection.

Readings come from the simulated packs or the co-processor's fuel-gauge link,
one per slot. A reading that cannot be true (NaN voltage or current, a capacity
that is not positive, a voltage outside what a Li-ion cell can show, a pack
serial already present in the other slot, time running backwards, a current,
temperature or capacity outside what a glasses pack and its gauge can show) raises
``ReadingError`` with a countable reason and changes nothing. Presence changes
become ``SwapNotice``s; a newly inserted pack gets a fresh gauge started from its
voltage (its charge is unknown: it may have been charged while out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from glasses_bringup.drivers.power.fuel_gauge import FuelGauge, GaugeConfig
from glasses_bringup.foundation.errors import ReasonError

SLOTS = ("left", "right")
LOCATIONS = {"left": "left temple", "right": "right temple"}
MIN_CELL_V, MAX_CELL_V = 2.0, 4.6  # outside this a reading is a sensing fault, not a cell
# Bounds of what a temple pack (a few hundred mAh) and its gauge can really show; beyond
# them a reading is a sensing or link fault. One such reading integrated as current would
# move the state of charge to 0 or 1 for good, so it is rejected, not clamped.
MAX_CURRENT_A = 5.0  # about 18 C on a 280 mAh pack: no glasses load or charger comes near
MIN_TEMP_C, MAX_TEMP_C = -40.0, 100.0  # a Li-ion gauge's measuring range; the cell is dead beyond it
MIN_CAPACITY_AH, MAX_CAPACITY_AH = 0.01, 10.0


class ReadingError(ReasonError, ValueError):
    """A fuel-gauge reading rejected; ``reason`` is a short countable label."""


@dataclass
class PackReading:
    """One slot's raw fuel-gauge reading. Current is negative while discharging."""

    slot: str
    present: bool
    t: float
    voltage_v: float = math.nan
    current_a: float = math.nan
    temperature_c: float = math.nan
    design_capacity_ah: float = math.nan
    serial: str = ""
    soc_hint: float | None = None  # a gauge chip's own estimate, if the link sends one


@dataclass(frozen=True)
class SwapNotice:
    kind: str  # "inserted" | "removed" | "lost" (no reading for reading_timeout_s)
    slot: str
    t: float
    soc: float = math.nan
    serial: str = ""


@dataclass
class Slot:
    name: str
    present: bool = False
    serial: str = ""
    gauge: FuelGauge | None = None
    voltage_v: float = math.nan
    current_a: float = math.nan
    temperature_c: float = math.nan
    design_capacity_ah: float = math.nan
    last_t: float | None = None
    inserted_at: float | None = None

    @property
    def soc(self) -> float:
        return self.gauge.soc if (self.present and self.gauge) else math.nan

    @property
    def full_capacity_ah(self) -> float:
        return self.gauge.full_capacity_ah if (self.present and self.gauge) else math.nan

    @property
    def remaining_ah(self) -> float:
        return self.gauge.remaining_ah if (self.present and self.gauge) else 0.0


@dataclass
class Combined:
    present: bool
    soc: float
    voltage_v: float
    current_a: float
    remaining_ah: float
    full_capacity_ah: float
    swap_state: str


@dataclass
class BatteryManager:
    gauge_config: GaugeConfig = field(default_factory=GaugeConfig)
    reading_timeout_s: float = 5.0
    slots: dict[str, Slot] = field(default_factory=lambda: {s: Slot(s) for s in SLOTS})
    learned_capacity_ah: dict[str, float] = field(default_factory=dict)  # by pack serial

    def validate(self, r: PackReading) -> None:
        if r.slot not in self.slots:
            raise ReadingError("unknown_slot", repr(r.slot))
        if not math.isfinite(r.t):
            raise ReadingError("bad_time", f"t={r.t}")
        slot = self.slots[r.slot]
        if slot.last_t is not None and r.t < slot.last_t:
            raise ReadingError("time_backwards", f"{r.slot}: {r.t} < {slot.last_t}")
        if not r.present:
            return
        if not (math.isfinite(r.voltage_v) and math.isfinite(r.current_a)):
            raise ReadingError("nan", f"{r.slot}: voltage={r.voltage_v} current={r.current_a}")
        if not (MIN_CELL_V <= r.voltage_v <= MAX_CELL_V):
            raise ReadingError("voltage_out_of_range", f"{r.slot}: {r.voltage_v} V")
        if abs(r.current_a) > MAX_CURRENT_A:
            raise ReadingError("current_out_of_range", f"{r.slot}: {r.current_a} A")
        if not math.isnan(r.temperature_c) and not (MIN_TEMP_C <= r.temperature_c <= MAX_TEMP_C):
            raise ReadingError("temperature_out_of_range", f"{r.slot}: {r.temperature_c} C")
        if not math.isnan(r.design_capacity_ah) and not (
            MIN_CAPACITY_AH <= r.design_capacity_ah <= MAX_CAPACITY_AH
        ):
            raise ReadingError("bad_capacity", f"{r.slot}: {r.design_capacity_ah} Ah")
        if r.soc_hint is not None and not (0.0 <= r.soc_hint <= 1.0):
            raise ReadingError("bad_soc", f"{r.slot}: {r.soc_hint}")
        if r.serial:
            for other in self.slots.values():
                if other.name != r.slot and other.present and other.serial == r.serial:
                    raise ReadingError("duplicate_pack", f"pack {r.serial} already present in {other.name}")

    def ingest(self, r: PackReading) -> list[SwapNotice]:
        """Apply one reading; ReadingError (nothing changed) if it cannot be true."""
        self.validate(r)
        slot = self.slots[r.slot]
        slot.last_t = r.t
        notices: list[SwapNotice] = []
        if not r.present:
            if slot.present:
                notices.append(self._remove(slot, r.t, "removed"))
            return notices
        changed_pack = slot.present and r.serial and slot.serial and r.serial != slot.serial
        if changed_pack:  # swapped between two readings: a removal and an insertion
            notices.append(self._remove(slot, r.t, "removed"))
        slot.voltage_v, slot.current_a, slot.temperature_c = r.voltage_v, r.current_a, r.temperature_c
        if not math.isnan(r.design_capacity_ah):
            slot.design_capacity_ah = r.design_capacity_ah
        if not slot.present:
            slot.present, slot.serial, slot.inserted_at = True, r.serial, r.t
            config = self.gauge_config
            if not math.isnan(slot.design_capacity_ah):
                config = replace(config, design_capacity_ah=slot.design_capacity_ah)
            slot.gauge = FuelGauge(config, self.learned_capacity_ah.get(r.serial) if r.serial else None)
            slot.gauge.start(r.t, r.voltage_v, r.current_a, r.soc_hint)
            notices.append(SwapNotice("inserted", slot.name, r.t, slot.gauge.soc, r.serial))
        else:
            slot.gauge.update(r.t, r.voltage_v, r.current_a)
        return notices

    def expire(self, now: float) -> list[SwapNotice]:
        """Slots silent for reading_timeout_s count as lost (the link or pack went away)."""
        out = []
        for slot in self.slots.values():
            if slot.present and slot.last_t is not None and now - slot.last_t > self.reading_timeout_s:
                out.append(self._remove(slot, now, "lost"))
        return out

    def _remove(self, slot: Slot, t: float, kind: str) -> SwapNotice:
        notice = SwapNotice(kind, slot.name, t, slot.soc, slot.serial)
        if slot.serial and slot.gauge is not None:
            self.learned_capacity_ah[slot.serial] = slot.gauge.full_capacity_ah
        slot.present, slot.gauge, slot.serial = False, None, ""
        slot.voltage_v = slot.current_a = slot.temperature_c = math.nan
        slot.inserted_at = None
        return notice

    def swap_state(self) -> str:
        left, right = self.slots["left"].present, self.slots["right"].present
        return {(True, True): "both", (True, False): "left_only", (False, True): "right_only"}.get(
            (left, right), "none"
        )

    def combined(self) -> Combined:
        present = [s for s in self.slots.values() if s.present and s.gauge is not None]
        if not present:
            return Combined(False, math.nan, math.nan, math.nan, 0.0, math.nan, "none")
        remaining = sum(s.remaining_ah for s in present)
        full = sum(s.full_capacity_ah for s in present)
        return Combined(
            present=True,
            soc=remaining / full if full > 0 else math.nan,
            voltage_v=max(s.voltage_v for s in present),
            current_a=sum(s.current_a for s in present),
            remaining_ah=remaining,
            full_capacity_ah=full,
            swap_state=self.swap_state(),
        )
