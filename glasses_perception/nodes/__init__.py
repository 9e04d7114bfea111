"""ROS 2 node wrappers of the perception cores."""
