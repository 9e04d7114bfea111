"""Proactive help: the assistant speaks up on its own when it matters (no rclpy).

Sources offer prompts (a reminder due, a trip that changed, time to leave for a
train or a flight, the battery not lasting until the next calendar entry); each
distinct prompt (its key) is offered once. Prompts go out one at a time, at least
``min_gap_s`` apart, most important first (a due reminder before a trip change before
a leave-now before a battery warning); a head shake within ``dismiss_s`` of one
dismisses it. Everything is counted per kind: offered, shown, dismissed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from glasses_agent import cards
from glasses_agent.skills.base import Outcome

PRIORITY = {"reminder": 0, "trip": 1, "leave_now": 2, "battery": 3}


@dataclass
class Offer:
    kind: str
    key: str
    outcome: Outcome
    turn_id: int
    at: float
    expires: float = float("inf")  # a leave-now after the train left is no help: dropped unshown


class Proactive:
    def __init__(self, min_gap_s: float = 30.0, dismiss_s: float = 15.0):
        self.min_gap_s = min_gap_s
        self.dismiss_s = dismiss_s
        self.queue: list[Offer] = []
        self.seen: set[str] = set()
        self.last_shown: Offer | None = None
        self.last_shown_at = float("-inf")
        self.dismissed_last = False
        self.counts: Counter[str] = Counter()

    def offer(self, kind: str, key: str, outcome: Outcome, now: float, turn_id: int = 0,
              expires: float = float("inf")) -> bool:  # fmt: skip
        """Queue a prompt unless the same one (key) was offered before; True if queued."""
        if key in self.seen:
            return False
        self.seen.add(key)
        self.queue.append(Offer(kind, key, outcome, turn_id, now, expires))
        self.counts[f"{kind}.offered"] += 1
        return True

    def tick(self, now: float) -> list[tuple[int, Outcome]]:
        for stale in [o for o in self.queue if now >= o.expires]:
            self.queue.remove(stale)
            self.counts[f"{stale.kind}.expired"] += 1
        if not self.queue or now - self.last_shown_at < self.min_gap_s:
            return []
        self.queue.sort(key=lambda o: (PRIORITY.get(o.kind, 9), o.at))
        offer = self.queue.pop(0)
        self.last_shown, self.last_shown_at, self.dismissed_last = offer, now, False
        self.counts[f"{offer.kind}.shown"] += 1
        offer.outcome.actions.append(("proactive", "shown", {"kind": offer.kind, "key": offer.key,
                                                             "waited_s": round(now - offer.at, 1)}))  # fmt: skip
        return [(offer.turn_id, offer.outcome)]

    def dismiss(self, now: float, lang: str) -> Outcome | None:
        """A head shake right after a prompt dismisses it (None: nothing to dismiss)."""
        shown = self.last_shown
        if shown is None or self.dismissed_last or now - self.last_shown_at > self.dismiss_s:
            return None
        self.dismissed_last = True
        self.counts[f"{shown.kind}.dismissed"] += 1
        return Outcome(replies=[cards.reply("proactive_dismissed", lang)],
                       actions=[("proactive", "dismissed", {"kind": shown.kind, "key": shown.key})])  # fmt: skip
