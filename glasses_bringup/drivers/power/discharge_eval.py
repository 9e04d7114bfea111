"""SoC error of the fuel gauge on a constant-current lab discharge (voltage log at 1 Hz).

A constant-current discharge from full to the cut-off voltage gives the true state
of charge without a model: it falls linearly with time. Two references are
reported: against the nominal capacity (SoC_true = 1 - I t / Q_nominal, clipped
at 0) and against the charge this run delivered (SoC_true = 1 - t / t_end).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glasses_bringup.drivers.power.fuel_gauge import FuelGauge, GaugeConfig
from glasses_bringup.drivers.power.ocv import OcvTable


@dataclass
class DischargeError:
    name: str
    c_rate: float
    duration_s: float
    delivered_ah: float
    max_abs_error_nominal_pp: float
    max_abs_error_delivered_pp: float
    final_estimate_pct: float
    initial_source: str


def load_voltage_log(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(time_s, volts) from a two-column whitespace text file."""
    data = np.loadtxt(path)
    return data[:, 0], data[:, 1]


def evaluate(
    t: np.ndarray,
    volts: np.ndarray,
    c_rate: float,
    nominal_ah: float,
    name: str = "",
    start_index: int = 0,
    soc_guess: float | None = None,
    config: GaugeConfig | None = None,
) -> DischargeError:
    """Run a gauge over the log from ``start_index`` (unknown charge there) and compare.

    The current is the rig's constant discharge current, switched on just after
    the first sample (the cell rests at t=0 in these logs).
    """
    current = -c_rate * nominal_ah
    config = config or GaugeConfig(design_capacity_ah=nominal_ah, internal_resistance_ohm=0.05)
    gauge = FuelGauge(config)
    t_end = float(t[-1])
    est = np.empty(len(t) - start_index)
    for k, i in enumerate(range(start_index, len(t))):
        amps = 0.0 if i == 0 else current
        if k == 0:
            est[k] = gauge.start(float(t[i]), float(volts[i]), amps, soc_guess)
        else:
            est[k] = gauge.update(float(t[i]), float(volts[i]), amps)
    tt = t[start_index:]
    true_nominal = np.clip(1.0 - abs(current) * tt / 3600.0 / nominal_ah, 0.0, 1.0)
    true_delivered = 1.0 - tt / t_end
    return DischargeError(
        name=name,
        c_rate=c_rate,
        duration_s=t_end,
        delivered_ah=abs(current) * t_end / 3600.0,
        max_abs_error_nominal_pp=float(np.max(np.abs(est - true_nominal)) * 100),
        max_abs_error_delivered_pp=float(np.max(np.abs(est - true_delivered)) * 100),
        final_estimate_pct=float(est[-1] * 100),
        initial_source=gauge.initial_source,
    )


def two_rate_ocv(
    runs: list[tuple[np.ndarray, np.ndarray, float]], nominal_ah: float, points: int = 41
) -> tuple[OcvTable, float]:
    """Characterise a cell from two constant-current discharges: (OCV table, resistance ohm).

    At equal charge drawn, V = OCV - I R for both rates, so R = dV / dI and OCV is
    the voltage extrapolated to zero current (the usual two-rate method). ``runs``
    holds (time_s, volts, c_rate); charge drawn is taken against ``nominal_ah``.
    """
    (t1, v1, c1), (t2, v2, c2) = runs[:2]
    i1, i2 = c1 * nominal_ah, c2 * nominal_ah
    socs = np.linspace(0.0, 1.0, points)
    depth = (1.0 - socs) * nominal_ah * 3600.0  # coulombs drawn at each grid SoC
    end = min(i1 * t1[-1], i2 * t2[-1])
    ok = (depth > 0) & (depth <= end)
    va = np.interp(depth[ok] / i1, t1, v1)
    vb = np.interp(depth[ok] / i2, t2, v2)
    r = (va - vb) / (i2 - i1)
    ocv = va + i1 * r
    resistance = float(np.median(r))
    pairs = [(1.0, float(v1[0]))]  # the resting voltage before the current starts
    pairs += [(float(s), float(v)) for s, v in zip(socs[ok], ocv, strict=True)]
    pairs.append((0.0, float(min(ocv.min(), v1[-1], v2[-1])) - 0.01))
    pairs = sorted(set(pairs))
    soc_sorted = [p[0] for p in pairs]
    volts = np.maximum.accumulate([p[1] for p in pairs])  # an OCV curve cannot fall with charge
    volts = volts + np.arange(len(volts)) * 1e-6  # strictly rising for the table
    return OcvTable.from_pairs(zip(soc_sorted, volts, strict=True)), resistance
