"""Media recorder node: capture requests -> photos and clips in the media folder.

Subscribes media/request (from the agent), camera/privacy_led and power/state
(latched: a capture needs the LED on, i.e. frames leaving the sensor, and is refused
in critical power mode), camera/still (a still is kept only when a photo request is
waiting for it) and, only while a clip records, camera/image_raw (sensor-data QoS).
Calls the camera's camera/capture service (std_srvs/Trigger) for a photo. Publishes
media/result. The logic is glasses_agent.backends.media.MediaRecorder.
"""

from __future__ import annotations

from pathlib import Path

from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Bool
from std_srvs.srv import Trigger

from glasses_agent.backends.media import MediaRecorder, MediaStore
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation import interfaces
from glasses_bringup.foundation.image_codec import CodecError, compressed_topic, decode_rgb
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node


def default_media_dir() -> Path:
    import os

    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "glasses_stack" / "media"


class MediaRecorderNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("media_recorder", **kwargs)
        folder = self.declare("media_dir", "", "Media folder; empty = ~/.local/share/glasses_stack/media.")
        store = MediaStore(
            folder or default_media_dir(),
            min_free_mb=self.declare("min_free_mb", 200.0, "Refuse a capture below this free space (MB).",
                                     min=0.0, max=1e6),  # fmt: skip
            thumb_px=self.declare("thumb_px", 160, "Longest side of a thumbnail (px).", min=16, max=1024),
            video_fps=self.declare("video_fps", 15.0, "Frame rate written into clips (the camera's rate).",
                                   min=1.0, max=120.0),  # fmt: skip
            max_video_s=self.declare("max_video_s", 120.0, "A clip stops by itself after this long (s).",
                                     min=1.0, max=3600.0),  # fmt: skip
        )
        self.recorder = MediaRecorder(store, self.declare("still_timeout_s", 3.0, "Wait for the camera's still (s).",
                                                          min=0.1, max=30.0))  # fmt: skip
        self.still_source = self.declare("still_source", "capture", "Where a photo comes from: the camera's capture "
                                         "service, or the next streamed frame (rigs without a camera node: replay).",
                                         choices=("capture", "frames"))  # fmt: skip
        self.image_transport = self.declare("image_transport", "raw", "Streamed frames (still_source frames, clips) "
                                            "from camera/image_raw or its JPEG stream camera/image_raw/compressed "
                                            "(replay of a bag that holds only the compressed stream).",
                                            choices=("raw", "compressed"))  # fmt: skip
        self.pub_result = self.event_publisher("media/result")
        self.event_subscription("media/request", ev.MediaRequest, self.on_request)
        self.event_subscription("power/state", ev.PowerState, self.on_power)
        self.create_subscription(Bool, "camera/privacy_led", self.on_led, gq.for_topic("camera/privacy_led"))
        self.create_subscription(CompressedImage, "camera/still", self.on_still, gq.for_topic("camera/still"))
        self.capture_client = self.create_client(Trigger, "camera/capture")
        self.frames_sub = None
        self.still_sub = None  # still_source frames: subscribed only while a photo waits for its frame
        self.create_timer(0.5, self.on_tick)
        self.health.set("media_dir", str(store.folder))

    # -- inputs -------------------------------------------------------------------------

    def on_request(self, msg: ev.MediaRequest) -> None:
        self.publish(self.recorder.request(msg.action, msg.request_id, self.now_s()), msg.stamp)
        if msg.action == "photo" and self.recorder.photo is not None and self.still_source == "frames":
            if self.still_sub is None:
                self.still_sub = self._frames_subscription(self.on_still_frame, depth=1)
            return
        if msg.action == "photo" and self.recorder.photo is not None:
            if not self.capture_client.service_is_ready():
                self.publish(self.recorder.on_still_refused("camera_capture_unavailable"), msg.stamp)
                return
            future = self.capture_client.call_async(Trigger.Request())
            future.add_done_callback(lambda f, stamp=msg.stamp: self._captured(f, stamp))

    def _captured(self, future, stamp: float) -> None:
        response = future.result()
        if response is None or not response.success:
            self.publish(self.recorder.on_still_refused(response.message if response else "no_response"), stamp)

    def on_still(self, msg: CompressedImage) -> None:
        if msg.format.split(";")[0].strip().lower() not in ("jpeg", "jpg"):
            self.health.reject("still_not_jpeg")
            return
        self.publish(self.recorder.on_still(bytes(msg.data), self.now_s()), self.stamp_s(msg.header))

    def _frames_subscription(self, callback, depth: int):
        if self.image_transport == "compressed":
            return self.create_subscription(CompressedImage, compressed_topic("camera/image_raw"), callback,
                                            gq.profile(interfaces.SENSOR, depth=depth))  # fmt: skip
        return self.create_subscription(Image, "camera/image_raw", callback, gq.profile(interfaces.SENSOR, depth=depth))

    def on_still_frame(self, msg: Image | CompressedImage) -> None:
        """still_source frames: the first frame after the request, JPEG-encoded as the camera's service would."""
        import cv2

        if self.still_sub is not None:
            self.destroy_subscription(self.still_sub)
            self.still_sub = None
        if isinstance(msg, CompressedImage) and msg.format.split(";")[0].strip().lower() in ("jpeg", "jpg"):
            self.publish(self.recorder.on_still(bytes(msg.data), self.now_s()), self.stamp_s(msg.header))
            return
        rgb = self._rgb(msg)
        if rgb is None:
            return
        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        if ok:
            self.publish(self.recorder.on_still(jpeg.tobytes(), self.now_s()), self.stamp_s(msg.header))

    def _rgb(self, msg: Image | CompressedImage):
        import numpy as np

        if isinstance(msg, CompressedImage):
            try:
                return decode_rgb(msg.data, msg.format)
            except CodecError as exc:
                self.health.reject("bad_image", str(exc))
                return None
        if msg.encoding != "rgb8":
            self.health.reject("frame_not_rgb8")
            return None
        return np.frombuffer(bytes(msg.data), np.uint8).reshape(msg.height, msg.step)[:, : msg.width * 3].reshape(
            msg.height, msg.width, 3)  # fmt: skip

    def on_frame(self, msg: Image | CompressedImage) -> None:
        rgb = self._rgb(msg)
        if rgb is not None:
            self.publish(self.recorder.on_frame(rgb, self.stamp_s(msg.header)), self.stamp_s(msg.header))

    def on_led(self, msg: Bool) -> None:
        self.publish(self.recorder.on_led(msg.data), self.now_s())

    def on_power(self, msg: ev.PowerState) -> None:
        self.publish(self.recorder.on_power(msg.mode), msg.stamp)

    def on_tick(self) -> None:
        self.publish(self.recorder.tick(self.now_s()), self.now_s())
        if self.recorder.photo is None and self.still_sub is not None:  # timed out: stop listening for frames
            self.destroy_subscription(self.still_sub)
            self.still_sub = None

    # -- outputs ------------------------------------------------------------------------

    def publish(self, results: list[dict], stamp: float) -> None:
        for result in results:
            self.pub_result.publish(ev.MediaResult(stamp=max(0.0, stamp), **result))
            self.health.tick(f"{result['action']}.{result['status']}")
        self._follow_frames()

    def _follow_frames(self) -> None:
        """Subscribe to camera frames only while a clip records."""
        if self.recorder.wants_frames and self.frames_sub is None:
            self.frames_sub = self._frames_subscription(self.on_frame, depth=5)
        elif not self.recorder.wants_frames and self.frames_sub is not None:
            self.destroy_subscription(self.frames_sub)
            self.frames_sub = None

    def diagnostics_values(self) -> dict:
        r = self.recorder
        return {"photos": r.photos, "videos": r.videos, "refused": r.refused, "recording": r.video_id is not None,
                "privacy_led": r.led_on, "power_mode": r.power_mode}  # fmt: skip

    def destroy_node(self):
        recorder = getattr(self, "recorder", None)
        if recorder is not None and recorder.video_id is not None:
            recorder.on_led(False)  # close the clip so what was recorded is kept
        return super().destroy_node()


def main(args=None):
    return run_node(MediaRecorderNode, args)
