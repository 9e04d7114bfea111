"""Recovery on start: finish or undo every money task a crash left half done.

The journal (``Payments``) knows two half-done states:

- *pending*: confirmed by the wearer, limits checked, not charged yet. Charged now
  (and its order or ride placed) when it is recent; aborted when it is older than
  ``max_age_s`` (a taxi or a meal hours late is not what was confirmed);
- *unfulfilled*: charged, but the order or ride was never placed (placed now under
  the same key, placing is idempotent, when recent; refunded when older, or when
  placing is refused), or was cancelled before its refund went through (refunded).

Nothing is retried blindly: a refused charge is aborted, and a transient failure
(database busy, service down) leaves the row as it is for the next start. Every
decision comes back as an Outcome with a card, so the wearer learns what happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from glasses_agent import cards
from glasses_agent.backends.base import BackendError, Payment, Services, money
from glasses_agent.skills.base import Outcome

ACTIONS = {"pay": "pay", "buy": "buy", "food": "order_food", "ride": "hail_taxi"}


def recover(services: Services, fulfil: dict[str, Callable[[str, dict], object]], default_lang: str = "en",
            max_age_s: float = 900.0, wall_now: float | None = None) -> list[Outcome]:  # fmt: skip
    """One Outcome per half-done payment; ``fulfil[kind](key, details)`` places a food order or a ride."""
    now = time.time() if wall_now is None else wall_now
    outcomes = []
    half_done = [(p, _pending, now - p.created_at) for p in services.payments.pending()]
    half_done += [(p, _unfulfilled, now - (p.completed_at or p.created_at)) for p in services.payments.unfulfilled()]
    for payment, handle, age in half_done:
        try:
            outcomes.append(handle(services, fulfil, payment, default_lang, age > max_age_s))
        except BackendError as exc:  # transient only (the handlers settle the rest): left for the next start
            outcomes.append(Outcome(actions=[(ACTIONS.get(payment.kind, payment.kind), "recovery_deferred",
                                              {"key": payment.key, "reason": exc.reason})], failed=True))  # fmt: skip
    return outcomes


def _outcome(payment: Payment, action_status: str, message: str, lang: str, **data) -> Outcome:
    what = cards.word(payment.kind, lang)
    return Outcome(replies=[cards.reply(message, lang, what=what, amount=money(payment.amount, payment.currency))],
                   actions=[(ACTIONS.get(payment.kind, payment.kind), action_status, {"key": payment.key, **data})],
                   completed=action_status == "recovered", failed=action_status != "recovered")  # fmt: skip


def _lang(payment: Payment, default_lang: str) -> str:
    return payment.details.get("lang") if payment.details.get("lang") in ("en", "zh") else default_lang


def _pending(services: Services, fulfil, payment: Payment, default_lang: str, stale: bool) -> Outcome:
    lang = _lang(payment, default_lang)
    if stale:
        services.payments.abort(payment.key)
        return _outcome(payment, "recovery_aborted", "recovery_dropped", lang, reason="too_old")
    try:
        services.payments.commit(payment.key)
    except BackendError as exc:
        if exc.transient:
            raise
        services.payments.abort(payment.key)  # a refused charge is never retried blindly
        return _outcome(payment, "recovery_failed", "recovery_dropped", lang, reason=exc.reason)
    return _place(services, fulfil, payment, lang)


def _unfulfilled(services: Services, fulfil, payment: Payment, default_lang: str, stale: bool) -> Outcome:
    lang = _lang(payment, default_lang)
    if stale:
        services.payments.refund(payment.key)
        return _outcome(payment, "recovery_refunded", "recovery_refunded", lang, reason="too_old")
    return _place(services, fulfil, payment, lang)


def _place(services: Services, fulfil, payment: Payment, lang: str) -> Outcome:
    """The charge is done: place its order or ride (if it has one), or refund it when placing is refused."""
    place = fulfil.get(payment.kind)
    if place is None:
        return _outcome(payment, "recovered", "recovered", lang, status="done")
    try:
        placed = place(payment.key, payment.details)
    except BackendError as exc:
        if exc.transient:
            raise
        services.payments.refund(payment.key)
        return _outcome(payment, "recovery_refunded", "recovery_refunded", lang, reason=exc.reason)
    if getattr(placed, "status", "") == "cancelled":  # cancelled by the wearer before the refund went through
        services.payments.refund(payment.key)
        return _outcome(payment, "recovery_refunded", "recovery_refunded", lang, reason="cancelled")
    outcome = _outcome(payment, "recovered", "recovered", lang, status="done")
    ride_id = getattr(placed, "ride_id", None)
    order_id = getattr(placed, "order_id", None)
    if order_id:
        outcome.actions[0][2]["order_id"] = order_id
        outcome.track = ("order", order_id, {"dish": payment.details.get("dish", ""),
                                             "restaurant": payment.details.get("restaurant", payment.payee_name),
                                             "key": payment.key})  # fmt: skip
    elif ride_id:
        outcome.actions[0][2]["ride_id"] = ride_id
        outcome.track = ("ride", ride_id, {"destination": payment.details.get("destination_said")
                                           or payment.details.get("destination", ""), "key": payment.key})  # fmt: skip
    return outcome
