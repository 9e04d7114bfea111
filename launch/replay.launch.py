"""ros2 launch glasses_stack replay.launch.py — nodes from config/rigs/replay.yaml."""

from glasses_bringup.launch_support import rig_launch_description


def generate_launch_description():
    return rig_launch_description("replay")
