"""Music: play_music / pause_music / next_track / volume -> a music/command for the
music player node -> its music/state -> the card.

"Playing …", "Volume 70" and "Music paused" come only from the player's state
after the command (the track it really opened, the gain it really set); a request
the player does not answer within ``timeout_s`` says the player is not running.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from glasses_agent import cards
from glasses_agent.skills.base import Outcome
from glasses_bringup.foundation import events as ev

COMMANDS = {"play_music": "play", "pause_music": "pause", "next_track": "next", "volume": "volume"}


@dataclass
class Asked:
    intent: str
    lang: str
    turn_id: int
    deadline: float
    query: str


class MusicSkill:
    def __init__(self, timeout_s: float = 3.0, step: int = 10):
        self.timeout_s = timeout_s
        self.step = step
        self._ids = itertools.count(1)
        self.asked: dict[str, Asked] = {}
        self.state: ev.MusicState | None = None  # the player's last state

    def request(self, intent: str, slots: dict, lang: str, stamp: float, now: float, turn_id: int) -> Outcome:
        command = COMMANDS[intent]
        level = None
        details = dict(slots)
        if command == "volume":
            level = slots.get("level")
            if level is None:
                current = self.state.volume if self.state is not None else 60
                level = current + (self.step if slots.get("direction", "up") == "up" else -self.step)
            level = int(min(100, max(0, level)))
            details["level"] = level
        query = str(slots.get("query") or "")
        request_id = f"u{turn_id}-{next(self._ids)}"
        self.asked[request_id] = Asked(intent, lang, turn_id, now + self.timeout_s, query)
        details["request_id"] = request_id
        return Outcome(replies=[cards.reply("music_requested", lang, what=cards.word(f"music_{command}", lang))],
                       actions=[(intent, "requested", details)],
                       outbox=[("music/command", ev.MusicCommand(stamp=stamp, request_id=request_id, command=command,
                                                                 query=query, level=level))])  # fmt: skip

    def turn_of(self, request_id: str) -> int:
        asked = self.asked.get(request_id)
        return asked.turn_id if asked else 0

    def on_state(self, state: ev.MusicState) -> Outcome | None:
        self.state = state
        asked = self.asked.pop(state.request_id, None) if state.request_id else None
        if asked is None:
            return None  # a track change or ducking: no card
        lang = asked.lang
        details = {"request_id": state.request_id, "state": state.state, "title": state.title, "artist": state.artist,
                   "volume": state.volume, "path": state.path}  # fmt: skip
        if state.reason:
            reason = cards.word(state.reason, lang).format(query=asked.query)
            return Outcome(replies=[cards.reply("music_refused", lang, reason=reason)],
                           actions=[(asked.intent, "refused", {**details, "reason": state.reason})], failed=True)  # fmt: skip
        if asked.intent == "volume":
            reply = cards.reply("music_volume", lang, level=state.volume)
        elif state.state == "playing":
            reply = cards.reply("music_playing", lang, title=state.title, artist=state.artist or "")
        elif state.state == "paused":
            reply = cards.reply("music_paused", lang, title=state.title)
        else:
            reply = cards.reply("music_ended", lang)
        return Outcome(replies=[reply], actions=[(asked.intent, "done", details)], completed=True)

    def tick(self, now: float) -> list[tuple[int, Outcome]]:
        out = []
        for request_id, asked in list(self.asked.items()):
            if now > asked.deadline:
                del self.asked[request_id]
                out.append((asked.turn_id, Outcome(replies=[cards.reply("music_no_player", asked.lang)],
                                                   actions=[(asked.intent, "failed", {"reason": "no_player",
                                                                                      "request_id": request_id})],
                                                   failed=True)))  # fmt: skip
        return out
