"""ros2 launch glasses_stack sim.launch.py — nodes from config/rigs/sim.yaml."""

from glasses_bringup.launch_support import rig_launch_description


def generate_launch_description():
    return rig_launch_description("sim")
