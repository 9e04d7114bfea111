"""Runtime-left prediction from recent load: remaining charge over a smoothed current.

An exponentially weighted mean of the discharge current (time constant
``tau_s``) follows a change of activity within minutes but ignores single bursts
(a photo, a wake word); runtime left = remaining Ah / mean A.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class RuntimePredictor:
    tau_s: float = 120.0
    floor_a: float = 1e-3  # below this the glasses are effectively off: cap the prediction
    mean_a: float = math.nan
    mean_w: float = math.nan
    last_t: float | None = None

    def update(self, t: float, discharge_a: float, load_w: float | None = None) -> None:
        """Feed a discharge current (A, positive = draining) and optionally the load (W)."""
        if not math.isfinite(discharge_a):
            return
        if self.last_t is None or math.isnan(self.mean_a):
            self.mean_a = discharge_a
            self.mean_w = load_w if load_w is not None else math.nan
        else:
            dt = max(t - self.last_t, 0.0)
            w = 1.0 - math.exp(-dt / self.tau_s)
            self.mean_a += w * (discharge_a - self.mean_a)
            if load_w is not None and math.isfinite(load_w):
                self.mean_w = load_w if math.isnan(self.mean_w) else self.mean_w + w * (load_w - self.mean_w)
        self.last_t = t

    def runtime_h(self, remaining_ah: float) -> float:
        if math.isnan(self.mean_a) or remaining_ah <= 0:
            return 0.0
        return remaining_ah / max(self.mean_a, self.floor_a)
