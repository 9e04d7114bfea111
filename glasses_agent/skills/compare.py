"""Price comparison: a barcode or recognized product -> offers of several merchants ->
best offer card; "buy it" goes through the same confirmation and money path as pay."""

from __future__ import annotations

from glasses_agent import cards
from glasses_agent.backends.base import BackendError, Product, Services, idempotency_key, money
from glasses_agent.skills.base import Outcome, Proposal
from glasses_agent.skills.pay import LimitError, Limits, check_limits, over_limit, payment_failed, spend


def product_name(product: Product, lang: str) -> str:
    return product.name_zh if lang == "zh" and product.name_zh else product.name


class CompareSkill:
    def __init__(self, services: Services, limits: Limits):
        self.services = services
        self.limits = limits

    def resolve(self, item: str | None, product_id: str | None) -> Product | None:
        """The product the wearer means: a named item first, else the one in view."""
        if item:
            return self.services.catalog.product_by_name(item)
        if product_id:
            return self.services.catalog.product_by_id(product_id)
        return None

    def compare(self, product: Product, lang: str) -> Outcome:
        offers = self.services.catalog.offers(product.product_id)
        name = product_name(product, lang)
        if not offers:
            return Outcome(replies=[cards.reply("unknown_product", lang, what=name)], failed=True)
        best = offers[0]
        lines = [f"{o.merchant}: {money(o.price, o.currency)}" for o in offers]
        card = cards.reply("best_offer", lang, price=money(best.price, best.currency), merchant=best.merchant,
                           product=name, lines=lines)  # fmt: skip
        return Outcome(
            replies=[card],
            actions=[("compare_price", "done", {"product_id": product.product_id, "best_merchant": best.merchant,
                                                "best_price": format(best.price, "f"), "currency": best.currency,
                                                "offers": len(offers)})],  # fmt: skip
            completed=True,
        )

    def propose_buy(self, product: Product, quantity: int, lang: str, stamp: float) -> Outcome:
        offers = self.services.catalog.offers(product.product_id)
        if not offers:
            return Outcome(replies=[cards.reply("unknown_product", lang, what=product_name(product, lang))], failed=True)
        best = offers[0]
        quantity = max(1, min(int(quantity or 1), 99))
        amount = best.price * quantity
        shown = money(amount, best.currency)
        name = product_name(product, lang)
        # One proposal, one key: confirming it twice buys once; a later "buy it" is a new purchase.
        key = idempotency_key("buy", product.product_id, best.merchant, format(amount, "f"), quantity, f"{stamp:.6f}")
        try:
            check_limits(self.services, amount, best.currency, self.limits)
        except LimitError as exc:
            return over_limit(exc, shown, lang, "buy")
        details = {"product_id": product.product_id, "merchant": best.merchant, "quantity": quantity,
                   "amount": format(amount, "f"), "currency": best.currency, "lang": lang}  # fmt: skip

        def execute() -> Outcome:
            try:
                _, charged = spend(self.services, self.limits, key, "buy", best.merchant, best.merchant, amount,
                                   best.currency, "", details)  # fmt: skip
            except LimitError as exc:
                return over_limit(exc, shown, lang, "buy")
            except BackendError as exc:
                return payment_failed(exc, lang, "buy", key=key)
            if not charged:
                return Outcome(actions=[("buy", "duplicate", {"key": key})])
            return Outcome(
                replies=[cards.reply("bought", lang, quantity=quantity, product=name, amount=shown, merchant=best.merchant)],
                actions=[("buy", "done", {**details, "key": key})],
                completed=True,
            )

        card = cards.reply("confirm_buy", lang, amount=shown, quantity=quantity, product=name, merchant=best.merchant)
        return Outcome(replies=[card], actions=[("buy", "awaiting_confirmation", {**details, "key": key})],
                       proposal=Proposal("buy", key, f"{name} · {shown}", card, execute, details))  # fmt: skip
