"""Code reader node: camera/image_raw -> perception/codes (QR pay codes, product barcodes, others).

Every frame the worker is free for is decoded with zxing-cpp
(glasses_perception.vision.codes); a code is published once when it comes into
view (events.Code with symbology, text, kind, corners, the parsed payment and the
frame's stamp), and again only after it has left the view for ``hold_s``.
Frames arriving while a decode runs replace each other: the node never queues.
A frame that shows what the last frame without a code showed is not decoded
(``change_threshold``, ``rescan_s``; glasses_perception.vision.frames.ChangeGate):
worn idle with nothing new in view costs a thumbnail per frame, not a decode.
"""

from __future__ import annotations

from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.ros.node_base import run_node
from glasses_perception.nodes.vision_base import VisionNode
from glasses_perception.vision.codes import DEFAULT_FORMATS, CodeReader, CodeTracker
from glasses_perception.vision.frames import ChangeGate, thumbnail

OUT_TOPIC = "perception/codes"


class CodeReaderNode(VisionNode):
    def __init__(self, **kwargs):
        super().__init__("code_reader", **kwargs)
        self.formats = list(self.declare(
            "formats", list(DEFAULT_FORMATS),
            "zxing-cpp formats to look for (QRCode, MicroQRCode, EAN13, EAN8, UPCA, UPCE, Code128, DataMatrix, ...).",
        ))
        self.try_harder = self.declare("try_harder", True, "Also try rotated, downscaled and inverted codes.")
        self.fallback_1d = self.declare(
            "fallback_1d", True, "On frames with no code, one more pass for EAN/UPC only on a contrast-equalised "
            "2x upscale (reads soft, small product barcodes; about 3 ms).",
        )
        self.fallback = self.declare(
            "fallback", False, "On frames with no code, also a 2x upscale and a contrast-equalised pass with every "
            "format (reads soft and small QR codes; triples the cost of empty frames).",
        )
        self.hold_s = self.declare(
            "hold_s", 2.0, "A code out of view this long is reported again when it returns (s).", min=0.0, max=60.0
        )
        self.repeat_s = self.declare(
            "repeat_s", 0.0, "Re-report a code that stays in view at this period (s); 0 never.", min=0.0, max=60.0
        )
        self.gate = ChangeGate(
            self.declare("change_threshold", 3.0, "Decode a frame only when the view changed by more than this "
                         "(mean grey levels on an 80 px thumbnail) since the last frame without a code; "
                         "0 decodes every frame.", min=0.0, max=255.0),
            self.declare("rescan_s", 1.0, "Decode at least this often even when the view looks unchanged (s).",
                         min=0.0, max=60.0),
            self.declare("change_ignores_sway", True, "Undo the small shift of a worn head's sway (phase "
                         "correlation) before comparing the view."),
        )  # fmt: skip
        self.reader: CodeReader | None = None
        self.tracker = CodeTracker(hold_s=self.hold_s, repeat_s=self.repeat_s)
        self.pub = self.event_publisher(OUT_TOPIC)
        self.published = 0

    def load(self) -> None:
        self.reader = CodeReader(formats=self.formats, try_harder=self.try_harder, fallback=self.fallback,
                                 fallback_1d=self.fallback_1d)

    def unload(self) -> None:
        self.reader = None

    def deactivate(self) -> None:
        super().deactivate()
        self.tracker.reset()  # after parking, codes in view are new sightings
        self.gate.reset()

    def process(self, frame, stamp: float) -> None:
        thumb = thumbnail(frame)
        if not self.gate.wanted(stamp, thumb):
            return
        codes = self.reader.decode(frame)
        self.gate.processed(stamp, thumb, bool(codes))
        for code in self.tracker.update(stamp, codes):
            self.pub.publish(ev.Code(
                stamp=stamp, symbology=code.symbology, text=code.text, kind=code.kind,
                corners=[ev.Corner(x=x, y=y) for x, y in code.corners],
                payment=code.payment, payment_error=code.payment_error, gtin=code.gtin,
            ))
            self.published += 1
            if code.payment_error:
                self.get_logger().warning(f"refused payment code ({code.payment_error}): {code.text[:80]!r}")
            else:
                self.get_logger().info(f"{code.kind} {code.symbology}: {code.text[:80]!r}")
        self.health.set("codes_in_view", len(self.tracker.tracks))

    def diagnostics_values(self) -> dict:
        values = super().diagnostics_values()
        values["codes.published"] = self.published
        values["codes.suppressed_repeats"] = self.tracker.suppressed
        values["frames.unchanged_skipped"] = self.gate.skipped
        if self.reader is not None:
            values["codes.unreadable"] = self.reader.convert_errors
        return values


def main(args=None):
    return run_node(CodeReaderNode, args)
