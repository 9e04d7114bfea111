"""HUD card queue and renderer for the waveguide display (pure Python + Pillow).

Cards arrive as events.Card; the queue shows the highest-priority live card
(newest first among equals) until its ttl runs out. ``render`` draws it into a
mono8 image: the micro-OLED waveguide shows green-on-black, so one channel is
enough.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFont


@dataclass(order=True)
class _Queued:
    sort_key: tuple
    card: object = field(compare=False)
    expires: float = field(compare=False)


class CardQueue:
    """Live cards by priority; a card with the same card_id replaces the older one."""

    def __init__(self, max_cards: int = 16):
        self.max_cards = max_cards
        self.cards: dict[str, _Queued] = {}
        self.seq = 0

    def push(self, card, now: float) -> None:
        self.seq += 1
        self.cards[card.card_id] = _Queued((-card.priority, -self.seq), card, now + card.ttl_s)
        if len(self.cards) > self.max_cards:
            lowest = max(self.cards.values())
            self.cards.pop(lowest.card.card_id)

    def current(self, now: float):
        for key in [k for k, q in self.cards.items() if q.expires <= now]:
            del self.cards[key]
        return min(self.cards.values()).card if self.cards else None


class CardRenderer:
    """Draws a card (title, body, lines) into a mono8 numpy image."""

    def __init__(self, width: int = 640, height: int = 400, font_path: str = "", font_size: int = 28):
        self.width, self.height = width, height
        self.thumbnail_errors = 0
        self.title_font = self._font(font_path, font_size + 6)
        self.body_font = self._font(font_path, font_size)

    @staticmethod
    def _font(path: str, size: int):
        if path:
            return ImageFont.truetype(path, size)  # OSError names a missing font file
        return ImageFont.load_default(size=size)

    def _wrap(self, draw: ImageDraw.ImageDraw, text: str, font) -> list[str]:
        lines, line = [], ""
        for word in text.split():
            candidate = f"{line} {word}".strip()
            if draw.textlength(candidate, font=font) <= self.width - 40 or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
        if line:
            lines.append(line)
        return lines

    def render(self, card, brightness: float = 1.0) -> np.ndarray:
        img = Image.new("L", (self.width, self.height), 0)
        if card is not None:
            draw = ImageDraw.Draw(img)
            level = int(round(255 * max(0.0, min(1.0, brightness))))
            y = 20
            draw.text((20, y), card.title, fill=level, font=self.title_font)
            y += int(self.title_font.size * 1.5)
            for text in ([card.body] if card.body else []) + list(card.lines):
                for line in self._wrap(draw, text, self.body_font):
                    if y > self.height - self.body_font.size:
                        break
                    draw.text((20, y), line, fill=level, font=self.body_font)
                    y += int(self.body_font.size * 1.3)
            if card.kind in ("confirm", "warning"):
                draw.rectangle((4, 4, self.width - 5, self.height - 5), outline=level, width=3)
            if getattr(card, "image", ""):
                self._draw_thumbnail(img, card.image, brightness)
        return np.asarray(img, dtype=np.uint8)

    def _draw_thumbnail(self, img: Image.Image, path: str, brightness: float) -> None:
        """A card's picture (a photo's thumbnail) in the lower right corner; a missing file draws nothing."""
        try:
            with Image.open(path) as pic:
                thumb = pic.convert("L")
        except (OSError, ValueError):
            self.thumbnail_errors += 1
            return
        thumb.thumbnail((self.width // 3, self.height // 2))
        if brightness < 1.0:
            thumb = thumb.point(lambda v: int(v * max(0.0, brightness)))
        img.paste(thumb, (self.width - thumb.width - 12, self.height - thumb.height - 12))


def spoken_text(card) -> str:
    """What the G1 (no display) says instead of showing a card."""
    parts = [card.title] + ([card.body] if card.body else []) + list(card.lines[:3])
    return ". ".join(p.strip().rstrip(".") for p in parts if p.strip()) + "."
