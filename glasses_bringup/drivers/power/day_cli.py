"""`glasses power-day --out DIR`: simulate a day of wear and write power_day.json + power_day.png."""

from __future__ import annotations

import json
import math
from pathlib import Path

from glasses_bringup.drivers.power.day import DayConfig, report
from glasses_bringup.drivers.power.model import PowerModel


def add_arguments(parser) -> None:
    parser.add_argument("--out", required=True, help="output folder for power_day.json and power_day.png")
    parser.add_argument("--pack-mah", type=float, default=280.0, help="capacity of each pack (mAh)")
    parser.add_argument("--fade", type=float, default=1.0, help="true capacity / design capacity of the packs")
    parser.add_argument(
        "--swaps", default=None, help="swap times in hours from putting the glasses on, e.g. 4.5,9,13.5,18"
    )
    parser.add_argument("--spares", type=int, default=0, help="charged spare packs waiting in the case")
    parser.add_argument("--no-policy", action="store_true", help="run without the power policy (always normal)")
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG")
    parser.add_argument(
        "--cost", choices=("measured", "assumed"), default="measured",
        help="software cost: the stack's CPU per state measured by bench/e2e.py (default), or the assumed "
             "component table alone (the design: always-on work on the co-processor, the SoC asleep when idle)",
    )
    parser.add_argument("--cpu-file", help="measured stack CPU JSON (default: the one shipped, power/stack_cpu.json)")


def plot(path: Path, doc: dict, with_swaps, without) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True, height_ratios=(3, 1.4))
    s = with_swaps.series
    ax1.plot(s["hours"], [100 * v for v in s["soc"]], label="combined charge, gauge estimate (with swaps)", lw=1.8)
    ax1.plot(s["hours"], [100 * v for v in s["left_true"]], label="left pack, true", lw=0.8, alpha=0.7)
    ax1.plot(s["hours"], [100 * v for v in s["right_true"]], label="right pack, true", lw=0.8, alpha=0.7)
    w = without.series
    ax1.plot(w["hours"], [100 * v for v in w["soc"]], "k--", label="combined charge, no swaps", lw=1.2)
    for h in doc["swap_times_h_from_start"]:
        ax1.axvline(h, color="grey", lw=0.6, ls=":")
    for h in doc["low_battery_warnings_h"]:
        ax1.axvline(h, color="red", lw=0.8)
    ax1.axvline(24, color="green", lw=1.0, ls="--")
    ax1.set_ylabel("state of charge (%)")
    ax1.set_ylim(-2, 102)
    ax1.set_title(
        f"Two {doc['pack_capacity_mah']:.0f} mAh packs: {doc['hours_worn_with_swaps']:.1f} h worn with "
        f"{doc['swaps']} swaps, {doc['hours_worn_without_swaps']:.1f} h without"
    )
    ax1.legend(loc="lower left", fontsize=8)
    ax2.plot(s["hours"], [1000 * v for v in s["load_w"]], lw=0.9, label="load (mW)")
    ax2.set_ylabel("load (mW)")
    ax2.set_xlabel("hours since the glasses went on (07:00)")
    ax3 = ax2.twinx()
    ax3.plot(s["hours"], s["mode"], color="tab:red", lw=1.0)
    ax3.set_yticks([0, 1, 2], ["normal", "saver", "critical"])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(args) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    config = DayConfig(
        pack_capacity_mah=args.pack_mah, pack_fade=args.fade, spare_packs=args.spares, policy=not args.no_policy
    )
    if args.swaps is not None:
        try:
            config.swaps_h = tuple(float(x) for x in args.swaps.split(",") if x.strip())
        except ValueError:
            print(f"power-day: --swaps must be comma-separated hours, got {args.swaps!r}")
            return 2
        if any(not math.isfinite(h) or h < 0 for h in config.swaps_h):
            print("power-day: swap times must be non-negative hours")
            return 2
    if args.cost == "measured":
        try:
            model = PowerModel.measured(args.cpu_file)
        except (OSError, ValueError, KeyError) as exc:
            print(f"power-day: cannot read the measured stack CPU ({exc}); run `make bench BENCH=e2e` "
                  "or use --cost assumed")
            return 2
    else:
        model = PowerModel()
    doc, with_swaps, without = report(config, model)
    (out / "power_day.json").write_text(json.dumps(doc, indent=2) + "\n")
    if not args.no_plot:
        plot(out / "power_day.png", doc, with_swaps, without)
    print(
        f"worn {doc['hours_worn_with_swaps']:.1f} h with {doc['swaps']} swaps, "
        f"{doc['hours_worn_without_swaps']:.1f} h without; "
        f"normal {doc['hours_in_normal']:.1f} h, saver {doc['hours_in_saver']:.1f} h, "
        f"critical {doc['hours_in_critical']:.1f} h ({model.cost_source}) -> {out}/power_day.json"
    )
    return 0
