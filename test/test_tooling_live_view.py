"""Live view: the Foxglove bridge serves HUD, camera, orientation, battery and events to a websocket client."""

import json
import struct
import time
from pathlib import Path

import numpy as np
import pytest
from rclpy.parameter import Parameter
from sensor_msgs.msg import BatteryState, Image, Imu
from std_msgs.msg import String

from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.ros.msgs import image_msg
from glasses_bringup.foundation.testing import wait_for
from glasses_bringup.live_view import LiveStreams, default_streams, event_line

REPO = Path(__file__).resolve().parents[1]
LAYOUT = REPO / "config" / "foxglove" / "glasses.json"


def test_streams_are_wanted_only_while_watched():
    streams = LiveStreams(default_streams("/glasses"))
    assert streams.wanted_ros_topics() == set()
    streams.subscribe("/glasses/camera/image_raw/compressed")
    streams.subscribe("/glasses/camera/image_raw/compressed")
    streams.unsubscribe("/glasses/camera/image_raw/compressed")
    assert streams.wanted_ros_topics() == {"camera/image_raw/compressed"}
    streams.unsubscribe("/glasses/camera/image_raw/compressed")
    assert streams.wanted_ros_topics() == set()
    streams.subscribe("/glasses/events")
    assert {"agent/action", "perception/codes", "input/head_gesture"} <= streams.wanted_ros_topics()
    assert event_line("agent/action", {"schema": "action", "action": "pay", "status": "done"}) == \
        "agent/action [action] action=pay status=done"


class FoxgloveClient:
    """A minimal Foxglove WebSocket protocol client (advertise, subscribe, binary message data)."""

    def __init__(self, port: int):
        import websocket

        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}", subprotocols=["foxglove.sdk.v1"], timeout=5)
        self.channels: dict[str, dict] = {}
        self.messages: dict[int, list[bytes]] = {}
        self.subscribed: dict[int, str] = {}

    def pump(self, seconds: float) -> None:
        import websocket

        deadline = time.monotonic() + seconds
        self.ws.settimeout(0.1)
        while time.monotonic() < deadline:
            try:
                frame = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            if isinstance(frame, str):
                doc = json.loads(frame)
                if doc.get("op") == "advertise":
                    for ch in doc["channels"]:
                        self.channels[ch["topic"]] = ch
            elif frame[0] == 0x01:  # message data: opcode, subscription id, log time, payload
                sub_id = struct.unpack_from("<I", frame, 1)[0]
                self.messages.setdefault(sub_id, []).append(bytes(frame[13:]))

    def subscribe(self, topics: list[str]) -> None:
        subs = []
        for i, topic in enumerate(topics, start=len(self.subscribed) + 1):
            subs.append({"id": i, "channelId": self.channels[topic]["id"]})
            self.subscribed[i] = topic
        self.ws.send(json.dumps({"op": "subscribe", "subscriptions": subs}))

    def received(self, topic: str) -> list[bytes]:
        return [m for i, t in self.subscribed.items() if t == topic for m in self.messages.get(i, [])]

    def close(self) -> None:
        self.ws.close()


def test_bridge_serves_the_glasses_to_a_websocket_client_lazily(ros):
    from glasses_bringup.foxglove_bridge_node import FoxgloveBridgeNode

    bridge = ros.add(FoxgloveBridgeNode(namespace="/glasses", parameter_overrides=[Parameter("port", value=0)]))
    assert bridge.host == "127.0.0.1" and bridge.bound_port > 0  # loopback unless told otherwise
    client = FoxgloveClient(bridge.bound_port)
    try:
        client.pump(1.0)
        for topic in ("/glasses/display/image", "/glasses/camera/image_raw/compressed", "/glasses/imu/pose",
                      "/glasses/tf", "/glasses/power/battery", "/glasses/events", "/glasses/agent/action"):
            assert topic in client.channels, sorted(client.channels)
        assert bridge.subscriptions_by_topic == {}  # nobody watches yet: no ROS subscription
        client.subscribe(["/glasses/events", "/glasses/agent/action", "/glasses/power/battery",
                          "/glasses/display/image", "/glasses/imu/pose"])
        assert wait_for(lambda: {"agent/action", "power/battery", "display/image", "imu/data"}
                        <= set(bridge.subscriptions_by_topic), 5)
        time.sleep(0.5)  # ROS discovery of the new subscriptions

        action = ros.publisher("agent/action", String)
        battery = ros.publisher("power/battery", BatteryState)
        hud = ros.publisher("display/image", Image)
        imu = ros.publisher("imu/data", Imu)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(
                client.received(t) for t in ("/glasses/agent/action", "/glasses/power/battery",
                                             "/glasses/display/image", "/glasses/events", "/glasses/imu/pose")):
            action.publish(String(data=ev.encode(ev.Action(stamp=time.time(), action="pay", status="done",
                                                           details={"amount": "12.50"}))))
            battery.publish(BatteryState(percentage=0.42, voltage=3.8, present=True))
            hud.publish(image_msg(np.zeros((40, 64), np.uint8), "mono8", ros.probe.get_clock().now().to_msg(),
                                  "display"))
            msg = Imu()
            msg.orientation.w, msg.header.frame_id = 1.0, "head"
            imu.publish(msg)
            client.pump(0.3)
        action_json = json.loads(client.received("/glasses/agent/action")[0])
        assert action_json["action"] == "pay" and action_json["details"]["amount"] == "12.50"
        assert json.loads(client.received("/glasses/power/battery")[0])["percentage"] == pytest.approx(0.42)
        assert b"action=pay" in client.received("/glasses/events")[0]
        assert len(client.received("/glasses/display/image")[0]) >= 40 * 64  # the HUD pixels went out
        assert client.received("/glasses/imu/pose")
    finally:
        client.close()
    assert wait_for(lambda: bridge.subscriptions_by_topic == {}, 5)  # client gone: ROS subscriptions dropped


def test_layout_file_shows_the_bridge_channels():
    layout = json.loads(LAYOUT.read_text())
    text = json.dumps(layout["configById"])
    for topic in ("/glasses/display/image", "/glasses/camera/image_raw/compressed", "/glasses/power/battery",
                  "/glasses/events", "/glasses/tf"):
        assert topic in text, topic
    served = {s.channel for s in default_streams("/glasses")} | {"/glasses/tf"}
    for panel in layout["configById"].values():
        for value in json.dumps(panel).split('"'):
            if value.startswith("/glasses/"):
                assert value.split(".")[0] in served, value
