"""The day simulation and `glasses power-day`."""

import json

from glasses_bringup.cli import main as glasses
from glasses_bringup.drivers.power.day import DayConfig, report, simulate
from glasses_bringup.drivers.power.model import MEASURED_CPU_FILE, PowerModel


def test_power_day_cli_writes_json_and_png(tmp_path):
    """The design (always-on work on the co-processor, component table) reaches a day with swaps."""
    assert glasses(["power-day", "--out", str(tmp_path), "--cost", "assumed"]) == 0
    doc = json.loads((tmp_path / "power_day.json").read_text())
    for key in (
        "hours_worn_with_swaps",
        "hours_worn_without_swaps",
        "swaps",
        "hours_in_normal",
        "hours_in_saver",
        "hours_in_critical",
    ):
        assert key in doc
    assert doc["hours_worn_with_swaps"] >= 24.0
    assert doc["hours_worn_without_swaps"] < doc["hours_worn_with_swaps"]
    assert doc["swaps"] == len(doc["swap_times_h_from_start"])
    total = doc["hours_in_normal"] + doc["hours_in_saver"] + doc["hours_in_critical"]
    assert abs(total - doc["hours_worn_with_swaps"]) < 0.01
    assert (tmp_path / "power_day.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_swap_list_is_a_clear_error(tmp_path, capsys):
    assert glasses(["power-day", "--out", str(tmp_path), "--swaps", "4,x", "--no-plot"]) == 2
    assert "--swaps" in capsys.readouterr().out


def test_hours_follow_the_component_powers_not_a_target():
    """Doubling every draw must shorten the day: the figure is derived, not pinned."""
    from dataclasses import replace

    base = simulate(DayConfig(step_s=30.0), with_swaps=False)
    model = PowerModel()
    hungry = PowerModel(
        replace(model.powers, **{k: v * 2 for k, v in model.powers.__dict__.items() if k.endswith("_mw")})
    )
    worse = simulate(DayConfig(step_s=30.0), with_swaps=False, model=hungry)
    assert worse.hours_worn < 0.7 * base.hours_worn


def test_energy_is_conserved_within_the_gauge_error():
    doc, with_swaps, without = report(DayConfig(step_s=30.0, swaps_h=()))
    # with no swaps scheduled, both runs are the same day
    assert doc["swaps"] == 0 and abs(with_swaps.hours_worn - without.hours_worn) < 0.05
    # two packs of ~1.08 Wh over the mean load of the run
    mean_w = sum(without.series["load_w"]) / len(without.series["load_w"])
    assert abs(without.hours_worn - 2 * doc["pack_energy_wh"] / mean_w) / without.hours_worn < 0.1


def test_the_policy_lengthens_the_day_without_swaps():
    with_policy = simulate(DayConfig(step_s=30.0), with_swaps=False)
    no_policy = simulate(DayConfig(step_s=30.0, policy=False), with_swaps=False)
    assert with_policy.hours_worn >= no_policy.hours_worn
    assert with_policy.hours_in_mode["saver"] > 0 and no_policy.hours_in_mode["saver"] == 0


def test_measured_software_cost_drives_the_default_day(tmp_path):
    """The default day costs the stack's measured CPU per state: more CPU, shorter day; a bad file is an error."""
    measured = PowerModel.measured()
    assumed = PowerModel()
    idle = measured.activity("idle")
    assert idle.stack_cpu_pct > 0 and idle.soc_awake  # the stack as measured keeps the app SoC awake
    assert measured.battery_w(idle) > assumed.battery_w(assumed.activity("idle"))
    assert glasses(["power-day", "--out", str(tmp_path / "m"), "--no-plot"]) == 0
    doc = json.loads((tmp_path / "m" / "power_day.json").read_text())
    assert doc["cost_source"].startswith("stack CPU measured")
    hungry = tmp_path / "hungry.json"
    cpu = json.loads(MEASURED_CPU_FILE.read_text())
    cpu["stack_cpu_pct"] = {s: {k: 2 * v for k, v in nodes.items()} for s, nodes in cpu["stack_cpu_pct"].items()}
    hungry.write_text(json.dumps(cpu))
    assert glasses(["power-day", "--out", str(tmp_path / "h"), "--no-plot", "--cpu-file", str(hungry)]) == 0
    worse = json.loads((tmp_path / "h" / "power_day.json").read_text())
    assert worse["hours_worn_without_swaps"] < doc["hours_worn_without_swaps"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"stack_cpu_pct": {"worn_idle": {}}}))
    assert glasses(["power-day", "--out", str(tmp_path / "b"), "--cpu-file", str(broken)]) == 2

