"""Look and pay: a payment QR in view + "pay" (or a nod) -> confirm card -> one charge.

The payload is validated again here with the vision package's ``parse_payment``
(the same function the code reader uses), so a corrupt or tampered code is refused
even if it arrives with a parsed ``payment`` field. ``spend`` is the one money path
of every skill: limits, write-ahead pending row, charge, all under an idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from glasses_agent import cards
from glasses_agent.backends.base import BackendError, Payment, Services, idempotency_key, money
from glasses_agent.skills.base import Outcome, Proposal


class LimitError(BackendError):
    """A spending limit would be exceeded; ``which`` is per_payment or daily."""

    def __init__(self, which: str, limit: Decimal, currency: str):
        super().__init__("over_limit", f"{which} limit {limit} {currency}")
        self.which = which
        self.limit = limit
        self.currency = currency


@dataclass(frozen=True)
class Limits:
    per_payment: Decimal = Decimal("500")
    daily: Decimal = Decimal("2000")


def check_limits(services: Services, amount: Decimal, currency: str, limits: Limits) -> None:
    """Raise LimitError when this amount breaks the per-payment or daily limit (same figures per currency)."""
    if amount > limits.per_payment:
        raise LimitError("per_payment", limits.per_payment, currency)
    if services.payments.spent_today(currency) + amount > limits.daily:
        raise LimitError("daily", limits.daily, currency)


def spend(services: Services, limits: Limits, key: str, kind: str, payee: str, payee_name: str,
          amount: Decimal, currency: str, ref: str = "", details: dict | None = None) -> tuple[Payment, bool]:  # fmt: skip
    """Charge once under ``key``: (payment, charged_now). A key already done is returned untouched."""
    existing = services.payments.get(key)
    if existing is not None and existing.status == "done":
        return existing, False
    if existing is None:
        check_limits(services, amount, currency, limits)
        services.payments.begin(key, kind, payee, payee_name, amount, currency, ref, details)
    try:
        return services.payments.commit(key), True
    except BackendError:
        services.payments.abort(key)
        raise


def payment_parser():
    """(parse_payment, PaymentPayloadError) of the vision package."""
    from glasses_perception.vision.payment import PaymentPayloadError, parse_payment

    return parse_payment, PaymentPayloadError


def _decimal(value) -> Decimal | None:
    if value is None:
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


class PaySkill:
    def __init__(self, services: Services, limits: Limits, default_currency: str = "CNY"):
        self.services = services
        self.limits = limits
        self.default_currency = default_currency

    def refuse(self, reason: str, lang: str) -> Outcome:
        return Outcome(replies=[cards.reply("bad_code", lang, reason=reason)],
                       actions=[("pay", "refused", {"reason": reason})], failed=True)  # fmt: skip

    def propose(self, code_text: str, lang: str, said_amount=None, said_currency: str | None = None) -> Outcome:
        """Validate the code and the amount, then ask for confirmation (or refuse with a card)."""
        parse_payment, PaymentPayloadError = payment_parser()
        try:
            request = parse_payment(code_text)
        except PaymentPayloadError as exc:
            return self.refuse(exc.reason, lang)
        if request is None:
            return self.refuse("not_a_payment_code", lang)
        if not request.payee:
            # wxp:// and Alipay tokens name no payee; they need the wallet app's own flow.
            return self.refuse(f"{request.scheme}_needs_wallet_app", lang)
        payee_name = request.name or request.payee
        said = _decimal(said_amount)
        currency = request.currency or said_currency or self.default_currency
        amount = request.amount
        if amount is not None and said is not None and (said != amount or (said_currency and said_currency != currency)):
            return Outcome(
                replies=[cards.reply("amount_mismatch", lang, code_amount=money(amount, currency),
                                     said_amount=money(said, said_currency or currency))],  # fmt: skip
                actions=[("pay", "refused", {"reason": "amount_mismatch"})],
                failed=True,
            )
        if amount is None:
            amount = said
        if amount is None:
            return Outcome(replies=[cards.reply("ask_amount", lang, payee_name=payee_name)], awaiting="amount")
        if amount <= 0:
            return self.refuse("bad_amount", lang)
        key = idempotency_key("pay", code_text.strip(), format(amount.quantize(Decimal("0.01")), "f"), currency)
        shown = money(amount, currency)
        done = self.services.payments.get(key)
        if done is not None and done.status == "done":
            return Outcome(replies=[cards.reply("already_paid", lang, amount=shown, payee_name=payee_name)],
                           actions=[("pay", "duplicate", {"key": key})])  # fmt: skip
        try:
            check_limits(self.services, amount, currency, self.limits)
        except LimitError as exc:
            return over_limit(exc, shown, lang, "pay")
        details = {"payee": request.payee, "payee_name": payee_name, "amount": format(amount, "f"),
                   "currency": currency, "ref": request.ref or "", "scheme": request.scheme}  # fmt: skip

        def execute() -> Outcome:
            try:
                payment, charged = spend(self.services, self.limits, key, "pay", request.payee, payee_name, amount,
                                         currency, request.ref or "", details)  # fmt: skip
            except LimitError as exc:
                return over_limit(exc, shown, lang, "pay")
            except BackendError as exc:
                return payment_failed(exc, lang, "pay", key=key)
            if not charged:
                return Outcome(replies=[cards.reply("already_paid", lang, amount=shown, payee_name=payee_name)],
                               actions=[("pay", "duplicate", {"key": key})])  # fmt: skip
            return Outcome(
                replies=[cards.reply("paid", lang, amount=shown, payee_name=payee_name, ref=payment.ref or "-")],
                actions=[("pay", "done", {**details, "key": key})],
                completed=True,
            )

        card = cards.reply("confirm_pay", lang, amount=shown, payee_name=payee_name)
        return Outcome(replies=[card], actions=[("pay", "awaiting_confirmation", {**details, "key": key})],
                       proposal=Proposal("pay", key, f"{shown} → {payee_name}", card, execute, details))  # fmt: skip


def over_limit(exc: LimitError, shown: str, lang: str, action: str) -> Outcome:
    """The refusal every spending skill gives when a limit stops it."""
    return Outcome(
        replies=[cards.reply("over_limit", lang, which=cards.word(f"limit_{exc.which}", lang), amount=shown,
                             limit=money(exc.limit, exc.currency))],  # fmt: skip
        actions=[(action, "refused", {"reason": f"over_{exc.which}_limit"})],
        failed=True,
    )


def payment_failed(exc: BackendError, lang: str, action: str, **data) -> Outcome:
    """The card and failed action when the wallet or a service refuses a charge."""
    return Outcome(replies=[cards.reply("payment_failed", lang, reason=exc.reason)],
                   actions=[(action, "failed", {**data, "reason": exc.reason})], failed=True)  # fmt: skip
