"""Photo and video: take_photo / record_video / stop_video (and a touch gesture) ->
a media request to the media recorder -> its result -> a card with the thumbnail.

The skill never claims a capture by itself: "Photo saved" and "Recording" cards come
only from the recorder's ``media_result`` (the file is on disk, the clip is open);
refusals (storage low, battery critical, camera off) say why.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from glasses_agent import cards
from glasses_agent.skills.base import Outcome
from glasses_bringup.foundation import events as ev

ACTIONS = {"take_photo": "photo", "record_video": "video_start", "stop_video": "video_stop"}
INTENT_OF = {v: k for k, v in ACTIONS.items()}


@dataclass
class Requested:
    intent: str
    lang: str
    turn_id: int


class CaptureSkill:
    def __init__(self):
        self._ids = itertools.count(1)
        self.requested: dict[str, Requested] = {}
        self.recording: str | None = None  # request id of the clip the recorder says is recording

    def request(self, intent: str, lang: str, stamp: float, turn_id: int) -> Outcome:
        action = ACTIONS[intent]
        if action == "video_stop" and self.recording is None:
            return Outcome(replies=[cards.reply("capture_refused", lang, what=cards.word("video_noun", lang),
                                                reason=cards.word("not_recording", lang))],
                           actions=[(intent, "refused", {"reason": "not_recording"})])  # fmt: skip
        request_id = f"m{turn_id}-{next(self._ids)}"
        self.requested[request_id] = Requested(intent, lang, turn_id)
        return Outcome(replies=[cards.reply("capture_requested", lang, what=cards.word(action, lang))],
                       actions=[(intent, "requested", {"request_id": request_id})],
                       outbox=[("media/request", ev.MediaRequest(stamp=stamp, request_id=request_id, action=action))])  # fmt: skip

    def turn_of(self, request_id: str) -> int:
        found = self.requested.get(request_id) or self.requested.get(self.recording or "")
        return found.turn_id if found else 0

    def on_result(self, result: ev.MediaResult) -> Outcome:
        asked = self.requested.get(result.request_id)
        lang = asked.lang if asked else "en"
        intent = asked.intent if asked else INTENT_OF[result.action]
        details = {"request_id": result.request_id, "path": result.path, "reason": result.reason}
        if result.status == "recording":
            self.recording = result.request_id
            return Outcome(replies=[cards.reply("video_recording", lang)], actions=[(intent, "recording", details)])
        if result.action != "photo" and result.status in ("saved", "failed"):
            self.recording = None
        self.requested.pop(result.request_id, None)
        if result.status == "saved":
            name = Path(result.path).name
            if result.action == "photo":
                reply = cards.reply("photo_saved", lang, size=f"{result.width}×{result.height}", name=name)
            else:
                reply = cards.reply("video_saved", lang, seconds=f"{result.duration_s:.0f}", name=name,
                                    reason=cards.word(result.reason, lang) if result.reason else "")  # fmt: skip
            reply.image = result.thumbnail
            details.update(bytes=result.bytes, frames=result.frames, duration_s=result.duration_s,
                           thumbnail=result.thumbnail)  # fmt: skip
            return Outcome(replies=[reply], actions=[("stop_video" if result.action != "photo" else intent, "saved", details)],
                           completed=True)  # fmt: skip
        what = cards.word("photo_noun" if result.action == "photo" else "video_noun", lang)
        key = "capture_refused" if result.status == "refused" else "capture_failed"
        return Outcome(replies=[cards.reply(key, lang, what=what, reason=cards.word(result.reason, lang))],
                       actions=[(intent, result.status, details)], failed=True)  # fmt: skip
