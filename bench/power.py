"""Power benchmark: fuel-gauge SoC error on real lab discharges, gauge cost, the power day.

Reads ../shared/data/battery/enertech_cell_discharge (2.28 Ah Li-ion cell, constant
current 0.5C/1C/2C from rest at 4.18 V to 2.99 V, 1 Hz) when present. Figures:

- rest start: the gauge starts from the first (resting) voltage, charge unknown
  to it, then counts coulombs; max |error| against two references (nominal
  capacity; the charge this run delivered);
- guess50: starts from a 50 % guess instead (never corrected under constant load);
- loaded start at 25/50/75 % of the run: the first voltage is read under load,
  compensated by I*R, with the generic OCV table, and with a table characterised
  from the 0.5C and 1C runs (two-rate method; 2C is the held-out run);
- gauge update cost per reading;
- the power-day figures (glasses power-day).
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import write_result  # noqa: E402
from glasses_bringup.drivers.power.day import report  # noqa: E402
from glasses_bringup.drivers.power.discharge_eval import evaluate, load_voltage_log, two_rate_ocv  # noqa: E402
from glasses_bringup.drivers.power.fuel_gauge import FuelGauge, GaugeConfig  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "battery" / "enertech_cell_discharge"
NOMINAL_AH = 2.28
RATES = (0.5, 1.0, 2.0)


def rate_name(c: float) -> str:
    return f"{c:g}C".replace(".", "p")


def main() -> int:
    figures: dict = {}
    if DATA.is_dir():
        runs = {c: load_voltage_log(DATA / f"{c:g}C_discharge_U.txt") for c in RATES}
        table, resistance = two_rate_ocv([(*runs[0.5], 0.5), (*runs[1.0], 1.0)], NOMINAL_AH)
        figures["characterised_resistance_ohm"] = resistance
        worst_rest = 0.0
        for c, (t, v) in runs.items():
            n = rate_name(c)
            rest = evaluate(t, v, c, NOMINAL_AH)
            worst_rest = max(worst_rest, rest.max_abs_error_nominal_pp, rest.max_abs_error_delivered_pp)
            figures[f"{n}_duration_s"] = rest.duration_s
            figures[f"{n}_delivered_ah"] = rest.delivered_ah
            figures[f"{n}_rest_start_max_err_vs_nominal_pp"] = rest.max_abs_error_nominal_pp
            figures[f"{n}_rest_start_max_err_vs_delivered_pp"] = rest.max_abs_error_delivered_pp
            figures[f"{n}_rest_start_initial_soc_source"] = rest.initial_source
            guess = evaluate(t, v, c, NOMINAL_AH, soc_guess=0.5)
            figures[f"{n}_guess50_max_err_vs_nominal_pp"] = guess.max_abs_error_nominal_pp
            for frac in (0.25, 0.5, 0.75):
                si = int(len(t) * frac)
                generic = evaluate(t, v, c, NOMINAL_AH, start_index=si)
                charac = evaluate(
                    t,
                    v,
                    c,
                    NOMINAL_AH,
                    start_index=si,
                    config=GaugeConfig(design_capacity_ah=NOMINAL_AH, internal_resistance_ohm=resistance, ocv=table),
                )
                pct = int(frac * 100)
                figures[f"{n}_loaded_start_at_{pct}pct_generic_table_max_err_pp"] = generic.max_abs_error_nominal_pp
                figures[f"{n}_loaded_start_at_{pct}pct_characterised_table_max_err_pp"] = (
                    charac.max_abs_error_nominal_pp
                )
        figures["rest_start_worst_max_err_pp"] = worst_rest
    else:
        print(f"bench power: {DATA} not found; skipping the lab discharges", file=sys.stderr)

    gauge = FuelGauge()
    gauge.start(0.0, 3.9, -0.05)
    n = 200_000
    t0 = time.perf_counter()
    for k in range(1, n + 1):
        gauge.update(float(k), 3.9, -0.05 if k % 2 else -0.01)
    figures["gauge_update_us"] = (time.perf_counter() - t0) / n * 1e6

    t0 = time.perf_counter()
    doc, _, _ = report()
    figures["power_day_sim_s"] = time.perf_counter() - t0
    for key in (
        "hours_worn_with_swaps",
        "hours_worn_without_swaps",
        "swaps",
        "hours_in_normal",
        "hours_in_saver",
        "hours_in_critical",
        "mean_load_mw_with_swaps",
        "pack_energy_wh",
        "case_energy_delivered_wh",
        "minutes_heavy_work_parked",
        "minutes_wearer_request_refused",
    ):
        figures[f"power_day_{key}"] = doc[key]
    for name, mw in doc["activity_power_mw"].items():
        figures[f"activity_{name}_mw"] = mw
    write_result("power", {k: (float(v) if isinstance(v, np.floating) else v) for k, v in figures.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
