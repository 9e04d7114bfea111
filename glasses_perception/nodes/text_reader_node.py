"""Text reader node: OCR on demand -> perception/text (lines, boxes, prices with currency).

OCR costs a few hundred milliseconds, so it never runs on every frame. It runs:

- on request: an events.TextRequest on perception/text_request reads the newest
  frame (or the next one, if none is fresh), and the answer carries its request_id;
- on a stable view (``trigger`` stable or both): once when the view has stayed
  still for ``stable_hold_s``, and again only after the view has moved.

The event's stamp is the stamp of the frame that was read.
"""

from __future__ import annotations

import threading

import numpy as np

from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.ros.node_base import run_node
from glasses_perception.nodes.vision_base import VisionNode
from glasses_perception.vision.frames import StabilityDetector, thumbnail
from glasses_perception.vision.ocr import OcrEngine

OUT_TOPIC = "perception/text"
REQUEST_TOPIC = "perception/text_request"


class TextReaderNode(VisionNode):
    def __init__(self, **kwargs):
        super().__init__("text_reader", **kwargs)
        self.trigger = self.declare(
            "trigger", "both", "What starts an OCR pass: a request event, a stable view, or both.",
            choices=("request", "stable", "both"),
        )
        self.det_model_path = self.declare("det_model_path", "", "Text detection ONNX model; empty: the one in rapidocr.")
        self.rec_model_path = self.declare("rec_model_path", "", "Text recognition ONNX model; empty: the one in rapidocr.")
        self.cls_model_path = self.declare("cls_model_path", "", "Orientation ONNX model; empty: the one in rapidocr.")
        self.rec_keys_path = self.declare("rec_keys_path", "", "Character list of the recognition model; empty: built in.")
        self.use_cls = self.declare("use_cls", False, "Classify text orientation (upside-down text) first.")
        self.threads = self.declare("threads", 1, "onnxruntime threads (the stack runs on 2 cores).", min=1, max=16)
        self.min_score = self.declare("min_score", 0.5, "Drop text lines scored below this.", min=0.0, max=1.0)
        self.dollar = self.declare("dollar_currency", "USD", "ISO 4217 code a bare '$' means.")
        self.yen = self.declare("yen_currency", "CNY", "ISO 4217 code a bare '¥' means (CNY or JPY).")
        self.bare_currency = self.declare(
            "bare_currency", "", "ISO 4217 code for a lone decimal such as '12.50'; empty: not a price."
        )
        self.stable_threshold = self.declare(
            "stable_threshold", 4.0, "Mean grey-level change per frame below which the view counts as still.",
            min=0.1, max=100.0,
        )
        self.stable_hold_s = self.declare(
            "stable_hold_s", 0.6, "How long the view must stay still before a stable-view OCR pass (s).",
            min=0.05, max=30.0,
        )
        self.engine = OcrEngine(
            det_model_path=self.det_model_path, rec_model_path=self.rec_model_path,
            cls_model_path=self.cls_model_path, rec_keys_path=self.rec_keys_path, use_cls=self.use_cls,
            threads=self.threads, min_score=self.min_score,
        )
        self.stability = StabilityDetector(self.stable_threshold, self.stable_hold_s)
        self._lock = threading.Lock()
        self._latest = None  # (frame, stamp, monotonic arrival)
        self._waiting: list[str] = []  # request ids not answered yet
        self._need_frame = False
        self.pub = self.event_publisher(OUT_TOPIC)
        self.event_subscription(REQUEST_TOPIC, ev.TextRequest, self.on_request)
        self.passes = 0
        self.requests = 0

    def load(self) -> None:
        self.engine.load()
        # the first inference is several times slower (allocations, graph set-up): pay it here
        self.engine.read(np.full((64, 160, 3), 255, np.uint8))

    def unload(self) -> None:
        self.engine.unload()

    def deactivate(self) -> None:
        super().deactivate()
        with self._lock:
            self._latest = None  # a parked node keeps no frame
            if self._waiting:
                self.health.drop("requests", len(self._waiting))
            self._waiting.clear()
            self._need_frame = False
        self.stability.reset()

    def on_request(self, request: ev.TextRequest) -> None:
        if self.trigger == "stable":
            self.health.reject("request_ignored", "trigger is 'stable'")
            return
        if not self.active:
            self.health.reject("request_while_inactive", request.request_id)
            return
        self.requests += 1
        with self._lock:
            self._waiting.append(request.request_id)
            latest = self._latest
            fresh = latest is not None and self.worker.clock() - latest[2] <= self.max_frame_age_s
            self._need_frame = not fresh  # otherwise the next frame serves it
        if fresh:
            self.submit(latest[0], latest[1])

    def on_frame(self, frame, stamp: float) -> None:
        with self._lock:
            self._latest = (frame, stamp, self.worker.clock())
            need, self._need_frame = self._need_frame, False
        if need:
            self.submit(frame, stamp)
        elif self.trigger in ("stable", "both") and self.stability.update(stamp, thumbnail(frame)):
            if self.worker.idle():  # never displace a frame a request is waiting for
                self.submit(frame, stamp)

    def process(self, frame, stamp: float) -> None:
        with self._lock:
            request_ids, self._waiting = self._waiting, []
        result = self.engine.read_text(frame, dollar=self.dollar, yen=self.yen, bare_currency=self.bare_currency or None)
        self.passes += 1
        lines = [ev.TextLine(text=ln.text, box=[ev.Corner(x=x, y=y) for x, y in ln.box], score=min(1.0, ln.score))
                 for ln in result.lines]
        prices = [ev.Price(amount=float(p.amount), currency=p.currency, text=p.text) for p in result.prices]
        if not request_ids and not lines:
            return  # a still view without text: nothing to say (a request is always answered)
        # one answer per request (each caller matches its own id); a stable-view pass has none
        for request_id in request_ids or [""]:
            self.pub.publish(ev.Text(
                stamp=stamp, lines=lines, prices=prices, latency_ms=result.latency_ms, request_id=request_id,
                trigger="request" if request_id or request_ids else "stable_frame",
            ))
        self.get_logger().info(
            f"OCR ({'request' if request_ids else 'stable view'}) {len(result.lines)} lines, "
            f"prices {[p.text for p in result.prices]} in {result.latency_ms:.0f} ms"
        )

    def diagnostics_values(self) -> dict:
        values = super().diagnostics_values()
        values["ocr.passes"] = self.passes
        values["ocr.requests"] = self.requests
        values["stability.last_change"] = f"{self.stability.last_change:.2f}"
        return values


def main(args=None):
    return run_node(TextReaderNode, args)
