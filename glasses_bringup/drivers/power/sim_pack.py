"""Simulated Li-ion packs behind a power path: the physics the gauge is tested against.

Each pack has a true charge, a true capacity (fade), an internal resistance and
the OCV table; its terminal voltage is OCV + I*R (I negative while discharging)
plus sensor noise. The power path drains the emptier pack first, so the pack to
swap is the empty one while the other carries the glasses, and switches over
without a gap when a pack empties or is pulled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from glasses_bringup.drivers.power.manager import SLOTS, PackReading
from glasses_bringup.drivers.power.ocv import DEFAULT_OCV, OcvTable


@dataclass
class SimPack:
    serial: str
    soc: float = 1.0
    capacity_ah: float = 0.280
    design_capacity_ah: float = 0.280
    resistance_ohm: float = 0.25
    temperature_c: float = 30.0
    ocv: OcvTable = field(default_factory=lambda: DEFAULT_OCV)
    current_a: float = 0.0

    @property
    def empty(self) -> bool:
        return self.soc <= 0.0

    def terminal_v(self) -> float:
        return self.ocv.ocv_at(self.soc) + self.current_a * self.resistance_ohm

    def draw(self, current_a: float, dt: float) -> None:
        """Apply a current (negative = discharge) for dt seconds."""
        self.current_a = current_a
        self.soc = min(max(self.soc + current_a * dt / 3600.0 / self.capacity_ah, 0.0), 1.0)

    def charge(self, current_a: float, dt: float) -> float:
        """Charge in the case (constant current, taper ignored); returns Ah stored."""
        before = self.soc
        self.draw(abs(current_a), dt)
        self.current_a = 0.0
        return (self.soc - before) * self.capacity_ah


@dataclass
class PackBank:
    """The two slots of the glasses and the power path between them."""

    slots: dict[str, SimPack | None] = field(default_factory=lambda: {s: None for s in SLOTS})
    voltage_noise_v: float = 0.002
    current_noise_a: float = 0.0002
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))

    def insert(self, slot: str, pack: SimPack) -> None:
        if self.slots[slot] is not None:
            raise ValueError(f"slot {slot} is occupied")
        self.slots[slot] = pack

    def pull(self, slot: str) -> SimPack | None:
        pack, self.slots[slot] = self.slots[slot], None
        if pack is not None:
            pack.current_a = 0.0
        return pack

    def supplying(self) -> str | None:
        """Slot the power path draws from: the emptier pack that still has charge."""
        live = [(p.soc, s) for s, p in self.slots.items() if p is not None and not p.empty]
        return min(live)[1] if live else None

    def powered(self) -> bool:
        return self.supplying() is not None

    def step(self, load_w: float, dt: float) -> None:
        """Draw load_w for dt seconds from the supplying pack (no draw when all are empty)."""
        for p in self.slots.values():
            if p is not None:
                p.current_a = 0.0
        slot = self.supplying()
        if slot is None:
            return
        pack = self.slots[slot]
        volts = max(pack.ocv.ocv_at(pack.soc), pack.ocv.empty_v)
        pack.draw(-load_w / volts, dt)

    def readings(self, t: float) -> list[PackReading]:
        """What a fuel-gauge chip per slot would report now (with sensor noise)."""
        out = []
        for slot, p in self.slots.items():
            if p is None:
                out.append(PackReading(slot=slot, present=False, t=t))
                continue
            noise_v = float(self.rng.normal(0, self.voltage_noise_v)) if self.voltage_noise_v else 0.0
            noise_a = float(self.rng.normal(0, self.current_noise_a)) if self.current_noise_a else 0.0
            out.append(
                PackReading(
                    slot=slot,
                    present=True,
                    t=t,
                    voltage_v=p.terminal_v() + noise_v,
                    current_a=p.current_a + noise_a,
                    temperature_c=p.temperature_c,
                    design_capacity_ah=p.design_capacity_ah,
                    serial=p.serial,
                )
            )
        return out

    def true_remaining_ah(self) -> float:
        return sum(p.soc * p.capacity_ah for p in self.slots.values() if p is not None)


def pack_energy_wh(capacity_ah: float, ocv: OcvTable = DEFAULT_OCV, steps: int = 200) -> float:
    """Energy of a full pack discharged slowly: capacity times the mean OCV."""
    socs = np.linspace(0, 1, steps)
    return capacity_ah * float(np.mean([ocv.ocv_at(s) for s in socs]))
