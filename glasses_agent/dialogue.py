"""Dialogue manager core (no rclpy): turns, confirmations, skills, status updates, counters.

Inputs arrive as plain calls (``on_transcript``, ``on_touch``, ``on_head_gesture``,
``on_code``, ``on_product``, ``on_text``, ``on_wake``, ``tick``), each with the
sensor ``stamp`` of the data and the agent clock ``now``; every call returns the
``Step``s to publish (intent, actions, HUD cards and speech), stamped with the
sensor time they came from.

Confirmation flow: a skill that spends money returns a ``Proposal``; its card (amount
and payee) goes out and the proposal waits ``confirm_timeout_s`` for a double tap,
a nod or a spoken "confirm" that happened after the card was shown. A shake or
"cancel" drops it, the time-out expires it, and executing it twice charges once
(idempotency key). ``recover()`` finishes (or undoes) money tasks a crash left half done.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from glasses_agent import cards, intent_registry, intents
from glasses_agent.backends.base import BackendError, Services
from glasses_agent.cards import Reply
from glasses_agent.intents import ParseResult
from glasses_agent.skills import recovery, simple
from glasses_agent.skills.base import Outcome, Proposal
from glasses_agent.skills.capture import ACTIONS as CAPTURE_INTENTS
from glasses_agent.skills.capture import CaptureSkill
from glasses_agent.skills.compare import CompareSkill, product_name
from glasses_agent.skills.daily import INTENTS as DAILY_INTENTS
from glasses_agent.skills.daily import DailySkill
from glasses_agent.skills.food import FoodSkill
from glasses_agent.skills.meeting import MEETING_INTENTS, MeetingSkill
from glasses_agent.skills.music import COMMANDS as MUSIC_INTENTS
from glasses_agent.skills.music import MusicSkill
from glasses_agent.skills.navigate import NavigateSkill
from glasses_agent.skills.pay import Limits, PaySkill, payment_failed, refund_now
from glasses_agent.skills.phone import INTENTS as PHONE_INTENTS
from glasses_agent.skills.phone import PhoneSkill
from glasses_agent.skills.proactive import Proactive
from glasses_agent.skills.taxi import TaxiSkill
from glasses_agent.tasks import TaskLog

TERMINAL = {"order": ("delivered", "cancelled"), "ride": ("completed", "cancelled")}
# A leave-now for a train waits this long after the first look for the map and a GNSS fix (the
# walking route time) before it falls back to the taxi estimate.
WALK_ESTIMATE_WAIT_S = 30.0


@dataclass
class AgentConfig:
    confirm_timeout_s: float = 15.0
    view_memory_s: float = 10.0  # a code or product seen this recently counts as "in view"
    await_timeout_s: float = 12.0  # "pay" waits this long for a code to come into view
    min_gesture_confidence: float = 0.6
    limits: Limits = field(default_factory=Limits)
    default_currency: str = "CNY"
    default_lang: str = "en"
    capture_gesture: str = "tap"  # a touch that takes a photo (stops a clip while one records); "" = none
    recovery_max_age_s: float = 900.0  # a half-done payment older than this is undone at start, not finished


@dataclass
class Step:
    """What one input produced; the node publishes it with ``stamp``."""

    stamp: float
    turn_id: int
    intent: ParseResult | None = None
    actions: list[tuple[str, str, dict]] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    outbox: list[tuple[str, Any]] = field(default_factory=list)  # (topic, event) for other nodes


@dataclass
class Pending:
    proposal: Proposal
    turn_id: int
    shown_stamp: float  # sensor time of the input that led to the card
    deadline: float  # agent clock
    lang: str


@dataclass
class Awaiting:
    what: str  # code, product, amount
    intent: str
    slots: dict
    turn_id: int
    deadline: float
    lang: str
    code_text: str = ""


@dataclass
class Clarifying:
    """A question back with the best guesses, waiting for a choice by voice or touch."""

    options: list[str]  # intents, best first (one or two)
    result: ParseResult  # the utterance asked about
    turn_id: int
    deadline: float
    lang: str


FIRST = re.compile(r"\b(?:first|1|one|former|the first one|option 1|yes|yeah|yep|right)\b|第一|前者|^一$|^1$|^是|^对|^嗯对")
SECOND = re.compile(r"\b(?:second|2|two|latter|the other one|option 2|the other)\b|第二|后者|^二$|^2$|另一个")


@dataclass
class Seen:
    kind: str  # payment_code, product, text
    value: str
    label: str
    stamp: float
    at: float  # agent clock when seen


class DialogueManager:
    def __init__(
        self,
        services: Services,
        config: AgentConfig | None = None,
        parser: Callable[[str, str | None], ParseResult] = intents.parse,
        meeting: MeetingSkill | None = None,
        navigator: NavigateSkill | None = None,
        daily: DailySkill | None = None,
        phone: PhoneSkill | None = None,
    ):
        self.services = services
        self.config = config or AgentConfig()
        self.parser = parser
        limits = self.config.limits
        self.pay = PaySkill(services, limits, self.config.default_currency)
        self.compare = CompareSkill(services, limits)
        self.food = FoodSkill(services, limits)
        self.taxi = TaxiSkill(services, limits)
        if meeting is None:
            from glasses_agent.notes import NotesStore

            meeting = MeetingSkill(NotesStore(":memory:"))
        self.meeting = meeting  # notes, captions, teleprompter, what is this, read aloud
        self.navigate = navigator  # None: no map configured, "navigate" says so
        self.capture = CaptureSkill()
        self.music = MusicSkill()
        self.daily = daily  # None: no alarm / calendar store (HTTP back-end); those intents say so
        self.phone = phone  # None: no phone link; call intents say so
        self.proactive = Proactive()
        self._walk_wait_until: float | None = None  # see WALK_ESTIMATE_WAIT_S
        self.tasks = TaskLog()
        self.turns = itertools.count(1)
        self.turn_id = 0
        self.pending: Pending | None = None
        self.awaiting: Awaiting | None = None
        self.clarifying: Clarifying | None = None
        self.code: Seen | None = None
        self.product: Seen | None = None
        self.last_compared: str | None = None
        self.context: dict[str, Any] = {"volume": 60}
        self.tracked: dict[str, dict] = {}  # id -> {kind, status, info, lang, turn_id}
        self.reminders: list[dict] = []  # used when the back-end keeps no reminders (HTTP)
        self._reminder_store = services if hasattr(services, "add_reminder") else None
        self.open_rows: set[str] = set()  # keys whose pending row a busy database left (confirm again retries)
        self.to_settle: dict[str, str] = {}  # key -> "abort" (a dropped proposal's row) or "refund" (a cancellation)
        self.rounds = 0
        self.completions = 0
        self.failures = 0
        self.lang = self.config.default_lang

    # -- inputs -------------------------------------------------------------------------

    def on_transcript(self, text: str, lang: str | None, stamp: float, now: float) -> list[Step]:
        return self.on_parsed(self.parser(text, lang), text, stamp, now)

    def heard(self, text: str, lang: str | None, utterance_id: int) -> Reply | None:
        """Provisional card for a transcript decoded at a pause: the intent it parses to and the words.

        Nothing is done and no state changes: the final transcript makes the turn. None for
        words that parse to no clear intent (a half sentence, noise).
        """
        result = self.parser(text, lang)
        if result.intent == "unknown" or intents.needs_clarifying(result):
            return None
        what = intent_registry.label(result.intent, result.lang)
        reply = cards.reply("heard", result.lang, what=what[:1].upper() + what[1:], text=text.strip())
        reply.card_id = f"heard-{utterance_id}"
        return reply

    def on_parsed(self, result: ParseResult, text: str, stamp: float, now: float) -> list[Step]:
        """A transcript already parsed (the node parses with a slow LLM off the executor)."""
        self.rounds += 1
        self.turn_id = next(self.turns)
        self.lang = result.lang
        step = Step(stamp, self.turn_id, intent=result)
        if result.intent in ("confirm", "cancel") and self.pending is not None:
            self.tasks.input(self.pending.turn_id)  # a spoken answer to the waiting task
        self.tasks.start(self.turn_id, result.intent, stamp)
        # A new request ends any wait for a code, product or amount: a code seen later must
        # not start a payment the wearer has moved on from.
        waiting, self.awaiting = self.awaiting, None
        live = waiting is not None and now <= waiting.deadline
        if live and waiting.what == "amount" and result.intent != "cancel":
            said = intents.extract_amount(text, result.lang)
            if said is not None:
                self._apply(step, self.pay.propose(waiting.code_text, result.lang, said[0], said[1]), stamp, now)
                return [step]
        asked, self.clarifying = self.clarifying, None
        if asked is not None and now <= asked.deadline:
            if self._answer_clarifying(step, asked, result, text, stamp, now):
                return [step]
        if intents.needs_clarifying(result):
            self._ask_back(step, result, now)
            if live:
                self.awaiting = waiting
            return [step]
        if live and result.intent == "unknown":
            self.awaiting = waiting  # noise or a stray word keeps the wait (ASR hallucinates on noise)
        if live and result.intent == "cancel" and self.pending is None:
            step.actions.append((waiting.intent, "cancelled", {"waiting_for": waiting.what}))
            step.replies.append(cards.reply("cancelled", result.lang, what=""))
            return [step]
        self._dispatch(step, result, stamp, now)
        return [step]

    def on_touch(self, gesture: str, stamp: float, now: float) -> list[Step]:
        if self.pending is not None and gesture in ("double_tap", "long_press"):
            self.tasks.input(self.pending.turn_id, touch=True)
        if self.phone is not None and self.pending is None and self.phone.call is not None:
            if gesture == "double_tap" and self.phone.ringing:
                return [self._phone_step(self.phone.answer(now, "double_tap"), stamp, now)]
            if gesture == "long_press":
                return [self._phone_step(self.phone.hang_up(now, "long_press"), stamp, now)]
        if self.clarifying is not None and self.pending is None and now <= self.clarifying.deadline:
            choice = {"tap": 0, "double_tap": 0, "swipe_forward": 1, "swipe_back": 1, "long_press": -1}.get(gesture)
            if choice is not None:
                return [self._choose(self.clarifying, choice, stamp, now, gesture)]
        if gesture == "double_tap":
            return [self._confirm(stamp, now, "double_tap")]
        if gesture == "long_press" and self.pending:
            return [self._cancel_pending(stamp, "long_press")]
        if gesture == "tap" and self.meeting.prompter is not None:  # an open teleprompter owns the tap: pause
            return [Step(stamp, self.turn_id, replies=replies)] if (replies := self.meeting.on_tap(self.lang)) else []
        if gesture in ("swipe_forward", "swipe_back"):
            replies = self.meeting.on_swipe(1 if gesture == "swipe_forward" else -1, self.lang)
            return [Step(stamp, self.turn_id, replies=replies)] if replies else []
        if gesture and gesture == self.config.capture_gesture and self.pending is None:
            self.turn_id = next(self.turns)
            self.rounds += 1
            step = Step(stamp, self.turn_id)
            intent = "stop_video" if self.capture.recording else "take_photo"
            self.tasks.start(self.turn_id, intent, stamp, touch=True)
            self._apply(step, self.capture.request(intent, self.lang, stamp, self.turn_id), stamp, now)
            return [step]
        return []

    def _phone_step(self, outcome: Outcome, stamp: float, now: float) -> Step:
        self.rounds += 1
        step = Step(stamp, self.phone.turn_id or self.turn_id)
        self._apply(step, outcome, stamp, now)
        return step

    def on_power(self, state) -> None:
        """The battery manager's power/state, for "how much battery is left"."""
        if self.daily is not None:
            self.daily.on_power(state)

    def on_power_notice(self, notice) -> list[Step]:
        """The power policy's power/notice (battery low, a request refused, what captions cost),
        worded in the language of the request or else the wearer's."""
        worded = notice.model_copy(update={"lang": notice.lang or self.lang})
        return [Step(notice.stamp, self.turn_id, replies=[cards.power_notice(worded)])]

    def on_music_state(self, state, now: float) -> list[Step]:
        """The music player's state; answers a play / pause / next / volume request."""
        turn = self.music.turn_of(state.request_id)
        outcome = self.music.on_state(state)
        if outcome is None:
            return []
        step = Step(state.stamp, turn)
        self._apply(step, outcome, state.stamp, now)
        return [step]

    def on_media_result(self, result, now: float) -> list[Step]:
        """The media recorder's answer to a capture request (saved, recording, refused, failed)."""
        step = Step(result.stamp, self.capture.turn_of(result.request_id))
        self._apply(step, self.capture.on_result(result), result.stamp, now)
        return [step]

    def on_head_gesture(self, gesture: str, confidence: float, stamp: float, now: float) -> list[Step]:
        if confidence < self.config.min_gesture_confidence:
            return []
        if self.pending is not None:
            self.tasks.input(self.pending.turn_id)
        if self.phone is not None and self.pending is None and self.phone.ringing:
            how = self.phone.answer if gesture == "nod" else self.phone.hang_up  # a shake declines
            return [self._phone_step(how(now, gesture), stamp, now)]
        if self.clarifying is not None and self.pending is None and now <= self.clarifying.deadline:
            return [self._choose(self.clarifying, 0 if gesture == "nod" else -1, stamp, now, gesture)]
        if gesture == "shake" and self.pending is None:
            dismissed = self.proactive.dismiss(now, self.lang)
            if dismissed is None:
                return []
            step = Step(stamp, self.turn_id)
            self._apply(step, dismissed, stamp, now)
            return [step]
        if gesture == "shake":
            return [self._cancel_pending(stamp, "shake")]
        if self.pending:
            return [self._confirm(stamp, now, "nod")]
        # Look and pay by nod: a payment code in view and nothing pending -> show the confirm card.
        if self._in_view(self.code, now):
            self.turn_id = next(self.turns)
            self.rounds += 1
            step = Step(stamp, self.turn_id)
            self.tasks.start(self.turn_id, "pay", stamp)
            self._apply(step, self.pay.propose(self.code.value, self.lang), stamp, now)
            return [step]
        return []

    def on_code(self, text: str, kind: str, stamp: float, now: float) -> list[Step]:
        if kind == "payment":
            self.code = Seen("payment_code", text, "payment code", stamp, now)
            if self.awaiting and self.awaiting.what == "code" and now <= self.awaiting.deadline:
                waiting, self.awaiting = self.awaiting, None
                step = Step(stamp, waiting.turn_id)
                said = waiting.slots.get("amount")
                self._apply(step, self.pay.propose(text, waiting.lang, said, waiting.slots.get("currency")), stamp, now)
                return [step]
            return []
        if kind == "product":
            product = self.services.catalog.product_by_ean(text)
            if product is not None:
                return self.on_product(product.product_id, product.name, True, stamp, now)
            self.meeting.saw("code", {"kind": "product", "text": text}, now)
            return []
        self.meeting.saw("code", {"kind": kind, "text": text}, now)
        return []

    def on_product(self, product_id: str, name: str, accepted: bool, stamp: float, now: float) -> list[Step]:
        if not accepted:
            return []
        product = self.services.catalog.product_by_id(product_id)
        label = product_name(product, self.lang) if product else name
        self.product = Seen("product", product_id, label, stamp, now)
        self.meeting.saw("product", {"name": label, "detail": product_id}, now)
        if self.awaiting and self.awaiting.what == "product" and now <= self.awaiting.deadline and product:
            waiting, self.awaiting = self.awaiting, None
            step = Step(stamp, waiting.turn_id)
            if waiting.intent == "buy":
                outcome = self.compare.propose_buy(product, waiting.slots.get("quantity", 1), waiting.lang, stamp)
            else:
                outcome = self.compare.compare(product, waiting.lang)
                self.last_compared = product.product_id
            self._apply(step, outcome, stamp, now)
            return [step]
        return []

    def on_text(self, lines: list[str], stamp: float, now: float) -> list[Step]:
        if lines:
            self.meeting.saw("text", {"lines": list(lines)}, now)
        return []

    def on_caption(self, text: str, final: bool, speaker: str, lang: str, utterance_id: int, audio_start: float,
                   audio_end: float, stamp: float, task: str = "transcribe", translation: str | None = None) -> list[Step]:  # fmt: skip
        """Continuous transcript (captions node): notes, subtitles, teleprompter; never a command."""
        replies = self.meeting.on_caption(text, final, speaker, lang, utterance_id, audio_start, audio_end, task,
                                          translation)  # fmt: skip
        return [Step(stamp, self.turn_id, replies=replies)] if replies else []
    def on_fix(self, lat: float, lon: float, accuracy_m: float, stamp: float, now: float) -> list[Step]:
        """A GNSS fix: drives turn-by-turn guidance and starts a navigation waiting for a position."""
        if self.navigate is None:
            return []
        return self._nav_steps(self.navigate.on_fix(lat, lon, accuracy_m, stamp, now), stamp, now)

    def on_imu_yaw(self, yaw_enu_rad: float, yaw_variance: float) -> None:
        if self.navigate is not None:
            self.navigate.on_imu_yaw(yaw_enu_rad, yaw_variance)

    def _nav_steps(self, outcomes: list[Outcome], stamp: float, now: float) -> list[Step]:
        steps = []
        for outcome in outcomes:
            step = Step(stamp, self.navigate.turn_id)
            self._apply(step, outcome, stamp, now)
            steps.append(step)
        return steps

    def on_wake(self, stamp: float, now: float) -> list[Step]:
        return [Step(stamp, self.turn_id, replies=[cards.reply("listening", self.lang)])]

    def tick(self, now: float) -> list[Step]:
        """Time-outs, due reminders and alarms, order / ride / trip / call status changes, proactive prompts."""
        steps: list[Step] = []
        self._settle_left()
        if self.pending and now > self.pending.deadline:
            p, self.pending = self.pending, None
            self._release(p.proposal.key)
            self.failures += 1
            self.tasks.finish(p.turn_id, "failed", now)
            steps.append(Step(now, p.turn_id, actions=[(p.proposal.action, "expired", {"key": p.proposal.key})],
                              replies=[cards.reply("expired", p.lang, what=p.proposal.what)]))  # fmt: skip
        if self.awaiting and now > self.awaiting.deadline:
            self.awaiting = None
        if self.navigate is not None:
            steps.extend(self._nav_steps(self.navigate.tick(now), now, now))
        if self._reminder_store is not None:
            due = self._reminder_store.due_reminders(now)
        else:
            due = [r for r in self.reminders if r["due"] <= now]
            for reminder in due:
                self.reminders.remove(reminder)
        for reminder in due:
            key = f"reminder:{reminder.get('id', '')}:{reminder['due']}:{reminder['task']}"
            self.proactive.offer("reminder", key, Outcome(actions=[("remind", "due", {"task": reminder["task"]})],
                                 replies=[cards.reply("reminder_due", reminder["lang"], task=reminder["task"])]), now,
                                 reminder.get("turn_id", 0))  # fmt: skip
        if self.daily is not None:
            offers = [("trip", *x) for x in self.daily.trip_changes(now, self.lang)]
            offers += [("leave_now", *x) for x in self.daily.leave_now(now, self.lang, lambda k: self._travel_min(k, now))]
            offers += [("battery", *x) for x in self.daily.battery_short(now, self.lang)]
            for kind, key, outcome, expires in offers:
                self.proactive.offer(kind, key, outcome, now, expires=expires)
        timed = self.proactive.tick(now)
        timed += self.music.tick(now) + (self.daily.tick(now, self.lang) if self.daily is not None else [])
        timed += self.phone.tick(now) if self.phone is not None else []
        for turn, outcome in timed:
            step = Step(now, turn)
            self._apply(step, outcome, now, now)
            steps.append(step)
        if replies := self.meeting.tick(now, self.lang):
            steps.append(Step(now, self.turn_id, replies=replies))
        for track_id, t in list(self.tracked.items()):
            if t["kind"] == "order":
                status = self.services.food.order_status(track_id, now=None)
                reply = cards.reply("food_status", t["lang"], status=cards.word(status, t["lang"]), **t["info"])
            else:
                status = self.services.rides.ride_status(track_id, now=None)
                reply = cards.reply("ride_status", t["lang"], status=cards.word(status, t["lang"]),
                                    destination=t["info"]["destination"])  # fmt: skip
            if status != t["status"]:
                t["status"] = status
                steps.append(Step(now, t["turn_id"], actions=[(t["kind"], status, {"id": track_id})], replies=[reply]))
            if status in TERMINAL[t["kind"]]:
                del self.tracked[track_id]
        return steps

    def recover(self, now: float, wall_now: float | None = None) -> list[Step]:
        """Finish or undo every money task a crash left half done (see skills/recovery.py), with a card each."""
        fulfil = {"food": self.food.fulfil, "ride": self.taxi.fulfil}
        steps = []
        for outcome in recovery.recover(self.services, fulfil, self.lang, self.config.recovery_max_age_s, wall_now):
            step = Step(now, 0)
            self._apply(step, outcome, now, now)
            steps.append(step)
        return steps

    def metrics(self) -> dict:
        return {"rounds": self.rounds, "completions": self.completions, "failures": self.failures,
                "proactive": dict(sorted(self.proactive.counts.items())), "tasks": self.tasks.summary()}  # fmt: skip

    def _travel_min(self, kind: str, now: float) -> tuple[float, str] | None:
        """Minutes to the station (walking, on the map from the wearer's fix) or the airport (taxi sandbox)."""
        nav = self.navigate
        if kind == "train" and nav is not None and nav.maps.map is not None and nav._position(now) is not None:
            walk, fix = nav.maps.map, nav._position(now)
            stations = walk.by_category(("railway=station",), (fix.lat, fix.lon), k=1)
            if stations:
                try:
                    plan = walk.route((fix.lat, fix.lon), (stations[0].lat, stations[0].lon))
                    return plan.length_m / nav.config.walk_speed_mps / 60.0, "walk"
                except Exception:  # no route: fall back to the taxi estimate
                    pass
        elif kind == "train" and nav is not None:
            if self._walk_wait_until is None:
                self._walk_wait_until = now + WALK_ESTIMATE_WAIT_S
            if now < self._walk_wait_until:
                return None  # the map still loading or the first fix not in yet: ask again at the next tick
        try:
            quote = self.services.rides.quote("airport" if kind == "flight" else "train station")
        except Exception:
            return None
        return float(quote.trip_min + quote.pickup_eta_min), "taxi"

    # -- internals ----------------------------------------------------------------------

    def _in_view(self, seen: Seen | None, now: float) -> bool:
        return seen is not None and now - seen.at <= self.config.view_memory_s

    def _apply(self, step: Step, outcome: Outcome, stamp: float, now: float) -> None:
        step.replies.extend(outcome.replies)
        step.actions.extend(outcome.actions)
        step.outbox.extend(outcome.outbox)
        if outcome.completed:
            self.tasks.finish(step.turn_id, "done", stamp)
        elif outcome.failed and not outcome.retry:  # a retry keeps the task open
            self.tasks.finish(step.turn_id, "failed", stamp)
        elif any(status == "cancelled" for _, status, _ in outcome.actions):
            self.tasks.finish(step.turn_id, "cancelled", stamp)
        self.completions += int(outcome.completed)
        self.failures += int(outcome.failed)
        if outcome.proposal is not None:
            if self.pending is not None:  # a new request replaces the one waiting
                old = self.pending.proposal
                step.actions.insert(0, (old.action, "superseded", {"key": old.key}))
                self._release(old.key)
            self.pending = Pending(outcome.proposal, step.turn_id, stamp, now + self.config.confirm_timeout_s, self.lang)
        if outcome.awaiting in ("code", "product"):
            intent = step.intent.intent if step.intent else "pay"
            slots = step.intent.slots if step.intent else {}
            self.awaiting = Awaiting(outcome.awaiting, intent, slots, step.turn_id, now + self.config.await_timeout_s,
                                     self.lang)  # fmt: skip
        elif outcome.awaiting == "amount" and self.code is not None:
            self.awaiting = Awaiting("amount", "pay", {}, step.turn_id, now + self.config.await_timeout_s, self.lang,
                                     code_text=self.code.value)  # fmt: skip
        if outcome.track is not None:
            kind, track_id, info = outcome.track
            self.tracked[track_id] = {"kind": kind, "status": "confirmed" if kind == "order" else "driver_on_the_way",
                                      "info": info, "lang": self.lang, "turn_id": step.turn_id}  # fmt: skip

    def _ask_back(self, step: Step, result: ParseResult, now: float) -> None:
        """A short question with the one or two best guesses; nothing is done until the wearer picks."""
        options = [intent for intent, _ in result.candidates if intent != "unknown"][:2]
        if not options:
            options = [result.intent]
        names = [intent_registry.label(o, result.lang) for o in options]
        if len(options) == 1:
            step.replies.append(cards.reply("clarify_one", result.lang, first=names[0]))
        else:
            step.replies.append(cards.reply("clarify", result.lang, first=names[0], second=names[1]))
        step.actions.append(("clarify", "asked", {"options": options, "utterance": result.text[:120]}))
        self.clarifying = Clarifying(options, result, step.turn_id, now + self.config.await_timeout_s, result.lang)

    def _answer_clarifying(self, step: Step, asked: Clarifying, result: ParseResult, text: str, stamp: float,
                           now: float) -> bool:  # fmt: skip
        """Handle a spoken answer to the question back; False when it is a new request instead."""
        said = text.strip().lower()
        if result.intent == "cancel" or re.fullmatch(r"(?:no|nope|neither|none|不是|都不是|不对|不)[.!。！]?", said):
            choice = -1
        elif SECOND.search(said) and len(asked.options) > 1:
            choice = 1
        elif FIRST.search(said) or result.intent == "confirm":
            choice = 0
        elif result.intent in asked.options and result.ambiguous:  # the wearer repeated one of the guesses
            choice = asked.options.index(result.intent)
        else:
            return False
        chosen = self._choose(asked, choice, stamp, now, "speech")
        step.intent = chosen.intent or step.intent
        step.actions.extend(chosen.actions)
        step.replies.extend(chosen.replies)
        return True

    def _choose(self, asked: Clarifying, choice: int, stamp: float, now: float, via: str) -> Step:
        self.clarifying = None
        step = Step(stamp, asked.turn_id)
        if choice < 0 or choice >= len(asked.options):
            step.actions.append(("clarify", "dropped", {"via": via}))
            step.replies.append(cards.reply("cancelled", asked.lang, what=""))
            return step
        result = intents.reinterpret(asked.result, asked.options[choice])
        step.intent = result
        step.actions.append(("clarify", "chosen", {"intent": result.intent, "via": via}))
        self._dispatch(step, result, stamp, now)
        return step

    def _confirm(self, stamp: float, now: float, via: str) -> Step:
        pending = self.pending
        if pending is None or stamp < pending.shown_stamp:
            # Nothing waiting (or the gesture happened before the card existed): never spend.
            return Step(stamp, self.turn_id, actions=[("confirm", "ignored", {"via": via})],
                        replies=[cards.reply("nothing_to_confirm", self.lang)])  # fmt: skip
        self.pending = None
        if now > pending.deadline:
            self._release(pending.proposal.key)
            self.failures += 1
            self.tasks.finish(pending.turn_id, "failed", stamp)
            return Step(stamp, pending.turn_id, actions=[(pending.proposal.action, "expired", {"key": pending.proposal.key})],
                        replies=[cards.reply("expired", pending.lang, what=pending.proposal.what)])  # fmt: skip
        step = Step(stamp, pending.turn_id, actions=[(pending.proposal.action, "confirmed", {"via": via,
                                                                                              "key": pending.proposal.key})])  # fmt: skip
        try:
            outcome = pending.proposal.execute()
        except Exception as exc:  # never drop a confirmed payment without a card: keep it open for a retry
            outcome = payment_failed(BackendError("internal_error", f"{type(exc).__name__}: {exc}"[:120]), pending.lang,
                                     pending.proposal.action, key=pending.proposal.key)  # fmt: skip
            outcome.retry = True
        self._apply(step, outcome, stamp, now)
        if outcome.retry and self.pending is None:  # nothing decided (database busy): confirming again retries
            self.pending = Pending(pending.proposal, pending.turn_id, pending.shown_stamp,
                                   now + self.config.confirm_timeout_s, pending.lang)  # fmt: skip
            self.open_rows.add(pending.proposal.key)
        elif not outcome.retry:
            self.open_rows.discard(pending.proposal.key)
        return step

    def _release(self, key: str) -> None:
        """A proposal that will not be confirmed again: abort the pending row a busy database left."""
        if key in self.open_rows:
            self.open_rows.discard(key)
            self.to_settle[key] = "abort"
            self._settle_left()

    def _settle_left(self) -> None:
        """Aborts and refunds the back-end could not take when they were due (recovery covers a restart)."""
        for key, op in sorted(self.to_settle.items()):
            try:
                (self.services.payments.abort if op == "abort" else self.services.payments.refund)(key)
            except BackendError:
                continue  # still busy: next tick
            del self.to_settle[key]

    def _cancel_pending(self, stamp: float, via: str) -> Step:
        p, self.pending = self.pending, None
        self.tasks.finish(p.turn_id, "cancelled", stamp)
        self._release(p.proposal.key)
        return Step(stamp, p.turn_id, actions=[(p.proposal.action, "cancelled", {"via": via, "key": p.proposal.key})],
                    replies=[cards.reply("cancelled", p.lang, what=p.proposal.what)])  # fmt: skip

    def _cancel(self, step: Step, slots: dict, lang: str) -> None:
        target = slots.get("target")
        if self.pending is not None and (
            target in (None, "payment") or {"ride": "hail_taxi", "order": "order_food"}.get(target) == self.pending.proposal.action
        ):
            cancelled = self._cancel_pending(step.stamp, "speech")
            step.actions.extend(cancelled.actions)
            step.replies.extend(cancelled.replies)
            return
        if self.navigate is not None and self.navigate.navigating and target is None:
            self._apply(step, self.navigate.stop(lang), step.stamp, step.stamp)
            return
        try:
            cancelled = self._cancel_tracked(step, target, lang)
        except BackendError as exc:  # database busy, service down: nothing changed, say so
            step.replies.append(cards.reply("cancel_failed", lang, reason=exc.reason))
            step.actions.append(("cancel", "failed", {"reason": exc.reason}))
            return
        if not cancelled:
            step.replies.append(cards.reply("nothing_to_cancel", lang))

    def _cancel_tracked(self, step: Step, target: str | None, lang: str) -> bool:
        for track_id, t in list(self.tracked.items()):
            if t["kind"] == "ride" and target in (None, "ride"):
                outcome = self.taxi.cancel(track_id, t["info"]["key"], t["info"]["destination"], lang)
                self._apply(step, outcome, step.stamp, step.stamp)
                if any(d.get("refunded") is False for _, _, d in outcome.actions):
                    self.to_settle[t["info"]["key"]] = "refund"
                del self.tracked[track_id]
                return True
            if t["kind"] == "order" and target in (None, "order"):
                status = self.services.food.cancel_order(track_id)
                if status == "cancelled":
                    refunded = refund_now(self.services, t["info"]["key"])
                    if not refunded:
                        self.to_settle[t["info"]["key"]] = "refund"
                    del self.tracked[track_id]
                    step.replies.append(cards.reply("cancelled" if refunded else "cancelled_refund_due", lang,
                                                    what=t["info"].get("dish", "")))  # fmt: skip
                else:
                    step.replies.append(cards.reply("food_status", lang, status=cards.word(status, lang), **t["info"]))
                step.actions.append(("order_food", "cancelled" if status == "cancelled" else "cancel_refused",
                                     {"order_id": track_id, "status": status}))  # fmt: skip
                return True
        return False

    def _dispatch(self, step: Step, result: ParseResult, stamp: float, now: float) -> None:
        try:
            self._dispatch_intent(step, result, stamp, now)
        except BackendError as exc:  # a catalog or service down: say so, never leave the wearer without an answer
            step.replies.append(cards.reply("service_failed", result.lang, reason=exc.reason))
            step.actions.append((result.intent, "failed", {"reason": exc.reason}))
            self.failures += 1

    def _dispatch_intent(self, step: Step, result: ParseResult, stamp: float, now: float) -> None:
        intent, slots, lang = result.intent, result.slots, result.lang
        if intent == "confirm":
            confirmed = self._confirm(stamp, now, "speech")
            step.actions.extend(confirmed.actions)
            step.replies.extend(confirmed.replies)
            return
        if intent == "cancel":
            self._cancel(step, slots, lang)
            return
        if intent == "unknown":
            step.replies.append(cards.reply("did_not_understand", lang))
            step.actions.append(("unknown", "ask_again", {"utterance": result.text[:120]}))
            return
        if intent == "pay":
            if self._in_view(self.code, now):
                outcome = self.pay.propose(self.code.value, lang, slots.get("amount"), slots.get("currency"))
            else:
                outcome = Outcome(replies=[cards.reply("look_at_code", lang)], awaiting="code")
        elif intent in ("compare_price", "buy"):
            in_view = self.product.value if self._in_view(self.product, now) else None
            chosen = in_view or (self.last_compared if intent == "buy" else None)
            product = self.compare.resolve(slots.get("item"), chosen)
            if product is None and slots.get("item"):
                outcome = Outcome(replies=[cards.reply("unknown_product", lang, what=slots["item"])], failed=True)
            elif product is None:
                outcome = Outcome(replies=[cards.reply("look_at_product", lang)], awaiting="product")
            elif intent == "compare_price":
                outcome = self.compare.compare(product, lang)
                self.last_compared = product.product_id
            else:
                outcome = self.compare.propose_buy(product, slots.get("quantity", 1), lang, stamp)
        elif intent == "order_food":
            outcome = self.food.propose(slots, lang, stamp)
        elif intent == "hail_taxi":
            outcome = self.taxi.propose(slots, lang, stamp)
        elif intent == "remind":
            outcome = self._remind(slots, lang, now, step.turn_id)
        elif intent in PHONE_INTENTS and self.phone is not None:
            outcome = self.phone.handle(intent, slots, result.text, lang, now, stamp, step.turn_id)
        elif intent in DAILY_INTENTS and self.daily is not None:
            outcome = self.daily.handle(intent, slots, result.text, lang, now, step.turn_id)
        elif intent in MUSIC_INTENTS:
            outcome = self.music.request(intent, slots, lang, stamp, now, step.turn_id)
        elif intent in CAPTURE_INTENTS:
            outcome = self.capture.request(intent, lang, stamp, step.turn_id)
        elif intent == "navigate" and self.navigate is not None:
            outcome = self.navigate.handle(slots, result.text, lang, now, step.turn_id)
        elif intent == "navigate":
            outcome = Outcome(replies=[cards.reply("nav_no_map", lang, reason="nav_area")],
                              actions=[("navigate", "unavailable", {"reason": "no map configured"})], failed=True)  # fmt: skip
        elif intent in MEETING_INTENTS:
            outcome = self.meeting.handle(intent, slots, lang, now)
        else:
            outcome = simple.handle(intent, slots, lang, self.context)
        self._apply(step, outcome, stamp, now)

    def _remind(self, slots: dict, lang: str, now: float, turn_id: int) -> Outcome:
        task = slots.get("task") or ("reminder" if lang != "zh" else "提醒")
        due = simple.due_time(slots.get("time"), now)
        if due is None:
            due = now + 600.0  # no time said: in ten minutes, and the card says so
        if self._reminder_store is not None:
            self._reminder_store.add_reminder(due, task, lang)
        else:
            self.reminders.append({"due": due, "task": task, "lang": lang, "turn_id": turn_id})
        minutes = Decimal(str((due - now) / 60.0)).quantize(Decimal("1"))
        when = slots.get("time") or ""
        when = f"in {minutes} min" if lang != "zh" and (not when or when.startswith("+")) else (
            f"{minutes}分钟后" if lang == "zh" and (not when or when.startswith("+")) else when)  # fmt: skip
        return Outcome(replies=[cards.reply("reminder_set", lang, task=task, when=when)],
                       actions=[("remind", "scheduled", {"task": task, "due": due})], completed=True)  # fmt: skip
