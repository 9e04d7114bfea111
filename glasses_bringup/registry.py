"""Every node executable of the package: name -> (Node class, description).

One table serves setup.py (console_scripts), the rig runner (composed mode builds
the class directly) and the tests that check rigs and launch files against it.
This module must stay importable without rclpy: setup.py reads it. Sensors added
the documented way (glasses_bringup/foundation/sensor_catalog.py) join NODES from there.
"""

import runpy
from pathlib import Path

# executable name -> "module:NodeClass"
NODES: dict[str, str] = {
    # glasses_bringup: sensors and outputs
    "camera": "glasses_bringup.drivers.nodes.camera_node:CameraNode",
    "microphone": "glasses_bringup.drivers.nodes.microphone_node:MicrophoneNode",
    "imu": "glasses_bringup.drivers.nodes.imu_node:ImuNode",
    "orientation_filter": "glasses_bringup.drivers.nodes.orientation_node:OrientationFilterNode",
    "touch_input": "glasses_bringup.drivers.nodes.touch_node:TouchNode",
    "hud_display": "glasses_bringup.drivers.nodes.display_node:DisplayNode",
    "speaker": "glasses_bringup.drivers.nodes.speaker_node:SpeakerNode",
    "scenario_clock": "glasses_bringup.drivers.nodes.scenario_node:ScenarioNode",
    "battery_manager": "glasses_bringup.drivers.nodes.battery_manager_node:BatteryManagerNode",
    "power_policy": "glasses_bringup.drivers.nodes.power_policy_node:PowerPolicyNode",
    "foxglove_bridge": "glasses_bringup.foxglove_bridge_node:FoxgloveBridgeNode",
    "coprocessor_link": "glasses_bringup.drivers.nodes.coprocessor_link_node:CoprocessorLinkNode",
    "vad": "glasses_perception.nodes.vad_node:VadNode",
    "wake": "glasses_perception.nodes.wake_node:WakeNode",
    "asr": "glasses_perception.nodes.asr_node:AsrNode",
    "captions": "glasses_perception.nodes.captions_node:CaptionsNode",
    "head_gesture": "glasses_perception.nodes.head_gesture_node:HeadGestureNode",
    "code_reader": "glasses_perception.nodes.code_reader_node:CodeReaderNode",
    "text_reader": "glasses_perception.nodes.text_reader_node:TextReaderNode",
    "product_recognizer": "glasses_perception.nodes.product_recognizer_node:ProductRecognizerNode",
    "agent": "glasses_agent.nodes.agent_node:AgentNode",
    "media_recorder": "glasses_agent.nodes.media_node:MediaRecorderNode",
    "music_player": "glasses_agent.nodes.music_node:MusicPlayerNode",
}


def _catalog_sensors():
    try:
        from glasses_bringup.foundation.sensor_catalog import SENSORS
    except ImportError:  # setup.py runs this file by path, before the package can be imported
        SENSORS = runpy.run_path(str(Path(__file__).parent / "foundation" / "sensor_catalog.py"))["SENSORS"]
    return SENSORS


NODES.update({sensor.name: sensor.node for sensor in _catalog_sensors()})

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
