"""Open-circuit-voltage (OCV) table of a Li-ion cell: state of charge <-> resting voltage.

The default table is the typical shape of a LiCoO2/graphite cell at 25 degC
(the chemistry of small wearable pouch packs) in round numbers. It is an
assumption until the pack vendor's table is available: load theirs with
``OcvTable.from_pairs``, or characterise a cell from two constant-current
discharges (discharge_eval.two_rate_ocv). On the Enertech lab cell it reads
40-50 mV high in mid-charge, which is why a pack first seen under load is
estimated poorly with it (bench/power.py reports the figures).
Near-flat regions (30-50 %) are where a voltage reading says least about the
charge, which is why the gauge trusts the coulomb count there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# (state of charge 0..1, resting cell voltage V)
LICOO2_GRAPHITE_25C: tuple[tuple[float, float], ...] = (
    (0.00, 3.00),
    (0.02, 3.45),
    (0.05, 3.60),
    (0.10, 3.68),
    (0.15, 3.72),
    (0.20, 3.74),
    (0.30, 3.78),
    (0.40, 3.81),
    (0.50, 3.85),
    (0.60, 3.90),
    (0.70, 3.96),
    (0.80, 4.02),
    (0.90, 4.08),
    (0.95, 4.12),
    (1.00, 4.18),
)


@dataclass(frozen=True)
class OcvTable:
    """Monotonic SoC/OCV pairs with linear interpolation both ways."""

    soc: tuple[float, ...]
    volts: tuple[float, ...]

    @classmethod
    def from_pairs(cls, pairs) -> OcvTable:
        pairs = sorted((float(s), float(v)) for s, v in pairs)
        soc = tuple(p[0] for p in pairs)
        volts = tuple(p[1] for p in pairs)
        if len(pairs) < 2 or soc[0] != 0.0 or soc[-1] != 1.0:
            raise ValueError("an OCV table needs points at SoC 0 and 1")
        if any(b <= a for a, b in zip(volts, volts[1:], strict=False)):
            raise ValueError("OCV must rise strictly with state of charge")
        return cls(soc, volts)

    @property
    def empty_v(self) -> float:
        return self.volts[0]

    @property
    def full_v(self) -> float:
        return self.volts[-1]

    def soc_at(self, volts: float) -> float:
        """State of charge (0..1) of a cell resting at ``volts``; clipped at the table ends."""
        return float(np.interp(volts, self.volts, self.soc))

    def ocv_at(self, soc: float) -> float:
        """Resting voltage at state of charge ``soc`` (0..1)."""
        return float(np.interp(min(max(soc, 0.0), 1.0), self.soc, self.volts))

    def slope_v_per_soc(self, soc: float) -> float:
        """dOCV/dSoC near ``soc``: how much a voltage reading says about the charge there."""
        i = int(np.clip(np.searchsorted(self.soc, soc), 1, len(self.soc) - 1))
        return (self.volts[i] - self.volts[i - 1]) / (self.soc[i] - self.soc[i - 1])


DEFAULT_OCV = OcvTable.from_pairs(LICOO2_GRAPHITE_25C)
