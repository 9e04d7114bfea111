"""Look and pay: a payment QR in view + "pay" (or a nod) -> confirm card -> one charge.

The payload is validated again here with the foundation's ``parse_payment`` (the
same function the code reader uses), so a corrupt or tampered code is refused even
if it arrives with a parsed ``payment`` field. The card names the payee that is
charged; the code's own ``name`` is shown only as an unverified claim. ``spend`` is
the one money path of every skill: limits and write-ahead pending row in one
transaction, then the charge, all under an idempotency key.
"""

from __future__ import annotations

from decimal import Decimal

from glasses_agent import cards
from glasses_agent.backends.base import BackendError, LimitError, Limits, Payment, Services, idempotency_key
from glasses_agent.skills.base import Outcome, Proposal
from glasses_bringup.foundation.payment import (
    MoneyError,
    PaymentPayloadError,
    as_decimal,
    format_money,
    from_minor,
    parse_payment,
    payee_label,
    to_minor,
)

__all__ = ["LimitError", "Limits", "PaySkill", "check_limits", "over_limit", "payment_failed", "refund_now", "spend"]


def check_limits(services: Services, amount: Decimal, currency: str, limits: Limits) -> None:
    """Raise LimitError when this amount breaks the per-payment or daily limit (same figures per currency).

    A preview for the quote card; the binding check runs again inside ``begin``'s transaction."""
    if amount > limits.per_payment:
        raise LimitError("per_payment", limits.per_payment, currency)
    if services.payments.spent_today(currency) + amount > limits.daily:
        raise LimitError("daily", limits.daily, currency)


def spend(services: Services, limits: Limits, key: str, kind: str, payee: str, payee_name: str,
          amount: Decimal, currency: str, ref: str = "", details: dict | None = None) -> tuple[Payment, bool]:  # fmt: skip
    """Charge once under ``key``: (payment, charged_now). A key already done is returned untouched.

    A refused charge is aborted; a transient failure (locked database, service down) leaves the
    pending row for a retry or for recovery, and is raised like any other BackendError."""
    existing = services.payments.get(key)
    if existing is not None and existing.status == "done":
        return existing, False
    if existing is None:
        check_limits(services, amount, currency, limits)  # early answer; begin checks again atomically
        services.payments.begin(key, kind, payee, payee_name, amount, currency, ref, details, limits=limits)
    try:
        payment = services.payments.commit(key)
    except BackendError as exc:
        if not exc.transient:
            services.payments.abort(key)
        raise
    return payment, payment.charged_now


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
        try:
            request = parse_payment(code_text)
        except PaymentPayloadError as exc:
            return self.refuse(exc.reason, lang)
        if request is None:
            return self.refuse("not_a_payment_code", lang)
        if not request.payee:
            # wxp:// and Alipay tokens name no payee; they need the wallet app's own flow.
            return self.refuse(f"{request.scheme}_needs_wallet_app", lang)
        payee_shown, claimed_name = payee_label(request.payee, request.name)
        currency = request.currency or said_currency or self.default_currency
        try:
            said = None if said_amount is None else to_minor(as_decimal(said_amount), said_currency or currency)
            code_minor = None if request.amount is None else to_minor(request.amount, currency)
        except MoneyError as exc:  # 12.345 CNY, 100.5 JPY, a non-ASCII digit: refused, never rounded
            return self.refuse(exc.reason, lang)
        other_currency = said is not None and said_currency is not None and said_currency != currency
        if other_currency or (code_minor is not None and said is not None and said != code_minor):
            shown_code = format_money(code_minor, currency) if code_minor is not None else currency
            return Outcome(
                replies=[cards.reply("amount_mismatch", lang, code_amount=shown_code,
                                     said_amount=format_money(said, said_currency or currency))],  # fmt: skip
                actions=[("pay", "refused", {"reason": "amount_mismatch"})],
                failed=True,
            )
        minor = code_minor if code_minor is not None else said
        if minor is None:
            return Outcome(replies=[cards.reply("ask_amount", lang, payee_name=payee_shown)], awaiting="amount")
        amount = from_minor(minor, currency)  # exactly what is charged and shown
        key = idempotency_key("pay", code_text.strip(), format(amount, "f"), currency)
        shown = format_money(minor, currency)
        done = self.services.payments.get(key)
        if done is not None and done.status == "done":
            return Outcome(replies=[cards.reply("already_paid", lang, amount=shown, payee_name=payee_shown)],
                           actions=[("pay", "duplicate", {"key": key})])  # fmt: skip
        try:
            check_limits(self.services, amount, currency, self.limits)
        except LimitError as exc:
            return over_limit(exc, shown, lang, "pay")
        details = {"payee": request.payee, "payee_name": payee_shown, "claimed_name": claimed_name,
                   "amount": format(amount, "f"), "currency": currency, "ref": request.ref or "",
                   "scheme": request.scheme, "lang": lang}  # fmt: skip

        def execute() -> Outcome:
            try:
                payment, charged = spend(self.services, self.limits, key, "pay", request.payee, payee_shown, amount,
                                         currency, request.ref or "", details)  # fmt: skip
            except LimitError as exc:
                return over_limit(exc, shown, lang, "pay")
            except BackendError as exc:
                return payment_failed(exc, lang, "pay", key=key)
            if not charged:
                return Outcome(replies=[cards.reply("already_paid", lang, amount=shown, payee_name=payee_shown)],
                               actions=[("pay", "duplicate", {"key": key})])  # fmt: skip
            return Outcome(
                replies=[cards.reply("paid", lang, amount=shown, payee_name=payee_shown, ref=payment.ref or "-")],
                actions=[("pay", "done", {**details, "key": key})],
                completed=True,
            )

        lines = [cards.word("claimed_name", lang).format(name=claimed_name)] if claimed_name else []
        card = cards.reply("confirm_pay", lang, amount=shown, payee_name=payee_shown, lines=lines)
        return Outcome(replies=[card], actions=[("pay", "awaiting_confirmation", {**details, "key": key})],
                       proposal=Proposal("pay", key, f"{shown} → {payee_shown}", card, execute, details))  # fmt: skip


def over_limit(exc: LimitError, shown: str, lang: str, action: str) -> Outcome:
    """The refusal every spending skill gives when a limit stops it."""
    try:
        limit = format_money(to_minor(exc.limit, exc.currency, positive=False), exc.currency)
    except MoneyError:
        limit = f"{exc.limit} {exc.currency}"
    return Outcome(
        replies=[cards.reply("over_limit", lang, which=cards.word(f"limit_{exc.which}", lang), amount=shown,
                             limit=limit)],  # fmt: skip
        actions=[(action, "refused", {"reason": f"over_{exc.which}_limit"})],
        failed=True,
    )


def payment_failed(exc: BackendError, lang: str, action: str, **data) -> Outcome:
    """The card and failed action when the wallet or a service refuses a charge.

    A transient failure (locked database, service down) keeps the confirmation open
    (``retry``): nothing was charged yet and confirming again finishes the same payment."""
    if exc.transient:
        return Outcome(replies=[cards.reply("payment_retry", lang, reason=exc.reason)],
                       actions=[(action, "failed", {**data, "reason": exc.reason, "retry": True})], failed=True,
                       retry=True)  # fmt: skip
    return Outcome(replies=[cards.reply("payment_failed", lang, reason=exc.reason)],
                   actions=[(action, "failed", {**data, "reason": exc.reason})], failed=True)  # fmt: skip


def refund_now(services: Services, key: str) -> bool:
    """Refund a done payment (a cancelled order or ride); False when the back-end cannot do it now.

    A refund left undone is not lost: its order or ride is cancelled, so ``unfulfilled``
    lists the payment and the dialogue (each tick) or recovery (at start) refunds it."""
    try:
        return services.payments.refund(key).status == "refunded"
    except BackendError:
        return False


def not_placed(services: Services, exc: BackendError, key: str, shown: str, lang: str, action: str) -> Outcome:
    """The order or ride could not be placed after the charge: refund now, or leave it for recovery."""
    refunded = refund_now(services, key)
    message = "not_placed_refunded" if refunded else "not_placed_held"
    return Outcome(replies=[cards.reply(message, lang, amount=shown, reason=exc.reason)],
                   actions=[(action, "failed", {"key": key, "reason": exc.reason, "refunded": refunded})],
                   failed=True)  # fmt: skip
