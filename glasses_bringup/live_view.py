"""What the live view (Foxglove bridge) shows, as plain Python: streams, laziness, event lines.

The bridge serves a fixed set of Foxglove channels. Each channel is fed by one ROS
topic; a ROS subscription exists only while some Foxglove client subscribes to a
channel it feeds (so the camera encodes JPEG only while someone watches it).
``LiveStreams`` keeps that bookkeeping; ``event_line`` turns a stack event into a
one-line log entry for Foxglove's Log panel.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from glasses_bringup.foundation.interfaces import STRING, TOPICS


@dataclass(frozen=True)
class Stream:
    channel: str  # Foxglove channel topic (absolute)
    ros_topic: str  # relative ROS topic feeding it
    kind: str  # hud_image | camera | pose | battery | event | event_log


def default_streams(namespace: str = "/glasses") -> list[Stream]:
    ns = namespace.rstrip("/")
    streams = [
        Stream(f"{ns}/display/image", "display/image", "hud_image"),
        Stream(f"{ns}/camera/image_raw/compressed", "camera/image_raw/compressed", "camera"),
        Stream(f"{ns}/imu/pose", "imu/data", "pose"),
        Stream(f"{ns}/power/battery", "power/battery", "battery"),
    ]
    events = [t.name for t in TOPICS if t.msg_type == STRING and t.schema and not t.name.startswith("/")]
    streams += [Stream(f"{ns}/{name}", name, "event") for name in events]
    streams += [Stream(f"{ns}/events", name, "event_log") for name in events]
    return streams


class LiveStreams:
    """Which ROS topics are wanted, from the Foxglove channels clients subscribe to (thread-safe)."""

    def __init__(self, streams: list[Stream]):
        self.streams = streams
        self._subscribers: dict[str, int] = {}  # channel -> subscribed clients
        self._lock = threading.Lock()

    def subscribe(self, channel: str) -> None:
        with self._lock:
            self._subscribers[channel] = self._subscribers.get(channel, 0) + 1

    def unsubscribe(self, channel: str) -> None:
        with self._lock:
            n = self._subscribers.get(channel, 0) - 1
            if n > 0:
                self._subscribers[channel] = n
            else:
                self._subscribers.pop(channel, None)

    def wanted_ros_topics(self) -> set[str]:
        with self._lock:
            watched = set(self._subscribers)
        return {s.ros_topic for s in self.streams if s.channel in watched}

    def watched(self, channel: str) -> bool:
        with self._lock:
            return channel in self._subscribers


def event_line(topic: str, event: dict) -> str:
    """A short line for the Log panel: what happened, not every field."""
    schema = event.get("schema", "")
    key_fields = ("gesture", "text", "intent", "action", "status", "title", "kind", "state", "reason", "word")
    parts = [f"{k}={event[k]}" for k in key_fields if k in event and event[k] not in ("", None, [], {})]
    return f"{topic} [{schema}] " + " ".join(str(p)[:80] for p in parts)
