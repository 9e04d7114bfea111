"""Parameters every simulated source shares: the scenario file and its start stamp."""

from __future__ import annotations

from glasses_bringup.drivers.sim.scenario import Scenario, load


def declare_scenario(node, required: bool) -> tuple[Scenario | None, float]:
    """Declare `scenario` and `scenario_start`; load the scenario (ScenarioError if bad).

    All simulated sensors of a rig share one scenario_start (set by the runner), so
    their data line up; 0 means "when this node starts".
    """
    path = node.declare("scenario", "", "Scenario file (YAML timeline) driving simulated sources.")
    start = node.declare(
        "scenario_start", 0.0, "ROS time (s) of scenario t=0, shared by all sim nodes; 0 = node start."
    )
    if not path:
        if required:
            raise ValueError(f"{node.get_name()}: source 'sim' needs the `scenario` parameter")
        return None, 0.0
    scenario = load(path)
    if start <= 0.0:
        start = node.now_s()
    return scenario, start
