"""ros2 launch glasses_stack jetson.launch.py — nodes from config/rigs/jetson.yaml."""

from glasses_bringup.launch_support import rig_launch_description


def generate_launch_description():
    return rig_launch_description("jetson")
