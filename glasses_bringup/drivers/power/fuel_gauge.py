"""Per-pack fuel gauge: coulomb counting, corrected toward the OCV table at light load.

Coulomb counting is exact over minutes but drifts with current-sense offset and an
unknown start; the OCV table is exact only once the cell has rested. So the gauge
(the scheme of hardware gauges such as TI Impedance Track or Maxim ModelGauge):

- starts from the OCV table (voltage compensated by the IR drop if the pack is
  already loaded), so an unknown initial charge is found in one reading;
- integrates current (negative while discharging) against the learned full
  capacity;
- after ``relax_s`` of light load (|I| <= ``light_load_a``) pulls the estimate
  toward the OCV reading, weighted by the table's local slope (a flat OCV region
  says little, so it moves the estimate little);
- learns full capacity from two relaxed OCV anchors far enough apart in charge
  (capacity = counted Ah / SoC difference): that is the pack's health.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from glasses_bringup.drivers.power.ocv import DEFAULT_OCV, OcvTable


@dataclass
class GaugeConfig:
    design_capacity_ah: float = 0.280
    internal_resistance_ohm: float = 0.25  # small pouch pack incl. protection FET; typical, assumed
    light_load_a: float = 0.02  # |I| below this counts as resting
    relax_s: float = 60.0  # rest time before the OCV reading is trusted
    ocv_tau_s: float = 120.0  # time constant of the pull toward OCV while resting
    slope_ref_v: float = 1.0  # OCV slope (V per unit SoC) at which the pull is at full strength
    learn_min_delta_soc: float = 0.3  # anchors this far apart teach the full capacity
    learn_weight: float = 0.5  # blend of a new capacity sample into the learned one
    ocv: OcvTable = field(default_factory=lambda: DEFAULT_OCV)


@dataclass
class Anchor:
    soc: float
    counted_ah: float


class FuelGauge:
    """State of charge of one pack from (time, voltage, current) readings."""

    def __init__(self, config: GaugeConfig | None = None, full_capacity_ah: float | None = None):
        self.config = config or GaugeConfig()
        self.full_capacity_ah = full_capacity_ah or self.config.design_capacity_ah
        self.soc = math.nan
        self.last_t: float | None = None
        self.light_since: float | None = None
        self.counted_ah = 0.0  # net charge moved since start (negative = discharged)
        self.anchor: Anchor | None = None
        self.initial_source = ""
        self.corrections = 0

    @property
    def started(self) -> bool:
        return self.last_t is not None

    @property
    def health(self) -> float:
        """Learned full capacity over design capacity (1.0 = as new)."""
        return self.full_capacity_ah / self.config.design_capacity_ah

    @property
    def remaining_ah(self) -> float:
        return 0.0 if math.isnan(self.soc) else self.soc * self.full_capacity_ah

    def ocv_soc(self, volts: float, current_a: float) -> float:
        """SoC from a voltage reading, with the ohmic drop of the present current added back."""
        return self.config.ocv.soc_at(volts - current_a * self.config.internal_resistance_ohm)

    def start(self, t: float, volts: float, current_a: float, soc_guess: float | None = None) -> float:
        """First reading of a pack (inserted or gauge restarted): estimate from voltage or a guess."""
        if soc_guess is not None:
            self.soc = min(max(soc_guess, 0.0), 1.0)
            self.initial_source = "guess"
        else:
            self.soc = self.ocv_soc(volts, current_a)
            self.initial_source = "ocv" if abs(current_a) <= self.config.light_load_a else "loaded_voltage"
        self.last_t = t
        self.light_since = t if abs(current_a) <= self.config.light_load_a else None
        return self.soc

    def update(self, t: float, volts: float, current_a: float) -> float:
        """Advance to time t with the present reading; returns the SoC estimate (0..1)."""
        if self.last_t is None:
            return self.start(t, volts, current_a)
        dt = t - self.last_t
        if dt <= 0:
            return self.soc
        self.last_t = t
        delta_ah = current_a * dt / 3600.0
        self.counted_ah += delta_ah
        self.soc = min(max(self.soc + delta_ah / self.full_capacity_ah, 0.0), 1.0)
        cfg = self.config
        if abs(current_a) > cfg.light_load_a:
            self.light_since = None
            return self.soc
        if self.light_since is None:
            self.light_since = t
        if t - self.light_since < cfg.relax_s:
            return self.soc
        target = self.ocv_soc(volts, current_a)
        strength = min(1.0, cfg.ocv.slope_v_per_soc(target) / cfg.slope_ref_v)
        weight = (1.0 - math.exp(-dt / cfg.ocv_tau_s)) * strength
        self.soc += weight * (target - self.soc)
        self.corrections += 1
        self._learn_capacity(target)
        return self.soc

    def _learn_capacity(self, relaxed_soc: float) -> None:
        if self.anchor is None:
            self.anchor = Anchor(relaxed_soc, self.counted_ah)
            return
        d_soc = relaxed_soc - self.anchor.soc
        if abs(d_soc) < self.config.learn_min_delta_soc:
            return
        sample = abs(self.counted_ah - self.anchor.counted_ah) / abs(d_soc)
        # A sample far outside plausible fade (10 %..120 % of design) is a bad anchor, not a pack.
        design = self.config.design_capacity_ah
        if 0.1 * design <= sample <= 1.2 * design:
            w = self.config.learn_weight
            self.full_capacity_ah = (1 - w) * self.full_capacity_ah + w * sample
        self.anchor = Anchor(relaxed_soc, self.counted_ah)
