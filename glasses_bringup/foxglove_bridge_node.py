"""Live view: a Foxglove WebSocket server (foxglove-sdk) serving the glasses at a glance.

Channels: the HUD image (display/image, mono8 -> RawImage), the camera's JPEG
stream (camera/image_raw/compressed -> CompressedImage), head orientation
(imu/data -> PoseInFrame, plus a FrameTransform world -> head for the 3D panel),
battery (power/battery -> JSON) and every event topic (JSON per topic, and one
Log channel /glasses/events with a line per event). config/foxglove/glasses.json
is a layout for them. Open Foxglove and connect to ws://HOST:PORT.

Binds to 127.0.0.1 by default (``host`` parameter): the glasses' camera and HUD
are private; serving them beyond the machine is a deliberate choice. A ROS topic is
subscribed only while a Foxglove client watches a channel it feeds; images are
forwarded at most ``max_image_hz``. QoS: sensor-data for images and IMU, latched
for battery, events reliable (as the contract).
"""

from __future__ import annotations

import json
import math

from sensor_msgs.msg import BatteryState, CompressedImage, Image, Imu
from std_msgs.msg import String

from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node
from glasses_bringup.live_view import LiveStreams, Stream, default_streams, event_line

ROS_TYPES = {"hud_image": Image, "camera": CompressedImage, "pose": Imu, "battery": BatteryState,
             "event": String, "event_log": String}
BATTERY_SCHEMA = {
    "type": "object",
    "properties": {k: {"type": "number"} for k in ("percentage", "voltage", "current", "temperature")}
    | {"present": {"type": "boolean"}, "status": {"type": "integer"}},
}
EVENT_SCHEMA = {"type": "object", "additionalProperties": True}


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


class _Listener:
    """foxglove ServerListener: counts subscriptions per channel (called on the server's thread)."""

    def __init__(self, streams: LiveStreams):
        self.streams = streams

    def on_subscribe(self, client, channel) -> None:
        self.streams.subscribe(channel.topic)

    def on_unsubscribe(self, client, channel) -> None:
        self.streams.unsubscribe(channel.topic)


class FoxgloveBridgeNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("foxglove_bridge", **kwargs)
        import foxglove
        from foxglove import channels as fc

        self.host = self.declare("host", "127.0.0.1", "Address the WebSocket server binds to (loopback by default: "
                                 "camera and HUD are private).", read_only=True)
        self.port = self.declare("port", 8765, "WebSocket port; 0 picks a free one.", min=0, max=65535, read_only=True)
        self.max_image_hz = self.declare("max_image_hz", 10.0, "Forward images at most this often (Hz).",
                                         min=0.1, max=60.0)
        self.world_frame = self.declare("world_frame", "world", "Parent frame of the head pose.")
        self.context_fg = foxglove.Context()
        self.streams = LiveStreams(default_streams(self.get_namespace()))
        self.channels: dict[str, object] = {}
        for s in self.streams.streams:
            if s.channel in self.channels:
                continue
            if s.kind == "hud_image":
                ch = fc.RawImageChannel(s.channel, context=self.context_fg)
            elif s.kind == "camera":
                ch = fc.CompressedImageChannel(s.channel, context=self.context_fg)
            elif s.kind == "pose":
                ch = fc.PoseInFrameChannel(s.channel, context=self.context_fg)
                self.tf_channel = fc.FrameTransformChannel(f"{self.get_namespace().rstrip('/')}/tf",
                                                           context=self.context_fg)
            elif s.kind == "event_log":
                ch = fc.LogChannel(s.channel, context=self.context_fg)
            else:
                schema = BATTERY_SCHEMA if s.kind == "battery" else EVENT_SCHEMA
                ch = foxglove.Channel(s.channel, schema=schema, message_encoding="json", context=self.context_fg)
            self.channels[s.channel] = ch
        self.server = foxglove.start_server(name="glasses_stack", host=self.host, port=self.port,
                                            server_listener=_Listener(self.streams), context=self.context_fg)
        self.bound_port = self.server.port
        self.get_logger().info(f"live view on ws://{self.host}:{self.bound_port} (Foxglove: open connection)")
        self.subscriptions_by_topic: dict[str, object] = {}
        self.forwarded = 0
        self._next_image: dict[str, float] = {}
        self.create_timer(0.2, self.reconcile)

    # -- lazy ROS subscriptions -----------------------------------------------------

    def reconcile(self) -> None:
        """Subscribe to the ROS topics some client watches; drop the rest (runs on the executor)."""
        wanted = self.streams.wanted_ros_topics()
        # the tf channel rides on the pose stream
        if self.streams.watched(f"{self.get_namespace().rstrip('/')}/tf"):
            wanted.add("imu/data")
        for topic in list(self.subscriptions_by_topic):
            if topic not in wanted:
                self.destroy_subscription(self.subscriptions_by_topic.pop(topic))
        for topic in wanted - set(self.subscriptions_by_topic):
            kinds = [s for s in self.streams.streams if s.ros_topic == topic]
            msg_type = ROS_TYPES[kinds[0].kind]
            self.subscriptions_by_topic[topic] = self.create_subscription(
                msg_type, topic, lambda msg, ks=kinds: self.forward(ks, msg), gq.for_topic(topic))
        self.health.set("ros_subscriptions", len(self.subscriptions_by_topic))

    # -- ROS -> Foxglove --------------------------------------------------------------

    def _image_due(self, channel: str) -> bool:
        """At most max_image_hz on average: a 15 Hz camera at a 10 Hz cap gives 10 Hz, not 7.5."""
        now = self.now_s()
        period = 1.0 / self.max_image_hz
        due = self._next_image.get(channel, now)
        if now < due:
            return False
        self._next_image[channel] = max(due + period, now - period)
        return True

    def forward(self, streams: list[Stream], msg) -> None:
        from foxglove import messages as fm

        for s in streams:
            ch = self.channels[s.channel]
            if s.kind == "hud_image":
                if not self._image_due(s.channel):
                    continue
                ch.log(fm.RawImage(timestamp=self._ts(msg.header.stamp), frame_id=msg.header.frame_id,
                                   width=msg.width, height=msg.height, encoding=msg.encoding, step=msg.step,
                                   data=bytes(msg.data)))
            elif s.kind == "camera":
                if not self._image_due(s.channel):
                    continue
                fmt = "png" if "png" in msg.format else "jpeg"
                ch.log(fm.CompressedImage(timestamp=self._ts(msg.header.stamp), frame_id=msg.header.frame_id,
                                          data=bytes(msg.data), format=fmt))
            elif s.kind == "pose":
                q = msg.orientation
                rotation = fm.Quaternion(x=q.x, y=q.y, z=q.z, w=q.w)
                ts = self._ts(msg.header.stamp)
                ch.log(fm.PoseInFrame(timestamp=ts, frame_id=self.world_frame,
                                      pose=fm.Pose(position=fm.Vector3(x=0.0, y=0.0, z=0.0), orientation=rotation)))
                self.tf_channel.log(fm.FrameTransform(timestamp=ts, parent_frame_id=self.world_frame,
                                                      child_frame_id=msg.header.frame_id or "head",
                                                      translation=fm.Vector3(x=0.0, y=0.0, z=0.0),
                                                      rotation=rotation))
            elif s.kind == "battery":
                ch.log({"percentage": _finite(msg.percentage), "voltage": _finite(msg.voltage),
                        "current": _finite(msg.current), "temperature": _finite(msg.temperature),
                        "present": bool(msg.present), "status": int(msg.power_supply_status)})
            else:
                try:
                    event = json.loads(msg.data)
                except json.JSONDecodeError:
                    self.health.reject("malformed_event", msg.data[:80])
                    continue
                if s.kind == "event":
                    ch.log(event)
                else:
                    level = fm.LogLevel.Warning if event.get("status") in ("failed", "refused") else fm.LogLevel.Info
                    stamp = event.get("stamp") if isinstance(event.get("stamp"), (int, float)) else self.now_s()
                    ch.log(fm.Log(timestamp=fm.Timestamp.from_epoch_secs(stamp), level=level,
                                  message=event_line(s.ros_topic, event), name=s.ros_topic))
            self.forwarded += 1
        self.health.tick("forwarded")

    @staticmethod
    def _ts(stamp):
        from foxglove.messages import Timestamp

        return Timestamp(sec=stamp.sec, nsec=stamp.nanosec)

    def diagnostics_values(self) -> dict:
        return {"address": f"{self.host}:{self.bound_port}", "forwarded": self.forwarded,
                "ros_subscriptions": len(self.subscriptions_by_topic)}

    def destroy_node(self):
        if getattr(self, "server", None) is not None:
            self.server.stop()
            self.server = None
        return super().destroy_node()


def main(args=None):
    return run_node(FoxgloveBridgeNode, args)
