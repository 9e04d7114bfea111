"""Hail a taxi: "take me to the airport" -> fare quote and pickup ETA -> confirm ->
paid booking -> ride status updates; "cancel the ride" refunds before pickup."""

from __future__ import annotations

from decimal import Decimal

from glasses_agent import cards
from glasses_agent.backends.base import BackendError, RideQuote, Services, idempotency_key, money
from glasses_agent.skills.base import Outcome, Proposal
from glasses_agent.skills.pay import (
    LimitError,
    Limits,
    check_limits,
    not_placed,
    over_limit,
    payment_failed,
    refund_now,
    spend,
)


class TaxiSkill:
    def __init__(self, services: Services, limits: Limits):
        self.services = services
        self.limits = limits

    def propose(self, slots: dict, lang: str, stamp: float) -> Outcome:
        destination = slots.get("destination")
        if not destination:
            return Outcome(replies=[cards.reply("ask_destination", lang)])
        ride_class = "large" if slots.get("size") == "large" else "standard"
        try:
            quote = self.services.rides.quote(destination, slots.get("pickup") or "", ride_class)
        except BackendError as exc:
            return Outcome(replies=[cards.reply("unknown_place", lang, what=destination)],
                           actions=[("hail_taxi", "refused", {"reason": exc.reason})], failed=True)  # fmt: skip
        shown = money(quote.fare, quote.currency)
        key = idempotency_key("ride", quote.destination, quote.ride_class, format(quote.fare, "f"), f"{stamp:.6f}")
        try:
            check_limits(self.services, quote.fare, quote.currency, self.limits)
        except LimitError as exc:
            return over_limit(exc, shown, lang, "hail_taxi")
        details = {"pickup": quote.pickup, "destination": quote.destination, "ride_class": quote.ride_class,
                   "amount": format(quote.fare, "f"), "currency": quote.currency,
                   "pickup_eta_min": quote.pickup_eta_min, "trip_min": quote.trip_min, "lang": lang,
                   "destination_said": destination}  # fmt: skip

        def execute() -> Outcome:
            try:
                spend(self.services, self.limits, key, "ride", "taxi", "Taxi", quote.fare, quote.currency, "", details)
            except LimitError as exc:
                return over_limit(exc, shown, lang, "hail_taxi")
            except BackendError as exc:
                return payment_failed(exc, lang, "hail_taxi", key=key)
            try:  # charged: the ride is booked under the same key; recovery finishes it after a crash here
                ride = self.fulfil(key, details)
            except BackendError as exc:
                return not_placed(self.services, exc, key, shown, lang, "hail_taxi")
            info = {"destination": destination, "key": key}
            return Outcome(
                replies=[cards.reply("ride_status", lang, status=cards.word("driver_on_the_way", lang),
                                     destination=destination)],  # fmt: skip
                actions=[("hail_taxi", "done", {**details, "key": key, "ride_id": ride.ride_id})],
                completed=True,
                track=("ride", ride.ride_id, info),
            )

        card = cards.reply("confirm_ride", lang, amount=shown, destination=destination, eta=quote.pickup_eta_min,
                           ride_class=cards.word(quote.ride_class, lang))  # fmt: skip
        return Outcome(replies=[card], actions=[("hail_taxi", "awaiting_confirmation", {**details, "key": key})],
                       proposal=Proposal("hail_taxi", key, f"{destination} · {shown}", card, execute, details))  # fmt: skip

    def fulfil(self, key: str, details: dict):
        quote = RideQuote(details["pickup"], details["destination"], details["ride_class"], Decimal(details["amount"]),
                          details["currency"], int(details["pickup_eta_min"]), int(details["trip_min"]))  # fmt: skip
        return self.services.rides.book(key, quote)

    def cancel(self, ride_id: str, key: str, destination: str, lang: str) -> Outcome:
        status = self.services.rides.cancel_ride(ride_id)
        if status == "cancelled":
            refunded = refund_now(self.services, key)
            return Outcome(replies=[cards.reply("cancelled" if refunded else "cancelled_refund_due", lang,
                                                what=f"→ {destination}")],
                           actions=[("hail_taxi", "cancelled", {"ride_id": ride_id, "key": key, "refunded": refunded})])  # fmt: skip
        return Outcome(replies=[cards.reply("ride_status", lang, status=cards.word(status, lang), destination=destination)],
                       actions=[("hail_taxi", "cancel_refused", {"ride_id": ride_id, "status": status})])  # fmt: skip
