"""Display node: renders display/card events into display/image (mono8, sensor QoS).

On the S1 (waveguide display) cards are drawn; on the G1 (no display) the node
says the card instead on speaker/say. The power policy sets `brightness`.
display/brightness (std_msgs/Float32, latched) says how bright the display is lit:
the set level while a card shows, 0 while dark (always 0 on the G1); the power
model and the co-processor link (which drives the panel) read it.
"""

from __future__ import annotations

from sensor_msgs.msg import Image
from std_msgs.msg import Float32

from glasses_bringup.drivers.sensors.display import CardQueue, CardRenderer, spoken_text
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation import health as hl
from glasses_bringup.foundation import interfaces
from glasses_bringup.foundation.ros import qos as gq
from glasses_bringup.foundation.ros.msgs import image_msg
from glasses_bringup.foundation.ros.node_base import GlassesNode, run_node


class DisplayNode(GlassesNode):
    def __init__(self, **kwargs):
        super().__init__("display", **kwargs)
        self.variant = self.declare("variant", "s1", "s1 has a waveguide display; g1 speaks cards.", choices=("s1", "g1"))
        self.width = self.declare("width", 640, "Display width (px).", min=64, max=4096)
        self.height = self.declare("height", 400, "Display height (px).", min=64, max=4096)
        self.refresh_hz = self.declare("refresh_hz", 1.0, "Re-publish rate of an unchanged image.", min=0.1, max=60.0)
        self.brightness = self.declare("brightness", 1.0, "Display brightness 0..1 (power policy).", min=0.0, max=1.0)
        self.font_path = self.declare(
            "font_path", "", "TrueType/OpenType font with Chinese glyphs; empty = Noto Sans CJK (fonts-noto-cjk)."
        )
        self.frame_id = self.declare("frame_id", interfaces.FRAME_DISPLAY, "Frame of the display.")
        self.queue = CardQueue()
        self.renderer = CardRenderer(self.width, self.height, self.font_path)
        self.health.set("font", self.renderer.font_path or "built-in")
        if self.variant == "s1" and not self.renderer.cjk:
            message = "no CJK font: Chinese cards would show as empty boxes (apt-get install fonts-noto-cjk, or make)"
            self.health.set_level(hl.WARN, message)
            self.get_logger().warning(message)
        self.image_pub = self.create_publisher(Image, "display/image", gq.for_topic("display/image"))
        self.say_pub = self.event_publisher("speaker/say")
        self.lit_pub = self.create_publisher(Float32, "display/brightness", gq.for_topic("display/brightness"))
        self.lit: float | None = None
        self._publish_lit(0.0)
        self.event_subscription("display/card", ev.Card, self.on_card)
        self.shown = None
        self.shown_stamp = 0.0
        self.create_timer(1.0 / self.refresh_hz, self.refresh)
        self.on_change("brightness", self._set_brightness)

    def _set_brightness(self, value: float) -> str | None:
        self.brightness = float(value)
        self.draw(force=True)
        return None

    def _publish_lit(self, level: float) -> None:
        if level != self.lit:
            self.lit = level
            self.lit_pub.publish(Float32(data=float(level)))

    def on_card(self, card: ev.Card) -> None:
        self.queue.push(card, self.now_s())
        self.shown = None  # the new or replaced card is drawn as a change
        if self.variant == "g1":
            if card.kind != ev.CARD_CLEAR:
                self.say_pub.publish(ev.Say(stamp=card.stamp, text=spoken_text(card), lang=card.lang,
                                            priority=card.priority))  # fmt: skip
            return
        self.draw(force=True)

    def draw(self, force: bool = False) -> None:
        if self.variant == "g1":
            return
        card = self.queue.current(self.now_s())
        if card is self.shown and not force:
            return
        changed = card is not self.shown
        self.shown = card
        # A new card's image carries the stamp of the event behind it (end-to-end latency);
        # refreshes of an unchanged image carry the time they were drawn.
        stamp_s = card.stamp if card is not None and changed else self.now_s()
        pixels = self.renderer.render(card, self.brightness)
        self.image_pub.publish(image_msg(pixels, "mono8", self.stamp_msg(stamp_s), self.frame_id))
        self.health.tick("frames")
        self.health.set("card", card.card_id if card else "")
        self._publish_lit(float(self.brightness) if card is not None else 0.0)

    def refresh(self) -> None:
        self.draw(force=True)


def main(args=None):
    return run_node(DisplayNode, args)
