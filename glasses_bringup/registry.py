"""Every node executable of the package: name -> (Node class, description).

One table serves setup.py (console_scripts), the rig runner (composed mode builds
the class directly) and the tests that check rigs and launch files against it.
This module must stay importable without rclpy: setup.py reads it.
"""

# executable name -> "module:NodeClass"
NODES: dict[str, str] = {
    # glasses_bringup: sensors and outputs
    "camera": "glasses_bringup.nodes.camera_node:CameraNode",
    "microphone": "glasses_bringup.nodes.microphone_node:MicrophoneNode",
    "imu": "glasses_bringup.nodes.imu_node:ImuNode",
    "orientation_filter": "glasses_bringup.nodes.orientation_node:OrientationFilterNode",
    "touch_input": "glasses_bringup.nodes.touch_node:TouchNode",
    "hud_display": "glasses_bringup.nodes.display_node:DisplayNode",
    "speaker": "glasses_bringup.nodes.speaker_node:SpeakerNode",
    "scenario_clock": "glasses_bringup.nodes.scenario_node:ScenarioNode",
    "battery_manager": "glasses_bringup.nodes.battery_manager_node:BatteryManagerNode",
    "power_policy": "glasses_bringup.nodes.power_policy_node:PowerPolicyNode",
    "vad": "glasses_perception.nodes.vad_node:VadNode",
    "wake": "glasses_perception.nodes.wake_node:WakeNode",
    "asr": "glasses_perception.nodes.asr_node:AsrNode",
    "captions": "glasses_perception.nodes.captions_node:CaptionsNode",
    "head_gesture": "glasses_perception.nodes.head_gesture_node:HeadGestureNode",
    "code_reader": "glasses_perception.nodes.code_reader_node:CodeReaderNode",
    "text_reader": "glasses_perception.nodes.text_reader_node:TextReaderNode",
    "product_recognizer": "glasses_perception.nodes.product_recognizer_node:ProductRecognizerNode",
    "agent": "glasses_agent.nodes.agent_node:AgentNode",
}

# Executables that are not nodes (CLI tools).
TOOLS: dict[str, str] = {
    "glasses": "glasses_bringup.cli:main",
}


def console_scripts() -> list[str]:
    """Entry points for setup.py: one per node plus the tools.

    A node's entry point is ``glasses_bringup.entry:NAME``, which sets the DDS
    environment (localhost discovery, the stack's Fast DDS profile) before the node
    module loads rclpy. Names must not shadow system commands (``touch``, ``display``
    would, once the venv is activated): a test checks /usr/bin and /bin.
    """
    scripts = [f"{name} = glasses_bringup.entry:{name}" for name in NODES]
    scripts += [f"{name} = {target}" for name, target in TOOLS.items()]
    return scripts
