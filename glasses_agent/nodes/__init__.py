"""ROS 2 node of the agent: a thin wrapper around glasses_agent.dialogue."""
