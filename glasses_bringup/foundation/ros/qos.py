"""rclpy QoS profiles for the contract's QoS classes (see docs/interfaces.md#qos)."""

from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    QoSProfile,
    ReliabilityPolicy,
    qos_profile_sensor_data,
)

from glasses_bringup.foundation import interfaces


def profile(qos_class: str, depth: int | None = None, reliable: bool | None = None) -> QoSProfile:
    """The profile of a QoS class, with optional depth / reliability overrides from parameters."""
    if qos_class == interfaces.SENSOR:
        qos = QoSProfile(
            history=HistoryPolicy.KEEP_LAST,
            depth=2,
            reliability=ReliabilityPolicy.BEST_EFFORT,
            durability=DurabilityPolicy.VOLATILE,
        )
    elif qos_class == interfaces.AUDIO:
        qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=50, reliability=ReliabilityPolicy.RELIABLE)
    elif qos_class == interfaces.LATCHED:
        qos = QoSProfile(
            history=HistoryPolicy.KEEP_LAST,
            depth=1,
            reliability=ReliabilityPolicy.RELIABLE,
            durability=DurabilityPolicy.TRANSIENT_LOCAL,
        )
    elif qos_class == interfaces.EVENTS:
        qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE)
    elif qos_class == interfaces.STILL:
        qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=5, reliability=ReliabilityPolicy.RELIABLE)
    elif qos_class == interfaces.DEFAULT:
        qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10)
    else:
        raise ValueError(f"unknown QoS class {qos_class!r}")
    if depth is not None and depth > 0:
        qos.depth = depth
    if reliable is not None:
        qos.reliability = ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT
    return qos


def for_topic(name: str) -> QoSProfile:
    """Profile of a contract topic (relative or namespaced name); default for others."""
    topic = interfaces.lookup(name)
    return profile(topic.qos if topic else interfaces.DEFAULT)


SENSOR_DATA = qos_profile_sensor_data
