"""Power: fuel gauge, two hot-swappable packs, power model, policy and the day simulation.

Everything here is plain Python (no rclpy); the ROS nodes live in
glasses_bringup/drivers/nodes/battery_manager_node.py and power_policy_node.py.
"""
