"""Camera driver node: publishes camera/image_raw + camera_info, privacy LED, capture service.

Beside the raw topic it publishes camera/image_raw/compressed (JPEG, image_transport's
``compressed`` convention), lazily: a frame is encoded only while that topic has a
subscriber, so an unwatched compressed stream costs nothing. With no subscriber on
any of image_raw, image_raw/compressed and camera_info nothing is captured at all
and the privacy LED is off (a worn-idle G1 with vision parked pays no camera).

QoS: image_raw, image_raw/compressed and camera_info use the sensor-data profile
(best effort, keep last 2) so consumers never queue stale frames; privacy_led is
latched; stills are reliable. Parameters are listed in docs/bringup.md.

The capture service takes a still at ``still_width`` x ``still_height`` (the simulator
renders the scene at that size, a V4L2 device switches mode for one frame); a source
without that mode gives the streamed frame instead, said in the reply and counted
(``still_fallback``). The privacy LED is on for the whole capture.
"""

from __future__ import annotations

from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Bool
from std_srvs.srv import Trigger

from glasses_bringup.drivers.nodes.sim_support import declare_scenario
from glasses_bringup.drivers.sensors.camera import CameraError, camera_matrix, open_source
from glasses_bringup.foundation import health as hl
from glasses_bringup.foundation import interfaces
from glasses_bringup.foundation.image_codec import CodecError, compressed_topic, encode_jpeg, jpeg_format
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.msgs import image_msg
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node


class CameraNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("camera", **kwargs)
        self.source_kind = self.declare("source", "sim", "Frame source.", choices=("sim", "file", "device"))
        self.path = self.declare("path", "", "Video file or image folder for source 'file'.")
        self.device = self.declare(
            "device", "/dev/video0", "V4L2 device, index, or GStreamer pipeline for source 'device'."
        )
        self.width = self.declare("width", 640, "Frame width (px).", min=16, max=4096)
        self.height = self.declare("height", 480, "Frame height (px).", min=16, max=4096)
        self.fps = self.declare("fps", 15.0, "Frame rate (Hz); the power policy lowers it.", min=0.1, max=120.0)
        self.loop = self.declare("loop", True, "Loop a file source at its end.")
        self.frame_id = self.declare("frame_id", interfaces.FRAME_CAMERA, "Optical frame (z forward).")
        self.hfov_deg = self.declare("hfov_deg", 80.0, "Horizontal field of view for camera_info.", min=10.0, max=179.0)
        self.enabled = self.declare("enabled", True, "Stream frames; false turns the sensor and privacy LED off.")
        self.retry_s = self.declare("retry_s", 2.0, "Wait before reopening a failed device.", min=0.1, max=60.0)
        self.jpeg_quality = self.declare(
            "jpeg_quality", 80, "JPEG quality of camera/image_raw/compressed (1-100).", min=1, max=100
        )
        self.still_width = self.declare("still_width", 1920, "Still (photo) width (px); 0 = the frame size.",
                                        min=0, max=8192)  # fmt: skip
        self.still_height = self.declare("still_height", 1440, "Still (photo) height (px); 0 = the frame size.",
                                         min=0, max=8192)  # fmt: skip
        self.declare("hardware_id", "", "Camera serial or model for /diagnostics.")
        self.scenario, self.start = declare_scenario(self, required=self.source_kind == "sim")

        self.image_pub = self.create_publisher(Image, "camera/image_raw", gq.for_topic("camera/image_raw"))
        self.compressed_pub = self.create_publisher(
            CompressedImage, compressed_topic("camera/image_raw"), gq.for_topic(compressed_topic("camera/image_raw"))
        )
        self.compressed_published = 0
        self.info_pub = self.create_publisher(CameraInfo, "camera/camera_info", gq.for_topic("camera/camera_info"))
        self.still_pub = self.create_publisher(CompressedImage, "camera/still", gq.for_topic("camera/still"))
        self.led_pub = self.create_publisher(Bool, "camera/privacy_led", gq.for_topic("camera/privacy_led"))
        self.create_service(Trigger, "camera/capture", self.capture)

        self.source = None
        self.last_frame = None
        self.last_stamp = None
        self.last_t = 0.0
        self.stills_full = self.still_fallbacks = 0
        self.led = None
        self.next_open = 0.0
        self.info = self._camera_info()
        self.timer = self.create_timer(1.0 / self.fps, self.tick)
        self.on_change("fps", self._set_fps)
        self.on_change("enabled", self._set_enabled)
        self.on_change("jpeg_quality", self._set_jpeg_quality)
        self._set_led(False)

    # -- parameters at run time ---------------------------------------------------

    def _set_fps(self, value: float) -> str | None:
        if not 0.1 <= value <= 120.0:
            return "fps must be in [0.1, 120]"
        self.fps = float(value)
        self.timer.cancel()
        self.destroy_timer(self.timer)
        self.timer = self.create_timer(1.0 / self.fps, self.tick)
        self.get_logger().info(f"frame rate set to {self.fps:g} Hz")
        return None

    def _set_jpeg_quality(self, value: int) -> str | None:
        if not 1 <= value <= 100:
            return "jpeg_quality must be in [1, 100]"
        self.jpeg_quality = int(value)
        return None

    def _set_enabled(self, value: bool) -> str | None:
        self.enabled = bool(value)
        if not self.enabled:
            self._close_source()
        return None

    # -- streaming ----------------------------------------------------------------

    def _camera_info(self) -> CameraInfo:
        fx, fy, cx, cy = camera_matrix(self.width, self.height, self.hfov_deg)
        info = CameraInfo()
        info.header.frame_id = self.frame_id
        info.width, info.height = self.width, self.height
        info.distortion_model = "plumb_bob"
        info.d = [0.0] * 5
        info.k = [fx, 0.0, cx, 0.0, fy, cy, 0.0, 0.0, 1.0]
        info.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
        info.p = [fx, 0.0, cx, 0.0, 0.0, fy, cy, 0.0, 0.0, 0.0, 1.0, 0.0]
        return info

    def _set_led(self, on: bool) -> None:
        if self.led != on and self.context.ok():  # after a SIGTERM the context is gone
            self.led = on
            self.led_pub.publish(Bool(data=on))
            self.health.set("privacy_led", "on" if on else "off")

    def _open_source(self) -> bool:
        now = self.now_s()
        if now < self.next_open:
            return False
        try:
            self.source = open_source(
                self.source_kind, scenario=self.scenario, path=self.path, device=self.device,
                width=self.width, height=self.height, fps=self.fps, loop=self.loop, still_size=self.still_size(),
            )
            self.health.clear_level()
            self.get_logger().info(f"camera source '{self.source_kind}' open")
            return True
        except CameraError as exc:
            self._source_failed(str(exc))
            return False

    def _source_failed(self, message: str) -> None:
        self.health.error(message)
        self.health.set_level(hl.ERROR, message)
        self.get_logger().error(f"{message}; retrying in {self.retry_s:g} s", throttle_duration_sec=10.0)
        self._close_source()
        self.next_open = self.now_s() + self.retry_s

    def _close_source(self) -> None:
        if self.source is not None:
            self.source.close()
            self.source = None
        self._set_led(False)

    def _has_consumer(self) -> bool:
        return any(pub.get_subscription_count() > 0 for pub in (self.image_pub, self.compressed_pub, self.info_pub))

    def tick(self) -> None:
        if not self.enabled:
            return
        if self.source is None and not self._open_source():
            return  # a missing device is reported whether or not anyone watches
        if not self._has_consumer():
            # no subscriber: nothing is captured, rendered or encoded, and the privacy LED is off
            self._set_led(False)
            self.health.set("consumers", 0)
            return
        self.health.set("consumers", 1)
        read = self._read_frame()
        if read is None:
            return
        frame, t = read
        if frame is None:  # a file source that ended without looping
            self.health.set("source", "ended")
            self._set_led(False)
            return
        stamp = self.now_msg()  # acquisition time: when the driver got the frame
        self._set_led(True)  # frames are leaving the sensor
        self.image_pub.publish(image_msg(frame, "rgb8", stamp, self.frame_id))
        if self.compressed_pub.get_subscription_count() > 0:  # lazy: no subscriber, no encoding
            self._publish_compressed(frame, stamp)
        self.info.header.stamp = stamp
        self.info_pub.publish(self.info)
        self.last_frame, self.last_stamp, self.last_t = frame, stamp, t
        self.health.tick("frames")

    def _read_frame(self):
        """(frame, t) from the sensor, opening it if needed; None when it failed (reported). The
        frame is None when a file source has ended."""
        if self.source is None and not self._open_source():
            return None
        t = self.now_s() - self.start
        try:
            return self.source.read(t), t
        except CameraError as exc:
            self._source_failed(str(exc))
            return None

    def _grab_frame(self) -> None:
        """One frame from the sensor into last_frame, for a capture while nothing streams."""
        read = self._read_frame()
        if read is not None and read[0] is not None:
            self.last_frame, self.last_stamp, self.last_t = read[0], self.now_msg(), read[1]

    def _publish_compressed(self, frame, stamp) -> None:
        try:
            data = encode_jpeg(frame, self.jpeg_quality)
        except CodecError as exc:
            self.health.error(str(exc))
            return
        msg = CompressedImage(format=jpeg_format("rgb8"), data=data)
        msg.header.stamp, msg.header.frame_id = stamp, self.frame_id
        self.compressed_pub.publish(msg)
        self.compressed_published += 1
        self.health.tick("frames_compressed")

    def still_size(self) -> tuple[int, int]:
        return (self.still_width or self.width, self.still_height or self.height)

    def capture(self, request, response):
        """Publish a still at the still resolution as a JPEG on camera/still (an explicit capture)."""
        if not self._has_consumer() and self.enabled:
            self._grab_frame()  # nothing streams: this capture reads the sensor itself
        if self.last_frame is None or self.source is None:
            response.success, response.message = False, "no frame yet"
            return response
        self._set_led(True)  # frames leave the sensor for the whole capture (it is on while streaming)
        width, height = self.still_size()
        note = ""
        frame = self.last_frame
        if (width, height) != (self.width, self.height):
            still = getattr(self.source, "still", None)
            try:
                if still is None:
                    raise CameraError(f"source '{self.source_kind}' has no still mode")
                frame = still(self.last_t, width, height)
                self.stills_full += 1
            except CameraError as exc:  # fail soft: the streamed frame is still a photo
                self.still_fallbacks += 1
                self.health.tick("still_fallback")
                note = f"; {exc}: streamed {self.width}x{self.height} frame instead"
                self.get_logger().warning(f"still at {width}x{height} not taken{note}", throttle_duration_sec=10.0)
        try:
            jpeg = encode_jpeg(frame, 95)
        except CodecError as exc:
            response.success, response.message = False, str(exc)
            return response
        msg = CompressedImage(format="jpeg", data=jpeg)
        msg.header.stamp, msg.header.frame_id = self.last_stamp, self.frame_id
        self.still_pub.publish(msg)
        self.health.tick("stills")
        response.success = True
        response.message = f"still {frame.shape[1]}x{frame.shape[0]} of {len(msg.data)} bytes published{note}"
        return response

    def diagnostics_values(self):
        values = {"source": self.source_kind, "fps_set": self.fps, "enabled": self.enabled,
                  "compressed_published": self.compressed_published, "jpeg_quality": self.jpeg_quality,
                  "still_size": "{}x{}".format(*self.still_size()), "stills_full": self.stills_full,
                  "still_fallbacks": self.still_fallbacks}
        renderer = getattr(self.source, "renderer", None)
        if renderer is not None and renderer.show_errors:  # scenario shows the simulator cannot draw
            values["sim_show_errors"] = "; ".join(f"{k}: {v}" for k, v in renderer.show_errors.items())
        return values

    def destroy_node(self):
        if hasattr(self, "led_pub"):
            self._close_source()
        return super().destroy_node()


def main(args=None):
    return run_node(CameraNode, args)
