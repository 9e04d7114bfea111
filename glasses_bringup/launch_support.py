"""Builds `ros2 launch` descriptions from rig files (launch/*.launch.py call this).

``node_descriptions`` is plain Python (tested here without a ROS install);
``rig_launch_description`` wraps it in launch_ros Node actions and is only
imported by `ros2 launch` on a machine with ROS 2.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from glasses_bringup.foundation.paths import share_path
from glasses_bringup.rig import load_rig, node_parameters

PACKAGE = "glasses_stack"


def node_descriptions(rig_name: str, variant: str | None, context: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything a launch_ros Node needs, per node of the rig, in rig order."""
    rig = load_rig(rig_name)
    variant = variant or rig.variant
    out = []
    for spec in rig.nodes_for(variant):
        params: list[Any] = []
        if spec.params_file:
            params.append(str(rig.params_path(spec)))
        params.append(node_parameters(rig, spec, {"variant": variant, **context}))
        out.append({
            "package": PACKAGE,
            "executable": spec.executable,
            "name": spec.name,
            "namespace": spec.namespace or rig.namespace,
            "parameters": params,
            "remappings": list(spec.remappings.items()),
            "respawn": spec.respawn,
            "respawn_delay": spec.respawn_delay_s,
        })
    return out


def rig_launch_description(rig_name: str):
    """LaunchDescription with arguments variant, scenario (sim), bag (replay)."""
    from launch.actions import DeclareLaunchArgument, ExecuteProcess, OpaqueFunction
    from launch.substitutions import LaunchConfiguration
    from launch_ros.actions import Node

    from launch import LaunchDescription

    rig = load_rig(rig_name)
    arguments = [DeclareLaunchArgument("variant", default_value=rig.variant, description="s1 or g1")]
    if rig.needs_scenario:
        arguments.append(DeclareLaunchArgument(
            "scenario", default_value=str(share_path("config", "scenarios", "demo.yaml")),
            description="scenario file driving the simulated sensors"))
    if rig.replay is not None:
        arguments.append(DeclareLaunchArgument("bag", description="bag directory to replay"))
        arguments.append(DeclareLaunchArgument("rate", default_value="1.0", description="replay rate"))

    def build(context, *args, **kwargs):
        variant = LaunchConfiguration("variant").perform(context)
        run_context = {"scenario_start": time.time() + 3.0, "run_dir": "/tmp", "image_transport": "raw"}
        if rig.replay is not None:
            from glasses_bringup.runner import replay_image_transport

            run_context["image_transport"] = replay_image_transport(LaunchConfiguration("bag").perform(context), {})
        if rig.needs_scenario:
            run_context["scenario"] = LaunchConfiguration("scenario").perform(context)
        actions = [Node(output="screen", **d) for d in node_descriptions(rig_name, variant, run_context)]
        if rig.replay is not None:
            actions.append(ExecuteProcess(
                cmd=[sys.executable, "-m", "glasses_bringup.cli", "replay",
                     LaunchConfiguration("bag").perform(context), "--rate",
                     LaunchConfiguration("rate").perform(context), "--topics", *rig.replay.topics],
                output="screen"))
        return actions

    return LaunchDescription([*arguments, OpaqueFunction(function=build)])
