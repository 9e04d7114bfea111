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

from glasses_bringup.power.fuel_gauge import FuelGauge, GaugeConfig


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
