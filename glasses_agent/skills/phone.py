"""Calls and messages over the phone link: call / answer_call / hang_up / send_message.

An incoming call shows a ring card and is answered by a nod, a double tap or
"answer", declined by a shake, a long press or "decline"; an unanswered one becomes
a missed-call card. "Call Anna" dials a contact (English or Chinese name); the cards
say "Calling", then "In call" only when the link reports the far end answered, and
"Call ended" with the call's duration. A message is read back on a confirm card and
sent only after the same confirmation as a payment (nod, double tap, "confirm").
"""

from __future__ import annotations

import re

from glasses_agent import cards
from glasses_agent.backends.phone import Call, PhoneError, SandboxPhone
from glasses_agent.skills.base import Outcome, Proposal
from glasses_bringup.foundation import events as ev

INTENTS = ("call", "answer_call", "hang_up", "send_message")
ANSWER = re.compile(r"\b(?:answer|pick up|accept)\b|接(?:电话|听|一下)?$|接听")
END = re.compile(r"\b(?:hang up|end (?:the )?call|decline|reject|ignore)\b|挂(?:断|掉|了)?(?:电话)?|拒接|不接")
MESSAGE_EN = re.compile(r"^(?:to )?(?P<c>.+?)(?:,|:| saying| that| to say) (?P<t>.+)$")
MESSAGE_ZH = re.compile(r"(?:给|跟)(?P<c>.+?)发(?:个|条|一条)?(?:消息|短信|信息|微信)(?:说)?(?P<t>.*)$|"
                        r"发(?:个|条|一条)?(?:消息|短信|信息)给(?P<c2>.+?)(?:说)(?P<t2>.*)$")  # fmt: skip


def clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def message_slots(slots: dict, text: str, lang: str, is_contact=lambda name: False) -> tuple[str | None, str]:
    """(contact, text) of "send a message to Anna saying I'm late" / 给安娜发消息说我晚点到.

    Without "saying" / "that" / a comma, the longest run of first words that is a contact
    (``is_contact``) is the contact and the rest the text."""
    contact, body = slots.get("contact"), slots.get("text") or ""
    if contact and body:
        return contact, body
    if lang == "zh":
        m = MESSAGE_ZH.search(text)
        if m:
            return contact or m.group("c") or m.group("c2"), body or (m.group("t") or m.group("t2") or "")
        return contact, body
    cleaned = re.sub(r"^(?:send|write|text|message)\b ?", "", text.strip().lower())
    cleaned = re.sub(r"^(?:a |an )?(?:message|text|sms)\b ?", "", cleaned)
    m = MESSAGE_EN.match(cleaned)
    if m:
        return contact or m.group("c").strip(), body or m.group("t").strip()
    words = re.sub(r"^to ", "", cleaned).split()
    for n in (3, 2, 1):
        if len(words) >= n and is_contact(" ".join(words[:n])):
            return contact or " ".join(words[:n]), body or " ".join(words[n:])
    return contact, body


class PhoneSkill:
    def __init__(self, phone: SandboxPhone):
        self.phone = phone
        self.call: Call | None = None  # the call ringing, dialing or in progress
        self.lang = "en"
        self.turn_id = 0
        self.sent = 0

    def _state(self, outcome: Outcome, stamp: float) -> Outcome:
        """Attach the call state for phone/call (music ducks on it) to an outcome that changed it."""
        call = self.call
        state = call.state if call is not None and call.state in ("ringing", "dialing", "active") else "idle"
        outcome.outbox.append(("phone/call", ev.CallState(stamp=max(0.0, stamp), state=state,
                                                          contact=call.contact if call else "",
                                                          call_id=call.call_id if call else 0)))  # fmt: skip
        return outcome

    @property
    def ringing(self) -> bool:
        return self.call is not None and self.call.state == "ringing"

    def handle(self, intent: str, slots: dict, text: str, lang: str, now: float, stamp: float, turn_id: int) -> Outcome:
        self.lang = lang
        if intent == "call" and ANSWER.search(text):
            intent = "answer_call"  # "answer the call" reaches here as call
        elif intent == "call" and END.search(text):
            intent = "hang_up"
        if intent == "answer_call":
            return self.answer(now, "speech")
        if intent == "hang_up":
            return self.hang_up(now, "speech")
        if intent == "send_message":
            return self._message(slots, text, lang, stamp)
        name = slots.get("contact")
        if not name:
            return Outcome(replies=[cards.reply("ask_contact", lang)])
        contact = self.phone.find_contact(name)
        if contact is None:
            return Outcome(replies=[cards.reply("unknown_contact", lang, who=name)],
                           actions=[("call", "refused", {"reason": "unknown_contact", "contact": name})], failed=True)  # fmt: skip
        if self.call is not None and self.call.state in ("dialing", "active"):
            return Outcome(replies=[cards.reply("call_busy", lang, who=self._name(self.call))],
                           actions=[("call", "refused", {"reason": "in_call"})], failed=True)  # fmt: skip
        self.call = self.phone.dial(contact, now)
        self.turn_id = turn_id
        return self._state(Outcome(replies=[cards.reply("call_dialing", lang, who=self._name(self.call))],
                       actions=[("call", "dialing", {"call_id": self.call.call_id, "contact": contact})]), now)  # fmt: skip

    def answer(self, now: float, via: str) -> Outcome:
        if not self.ringing:
            return Outcome(replies=[cards.reply("no_call", self.lang)], actions=[("answer_call", "ignored", {"via": via})])
        self.call = self.phone.answer(self.call.call_id, now)
        return self._state(Outcome(replies=[cards.reply("call_active", self.lang, who=self._name(self.call))],
                                   actions=[("answer_call", "active", {"call_id": self.call.call_id, "via": via})],
                                   completed=True), now)  # fmt: skip

    def hang_up(self, now: float, via: str) -> Outcome:
        call = self.call
        if call is None:
            return Outcome(replies=[cards.reply("no_call", self.lang)], actions=[("hang_up", "ignored", {"via": via})])
        try:
            if call.state == "ringing":
                ended = self.phone.decline(call.call_id, now)
                self.call = None
                return self._state(Outcome(replies=[cards.reply("call_declined", self.lang, who=self._name(ended))],
                                           actions=[("answer_call", "declined", {"call_id": ended.call_id, "via": via})]),
                                   now)  # fmt: skip
            ended = self.phone.hang_up(call.call_id, now)
        except PhoneError as exc:
            self.call = None
            return Outcome(replies=[cards.reply("no_call", self.lang)], actions=[("hang_up", "ignored", {"reason": exc.reason})])
        self.call = None
        duration = ended.duration_s(now)
        return self._state(Outcome(replies=[cards.reply("call_ended", self.lang, who=self._name(ended),
                                                        duration=clock(duration))],
                                   actions=[("hang_up", "ended", {"call_id": ended.call_id, "duration_s": round(duration, 1),
                                                                  "via": via})], completed=True), now)  # fmt: skip

    def tick(self, now: float) -> list[tuple[int, Outcome]]:
        out = []
        for call in self.phone.poll(now):
            if call.direction == "in" and call.state == "ringing":
                if self.call is not None and self.call.state in ("active", "dialing", "ringing"):
                    continue  # busy: the sandbox lets it time out as missed
                self.call = call
                out.append((0, self._state(Outcome(replies=[cards.reply("call_ringing", self.lang, who=self._name(call))],
                                                   actions=[("answer_call", "ringing", {"call_id": call.call_id,
                                                                                        "contact": call.contact})]),
                                           now)))  # fmt: skip
            elif call.state == "missed":
                if self.call is not None and self.call.call_id == call.call_id:
                    self.call = None
                out.append((0, self._state(Outcome(replies=[cards.reply("call_missed", self.lang, who=self._name(call))],
                                                   actions=[("answer_call", "missed", {"call_id": call.call_id})]),
                                           now)))  # fmt: skip
            elif call.state == "active" and self.call is not None and call.call_id == self.call.call_id:
                self.call = call
                out.append((self.turn_id, self._state(Outcome(
                    replies=[cards.reply("call_active", self.lang, who=self._name(call))],
                    actions=[("call", "active", {"call_id": call.call_id})], completed=True), now)))  # fmt: skip
        return out

    def _message(self, slots: dict, text: str, lang: str, stamp: float) -> Outcome:
        name, body = message_slots(slots, text, lang, lambda n: self.phone.find_contact(n) is not None)
        contact = self.phone.find_contact(name) if name else None
        if contact is None:
            return Outcome(replies=[cards.reply("unknown_contact" if name else "ask_contact", lang, who=name or "")],
                           actions=[("send_message", "refused", {"reason": "unknown_contact", "contact": name or ""})],
                           failed=bool(name))  # fmt: skip
        if not body:
            return Outcome(replies=[cards.reply("ask_message", lang, who=self.phone.display_name(contact, lang))])
        who = self.phone.display_name(contact, lang)
        key = f"msg:{contact}:{stamp:.6f}"

        def execute() -> Outcome:
            message_id = self.phone.send_message(key, contact, body, stamp)
            self.sent += 1
            return Outcome(replies=[cards.reply("message_sent", lang, who=who)],
                           actions=[("send_message", "sent", {"id": message_id, "contact": contact, "key": key})],
                           completed=True)  # fmt: skip

        card = cards.reply("confirm_message", lang, who=who, text=body)
        return Outcome(replies=[card], actions=[("send_message", "awaiting_confirmation", {"contact": contact, "key": key})],
                       proposal=Proposal("send_message", key, f"→ {who}", card, execute, {"contact": contact}))  # fmt: skip

    def _name(self, call: Call) -> str:
        return self.phone.display_name(call.contact, self.lang)
