"""Vision nodes on real rclpy: codes, text on request, products, corrupt frames, parking."""

import time

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from sensor_msgs.msg import Image
from std_msgs.msg import String

from glasses_bringup.drivers.sim.scenario import Show
from glasses_bringup.drivers.sim.scene import SceneRenderer
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.ros.msgs import from_sec, image_msg
from glasses_bringup.foundation.testing import wait_for
from glasses_perception.nodes.code_reader_node import CodeReaderNode
from glasses_perception.nodes.product_recognizer_node import ProductRecognizerNode
from glasses_perception.nodes.text_reader_node import TextReaderNode

PAY = "glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=T1001"
NS = "/glasses"


class Camera:
    """Publishes rendered frames on camera/image_raw with increasing stamps."""

    def __init__(self, ros, shows, fps: float = 15.0):
        self.pub = ros.publisher("camera/image_raw", Image)
        self.renderer = SceneRenderer(640, 480, seed=3)
        self.shows = shows
        self.period = 1.0 / fps
        self.stamps: list[float] = []
        self.t = 100.0

    def sent(self, stamp: float) -> bool:
        """True when stamp is one of the published frames' (to the nanosecond)."""
        return any(abs(stamp - s) < 1e-6 for s in self.stamps)

    def frame(self, shows=None) -> Image:
        self.t += self.period
        pixels = self.renderer.render(self.t, self.shows if shows is None else shows)
        self.stamps.append(self.t)
        return image_msg(pixels, "rgb8", from_sec(self.t), "camera_optical")

    def stream_until(self, done, timeout: float = 10.0, shows=None) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pub.publish(self.frame(shows))
            if done():
                return True
            time.sleep(self.period)
        return bool(done())


def diag_value(diags: list, node_name: str, key: str) -> str | None:
    for arr in reversed(diags):
        for status in arr.status:
            if status.name.endswith(node_name):
                for kv in status.values:
                    if kv.key == key:
                        return kv.value
    return None


def test_code_reader_publishes_each_code_once_with_the_frame_stamp(ros):
    node = ros.add(CodeReaderNode(namespace=NS, parameter_overrides=[]))
    assert node.active
    codes = ros.collect_events("perception/codes", ev.Code)
    cam = Camera(ros, [Show(kind="qr", text=PAY, size=0.4)])
    assert cam.stream_until(lambda: len(codes) >= 1)
    cam.stream_until(lambda: False, timeout=0.7)  # the code stays in view: no repeats
    assert len(codes) == 1
    code = codes[0]
    assert code.kind == "payment" and code.symbology == "QR_CODE" and code.text == PAY
    assert code.payment["payee"] == "cafe-lumi" and code.payment["currency"] == "CNY"
    assert cam.sent(code.stamp) and len(code.corners) == 4
    # a product barcode comes into view as well
    cam.shows = [Show(kind="ean13", text="6901234567892", size=0.45, tilt_deg=5)]
    assert cam.stream_until(lambda: any(c.kind == "product" for c in codes))
    product = next(c for c in codes if c.kind == "product")
    assert product.symbology == "EAN_13" and product.gtin == "6901234567892"


def test_corrupt_frames_are_counted_and_skipped(ros):
    from rclpy.parameter import Parameter

    node = ros.add(CodeReaderNode(namespace=NS, parameter_overrides=[
        Parameter("diagnostics_period_s", value=0.2)]))
    diags = ros.collect("/diagnostics", DiagnosticArray)
    codes = ros.collect_events("perception/codes", ev.Code)
    cam = Camera(ros, [Show(kind="qr", text="hello vision", size=0.4)])
    good = cam.frame()
    wrong_step = cam.frame()
    wrong_step.step = 100  # < width * 3
    truncated = cam.frame()
    truncated.data = bytes(good.data)[: 640 * 3 * 10]
    unknown = cam.frame()
    unknown.encoding = "yuv422_weird"

    def all_rejected():
        value = diag_value(diags, "code_reader", "rejected.bad_image")
        return value is not None and int(value) >= 3

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all_rejected():
        for msg in (wrong_step, truncated, unknown):
            cam.pub.publish(msg)
            time.sleep(0.03)
    assert all_rejected()
    assert codes == []
    # the node is still healthy and reads good frames
    assert cam.stream_until(lambda: len(codes) == 1)
    assert codes[0].text == "hello vision"
    assert node.health.rejects["bad_image"] >= 3


def test_parked_code_reader_reads_nothing(ros):
    node = ros.add(CodeReaderNode(namespace=NS))
    codes = ros.collect_events("perception/codes", ev.Code)
    cam = Camera(ros, [Show(kind="qr", text="parked?", size=0.4)])
    node.trigger_deactivate()
    assert not node.active and node.image_sub is None
    cam.stream_until(lambda: False, timeout=0.8)
    assert codes == []
    node.trigger_activate()
    assert cam.stream_until(lambda: len(codes) == 1)


def test_text_reader_answers_a_request(ros):
    node = ros.add(TextReaderNode(namespace=NS))
    assert node.active
    texts = ros.collect_events("perception/text", ev.Text)
    requests = ros.publisher("perception/text_request", String)
    cam = Camera(ros, [Show(kind="text", text="Oolong Tea\n¥12.50", size=0.45)])
    # frames flow; a request is answered from the newest frame
    assert cam.stream_until(lambda: node._latest is not None, timeout=10)
    def ask_and_wait():
        requests.publish(String(data=ev.encode(ev.TextRequest(stamp=cam.t, request_id="r-1", reason="price"))))
        return wait_for(lambda: any(t.request_id == "r-1" for t in texts), timeout=1.5)

    deadline = time.monotonic() + 15
    answered = False
    while time.monotonic() < deadline and not answered:
        cam.pub.publish(cam.frame())
        answered = ask_and_wait()
    assert answered
    text = next(t for t in texts if t.request_id == "r-1")
    assert text.trigger == "request"
    assert "Oolong Tea" in [ln.text for ln in text.lines]
    assert [(p.amount, p.currency) for p in text.prices] == [(12.5, "CNY")]
    assert cam.sent(text.stamp)


def test_text_reader_reads_a_stable_view_once(ros):
    from rclpy.parameter import Parameter

    ros.add(TextReaderNode(namespace=NS, parameter_overrides=[
        Parameter("trigger", value="stable"), Parameter("stable_hold_s", value=0.3)]))
    texts = ros.collect_events("perception/text", ev.Text)
    cam = Camera(ros, [Show(kind="text", text="Soy Sauce\n$3.99", size=0.45, noise=0.0)])
    assert cam.stream_until(lambda: len(texts) >= 1, timeout=15)
    cam.stream_until(lambda: False, timeout=1.0)
    assert len(texts) == 1 and texts[0].trigger == "stable_frame"
    assert texts[0].prices[0].currency == "USD"


def test_product_recognizer(ros):
    node = ros.add(ProductRecognizerNode(namespace=NS))
    assert node.active and len(node.matcher.items) == 6
    products = ros.collect_events("perception/product", ev.Product)
    cam = Camera(ros, [Show(kind="product", text="p-chocolate", size=0.35, tilt_deg=15)])
    assert cam.stream_until(lambda: len(products) >= 1, timeout=10)
    assert products[0].product_id == "p-chocolate" and products[0].accepted
    assert products[0].name == "Dark Chocolate 100 g" and products[0].confidence >= 0.5
    cam.stream_until(lambda: False, timeout=0.8)
    assert len(products) == 1  # still in view: not repeated


@pytest.mark.parametrize("encoding", ["bgr8", "mono8"])
def test_other_encodings_are_read(ros, encoding):
    ros.add(CodeReaderNode(namespace=NS))
    codes = ros.collect_events("perception/codes", ev.Code)
    pub = ros.publisher("camera/image_raw", Image)
    rgb = SceneRenderer(640, 480, seed=1).render(0.0, [Show(kind="qr", text=f"enc {encoding}", size=0.4)])
    pixels = rgb[:, :, ::-1].copy() if encoding == "bgr8" else rgb.mean(axis=2).astype(np.uint8)
    msg = image_msg(pixels, encoding, from_sec(5.0), "camera_optical")

    def publish_and_check():
        pub.publish(msg)
        return len(codes) == 1

    assert wait_for(publish_and_check, timeout=10, period=0.07)
    assert codes[0].text == f"enc {encoding}"


def test_vision_nodes_publish_no_frames(ros):
    """Privacy: vision nodes publish events and diagnostics only, never an image."""
    allowed = {"String", "DiagnosticArray", "TransitionEvent", "ParameterEvent"}
    for node_class in (CodeReaderNode, TextReaderNode, ProductRecognizerNode):
        node = ros.add(node_class(namespace=NS))
        types = {pub.msg_type.__name__ for pub in node.publishers}
        assert types <= allowed, types
        assert "Image" not in types and "CompressedImage" not in types
