"""A day of wear on two swappable packs: activities -> power model -> packs -> gauge -> policy.

The simulation runs the same cores as the running stack: the power model turns
what the wearer does into a load, simulated packs deliver it through the power
path, the battery manager gauges them from noisy readings, the policy moves
between modes (capping camera rate and display brightness, parking heavy work
unless the wearer is using it and the packs can carry it) and warns.

There are exactly two packs (``spare_packs`` adds charged spares in the case).
A swap, at a scheduled clock time, takes the emptier pack out into the charging
case while the other pack carries the glasses; the case charges it at
``case_charge_c`` (constant current, taper ignored) and the wearer puts it back
once full. A swap falls due only while both packs are worn; one that finds a
slot empty waits for the pack to come back. The case's own battery is not
limited here; the energy it delivered is reported instead. After the scheduled day ends the wearer keeps going (the
day's activities repeat) without further swaps until both packs are empty: the
hours worn are measured, never capped at 24.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from glasses_bringup.drivers.power.manager import BatteryManager
from glasses_bringup.drivers.power.model import ActiveSet, PowerModel
from glasses_bringup.drivers.power.ocv import DEFAULT_OCV
from glasses_bringup.drivers.power.policy import MODES, PowerPolicy
from glasses_bringup.drivers.power.runtime import RuntimePredictor
from glasses_bringup.drivers.power.sim_pack import PackBank, SimPack, pack_energy_wh

# (start hour from putting the glasses on at 07:00, activity); each runs until the next.
DEFAULT_SCHEDULE: tuple[tuple[float, str], ...] = (
    (0.0, "idle"),  # 07:00 breakfast
    (0.5, "navigation"),  # 07:30 commute with navigation
    (1.5, "idle"),  # 08:30 desk
    (2.0, "meeting"),  # 09:00 meeting with transcription
    (3.5, "idle"),  # 10:30 desk
    (5.0, "shopping"),  # 12:00 lunch, shopping with scans
    (6.0, "music"),  # 13:00 music
    (7.0, "meeting"),  # 14:00 meeting with transcription
    (8.5, "idle"),  # 15:30 desk
    (10.5, "navigation"),  # 17:30 commute home
    (11.5, "shopping"),  # 18:30 groceries
    (12.5, "music"),  # 19:30 music
    (14.0, "call"),  # 21:00 a call
    (14.5, "idle"),  # 21:30 evening
    (16.0, "navigation"),  # 23:00 night travel
    (17.0, "music"),  # 00:00 music
    (18.5, "idle"),  # 01:30 worn, quiet
)
DAY_HOURS = 24.0
# Natural breaks (hours from 07:00): before lunch, mid-afternoon, evening, night.
DEFAULT_SWAPS_H: tuple[float, ...] = (4.5, 9.0, 13.5, 18.0)


@dataclass
class DayConfig:
    pack_capacity_mah: float = 280.0
    pack_fade: float = 1.0  # true capacity / design capacity of both packs
    initial_soc: float = 1.0
    schedule: tuple[tuple[float, str], ...] = DEFAULT_SCHEDULE
    swaps_h: tuple[float, ...] = DEFAULT_SWAPS_H
    case_charge_c: float = 0.5
    spare_packs: int = 0
    step_s: float = 10.0
    max_hours: float = 72.0
    seed: int = 7
    policy: bool = True


@dataclass
class DayRun:
    hours_worn: float
    swaps: int
    hours_in_mode: dict[str, float]
    warnings_h: list[float]
    mode_changes: list[tuple[float, str, str]]
    case_energy_wh: float
    parked_minutes: float
    refused_minutes: float
    series: dict[str, list[float]] = field(default_factory=dict)


def activity_at(schedule, hours: float) -> str:
    h = hours % DAY_HOURS
    name = schedule[0][1]
    for start, act in schedule:
        if start <= h:
            name = act
    return name


def apply_mode(
    model: PowerModel, policy: PowerPolicy, wanted: ActiveSet, remaining_wh: float
) -> tuple[ActiveSet, bool, bool]:
    """Active set after the mode's caps; (set, parked something, refused the wearer something)."""
    acts = policy.current_actions()
    a = wanted.copy(
        camera_fps=min(wanted.camera_fps, acts.camera_fps) if wanted.camera_fps > 0 else 0.0,
        display_brightness=min(wanted.display_brightness, acts.display_brightness),
    )
    parked, refused = bool(acts.parked), False
    for node, duty_field in (("vision", "vision_duty"), ("asr", "asr_full_duty")):
        if node not in acts.parked or getattr(a, duty_field) <= 0:
            continue
        # The wearer asked for it: keep it if the packs can carry it for the next 10 minutes.
        if policy.can_carry(remaining_wh, model.battery_w(a), 0.0, 10 / 60):
            continue
        a = a.copy(**{duty_field: 0.0})
        refused = True
    return a, parked, refused


def simulate(config: DayConfig, with_swaps: bool, model: PowerModel | None = None) -> DayRun:
    model = model or PowerModel()
    cap_ah = config.pack_capacity_mah / 1000.0
    true_cap = cap_ah * config.pack_fade
    bank = PackBank(rng=np.random.default_rng(config.seed))
    packs = {
        "A": SimPack("A", config.initial_soc, true_cap, cap_ah),
        "B": SimPack("B", config.initial_soc, true_cap, cap_ah),
    }
    bank.insert("left", packs["A"])
    bank.insert("right", packs["B"])
    in_case: list[SimPack] = [SimPack(f"S{i}", 1.0, true_cap, cap_ah) for i in range(config.spare_packs)]
    manager = BatteryManager()
    policy = PowerPolicy()
    predictor = RuntimePredictor()
    swaps_due = sorted(config.swaps_h) if with_swaps else []
    dt = config.step_s
    t = 0.0
    hours_in = dict.fromkeys(MODES, 0.0)
    warnings: list[float] = []
    changes: list[tuple[float, str, str]] = []
    case_wh = 0.0
    parked_s = refused_s = 0.0
    swaps = 0
    series: dict[str, list[float]] = {k: [] for k in ("hours", "soc", "left_true", "right_true", "load_w", "mode")}
    mean_v = pack_energy_wh(1.0, DEFAULT_OCV)  # mean OCV (V) over a discharge
    while t < config.max_hours * 3600 and bank.powered():
        hours = t / 3600
        empty_slots = [s for s, p in bank.slots.items() if p is None]
        if empty_slots and in_case and in_case[0].soc >= 1.0:  # charged: back on the head
            bank.insert(empty_slots[0], in_case.pop(0))
        elif swaps_due and hours >= swaps_due[0] and not empty_slots:
            swaps_due.pop(0)
            slot = min((p.soc, s) for s, p in bank.slots.items() if p is not None)[1]
            out = bank.pull(slot)
            if in_case:  # a charged spare goes straight in
                for r in bank.readings(t):
                    manager.ingest(r)
                bank.insert(slot, in_case.pop(0))
            in_case.append(out)
            swaps += 1
        for r in bank.readings(t):
            manager.ingest(r)
        combined = manager.combined()
        wanted = model.activity(activity_at(config.schedule, hours))
        remaining_wh = combined.remaining_ah * mean_v
        if config.policy:
            change = policy.update(t, combined.soc)
            if change:
                changes.append((hours, change.old, change.new))
            active, parked, refused = apply_mode(model, policy, wanted, remaining_wh)
        else:
            active, parked, refused = wanted, False, False
        load_w = model.battery_w(active)
        predictor.update(t, -combined.current_a if math.isfinite(combined.current_a) else 0.0, load_w)
        present = sum(1 for p in bank.slots.values() if p is not None)
        if policy.check_warning(t, combined.soc, predictor.runtime_h(combined.remaining_ah), present):
            warnings.append(hours)
        bank.step(load_w, dt)
        for p in in_case:  # the case tops up packs waiting in it
            case_wh += p.charge(config.case_charge_c * p.design_capacity_ah, dt) * mean_v
        hours_in[policy.mode if config.policy else "normal"] += dt / 3600
        parked_s += dt if parked else 0.0
        refused_s += dt if refused else 0.0
        if int(t) % 60 == 0:
            series["hours"].append(hours)
            series["soc"].append(combined.soc)
            series["left_true"].append(bank.slots["left"].soc if bank.slots["left"] else math.nan)
            series["right_true"].append(bank.slots["right"].soc if bank.slots["right"] else math.nan)
            series["load_w"].append(load_w)
            series["mode"].append(float(MODES.index(policy.mode)))
        t += dt
    return DayRun(
        hours_worn=t / 3600,
        swaps=swaps,
        hours_in_mode=hours_in,
        warnings_h=warnings,
        mode_changes=changes,
        case_energy_wh=case_wh,
        parked_minutes=parked_s / 60,
        refused_minutes=refused_s / 60,
        series=series,
    )


def report(config: DayConfig | None = None, model: PowerModel | None = None) -> tuple[dict, DayRun, DayRun]:
    """The power-day figures (JSON-ready) plus both runs for plotting."""
    config = config or DayConfig()
    model = model or PowerModel()
    with_swaps = simulate(config, True, model)
    without = simulate(config, False, model)
    cap_ah = config.pack_capacity_mah / 1000
    doc = {
        "hours_worn_with_swaps": round(with_swaps.hours_worn, 2),
        "hours_worn_without_swaps": round(without.hours_worn, 2),
        "swaps": with_swaps.swaps,
        **{f"hours_in_{m}": round(h, 2) for m, h in with_swaps.hours_in_mode.items()},
        **{f"without_swaps_hours_in_{m}": round(h, 2) for m, h in without.hours_in_mode.items()},
        "swap_times_h_from_start": list(config.swaps_h),
        "low_battery_warnings_h": [round(h, 2) for h in with_swaps.warnings_h],
        "mode_changes": [{"hour": round(h, 2), "from": a, "to": b} for h, a, b in with_swaps.mode_changes],
        "minutes_heavy_work_parked": round(with_swaps.parked_minutes, 1),
        "minutes_wearer_request_refused": round(with_swaps.refused_minutes, 1),
        "case_energy_delivered_wh": round(with_swaps.case_energy_wh, 3),
        "pack_capacity_mah": config.pack_capacity_mah,
        "pack_energy_wh": round(pack_energy_wh(cap_ah), 3),
        "pack_fade": config.pack_fade,
        "activity_power_mw": {
            name: round(model.battery_w(model.activity(name)) * 1000, 1) for name in sorted({a for _, a in config.schedule})
        },
        "schedule": [{"start_h": s, "activity": a} for s, a in config.schedule],
        "component_powers_mw": {k: v for k, v in asdict(model.powers).items()},
        "cost_source": model.cost_source,
        "step_s": config.step_s,
    }
    mean_load = sum(with_swaps.series["load_w"]) / max(len(with_swaps.series["load_w"]), 1)
    doc["mean_load_mw_with_swaps"] = round(mean_load * 1000, 1)
    return doc, with_swaps, without
