"""The topic contract of the stack as data: name, message type, QoS class, producer.

docs/interfaces.md documents the same table; a test keeps the two in step.
Importable without rclpy (the QoS classes are names, turned into rclpy
profiles by glasses_bringup.foundation.ros.qos).
"""

from dataclasses import dataclass

# QoS classes (see docs/interfaces.md#qos)
SENSOR = "sensor"  # best effort, keep last 2, volatile: drop rather than queue stale frames
AUDIO = "audio"  # reliable, keep last 50 (1 s of 20 ms chunks): speech must not lose samples
LATCHED = "latched"  # reliable, keep last 1, transient local: state a late joiner needs
EVENTS = "events"  # reliable, keep last 10, volatile: low-rate semantic events
STILL = "still"  # reliable, keep last 5: captured stills
DEFAULT = "default"  # rclpy default (reliable, keep last 10)

QOS_CLASSES = (SENSOR, AUDIO, LATCHED, EVENTS, STILL, DEFAULT)


@dataclass(frozen=True)
class Topic:
    name: str  # relative: the rig's namespace applies
    msg_type: str  # ROS type name, e.g. sensor_msgs/msg/Image
    qos: str
    producer: str
    schema: str | None = None  # event schema name for std_msgs/String events


STRING = "std_msgs/msg/String"

TOPICS: tuple[Topic, ...] = (
    Topic("camera/image_raw", "sensor_msgs/msg/Image", SENSOR, "camera"),
    Topic("camera/image_raw/compressed", "sensor_msgs/msg/CompressedImage", SENSOR, "camera"),
    Topic("camera/camera_info", "sensor_msgs/msg/CameraInfo", SENSOR, "camera"),
    Topic("camera/still", "sensor_msgs/msg/CompressedImage", STILL, "camera"),
    Topic("camera/privacy_led", "std_msgs/msg/Bool", LATCHED, "camera"),
    Topic("audio/raw", "sensor_msgs/msg/Image", AUDIO, "microphone"),
    Topic("imu/data_raw", "sensor_msgs/msg/Imu", SENSOR, "imu / coprocessor_link"),
    Topic("imu/data", "sensor_msgs/msg/Imu", SENSOR, "orientation_filter"),
    Topic("gnss/fix", "sensor_msgs/msg/NavSatFix", SENSOR, "gnss"),
    Topic("imu/mag", "sensor_msgs/msg/MagneticField", SENSOR, "replay (bag profile)"),
    Topic("imu/pressure", "sensor_msgs/msg/FluidPressure", SENSOR, "replay (bag profile)"),
    Topic("power/battery/left", "sensor_msgs/msg/BatteryState", LATCHED, "battery_manager"),
    Topic("power/battery/right", "sensor_msgs/msg/BatteryState", LATCHED, "battery_manager"),
    Topic("power/battery", "sensor_msgs/msg/BatteryState", LATCHED, "battery_manager"),
    Topic("power/state", STRING, LATCHED, "power_policy", "power_state"),
    Topic("power/notice", STRING, EVENTS, "power_policy", "power_notice"),
    Topic("input/touch", STRING, EVENTS, "touch / coprocessor_link", "touch"),
    Topic("input/button", STRING, EVENTS, "coprocessor_link", "button"),
    Topic("input/hinge", STRING, EVENTS, "coprocessor_link", "hinge"),
    Topic("power/gauge/left", "sensor_msgs/msg/BatteryState", EVENTS, "coprocessor_link"),
    Topic("power/gauge/right", "sensor_msgs/msg/BatteryState", EVENTS, "coprocessor_link"),
    Topic("display/brightness", "std_msgs/msg/Float32", LATCHED, "display"),
    Topic("input/head_gesture", STRING, EVENTS, "head_gesture", "head_gesture"),
    Topic("perception/vad", STRING, EVENTS, "vad", "vad"),
    Topic("perception/wake", STRING, EVENTS, "wake / coprocessor_link", "wake"),
    Topic("perception/transcript", STRING, EVENTS, "asr", "transcript"),
    Topic("perception/caption", STRING, EVENTS, "captions", "caption"),
    Topic("perception/codes", STRING, EVENTS, "code_reader", "code"),
    Topic("perception/text", STRING, EVENTS, "text_reader", "text"),
    Topic("perception/product", STRING, EVENTS, "product_recognizer", "product"),
    Topic("perception/text_request", STRING, EVENTS, "agent", "text_request"),
    Topic("agent/intent", STRING, EVENTS, "agent", "intent"),
    Topic("agent/response", STRING, EVENTS, "agent", "response"),
    Topic("agent/action", STRING, EVENTS, "agent", "action"),
    Topic("agent/listen_mode", STRING, LATCHED, "agent", "listen_mode"),
    Topic("agent/metrics", STRING, LATCHED, "agent", "agent_metrics"),
    Topic("display/card", STRING, EVENTS, "agent", "card"),
    Topic("display/image", "sensor_msgs/msg/Image", SENSOR, "display"),
    Topic("speaker/say", STRING, EVENTS, "agent", "say"),
    Topic("media/request", STRING, EVENTS, "agent", "media_request"),
    Topic("media/result", STRING, EVENTS, "media_recorder", "media_result"),
    Topic("phone/call", STRING, LATCHED, "agent", "call_state"),
    Topic("music/command", STRING, EVENTS, "agent", "music_command"),
    Topic("music/state", STRING, LATCHED, "music_player", "music_state"),
    Topic("speaker/music", "sensor_msgs/msg/Image", AUDIO, "music_player"),
    Topic("speaker/state", STRING, EVENTS, "speaker", "speaker_state"),
    Topic("sim/scenario", STRING, EVENTS, "scenario_clock", "scenario_event"),
    Topic("/diagnostics", "diagnostic_msgs/msg/DiagnosticArray", DEFAULT, "every node"),
    Topic("/clock", "rosgraph_msgs/msg/Clock", DEFAULT, "replay / sim"),
)



def _catalog_topics() -> tuple[Topic, ...]:
    from glasses_bringup.foundation.sensor_catalog import SENSORS

    return tuple(Topic(t.name, t.msg_type, t.qos, s.name, t.schema) for s in SENSORS for t in s.topics)


# Sensors added the documented way declare their topics in glasses_bringup/foundation/sensor_catalog.py.
TOPICS = TOPICS[:-2] + _catalog_topics() + TOPICS[-2:]  # /diagnostics and /clock stay last

BY_NAME: dict[str, Topic] = {t.name: t for t in TOPICS}


def lookup(topic: str) -> Topic | None:
    """Find a contract topic from a relative or namespaced name (/glasses/camera/image_raw)."""
    if topic in BY_NAME:
        return BY_NAME[topic]
    parts = topic.strip("/").split("/")
    for i in range(len(parts)):
        cand = "/".join(parts[i:])
        if cand in BY_NAME and not BY_NAME[cand].name.startswith("/"):
            return BY_NAME[cand]
    return None


# Coordinate frames (REP-103 / REP-145)
FRAME_HEAD = "head"
FRAME_IMU = "imu_link"
FRAME_CAMERA = "camera_optical"
FRAME_DISPLAY = "display"
FRAME_MIC = "mic_array"
