"""Order food: "order a large beef noodle from the usual place" -> menu match (fuzzy,
English or Chinese) -> quote -> confirm -> paid order -> status updates on the HUD."""

from __future__ import annotations

from decimal import Decimal

from rapidfuzz import fuzz, process

from glasses_agent import cards
from glasses_agent.backends.base import BackendError, MenuItem, Restaurant, Services, idempotency_key, money
from glasses_agent.skills.base import Outcome, Proposal
from glasses_agent.skills.pay import LimitError, Limits, check_limits, not_placed, over_limit, payment_failed, spend

DELIVERY_FEE = Decimal("5.00")
SIZE_ORDER = ("small", "regular", "medium", "large")


class FoodSkill:
    def __init__(self, services: Services, limits: Limits):
        self.services = services
        self.limits = limits

    def _restaurant(self, name: str | None) -> Restaurant | None:
        restaurants = self.services.food.restaurants()
        if not name or name == "usual":
            return next((r for r in restaurants if r.usual), None) if name == "usual" else None
        choices = {r.restaurant_id: r.name.lower() for r in restaurants}
        choices.update({r.restaurant_id + "#zh": r.name_zh for r in restaurants})
        best = process.extractOne(name.lower(), choices, scorer=fuzz.WRatio, score_cutoff=75)
        if best is None:
            return None
        rid = best[2].split("#")[0]
        return next(r for r in restaurants if r.restaurant_id == rid)

    def _dish(self, menu: list[MenuItem], item: str) -> list[MenuItem]:
        choices = {i: (m.name_zh if any("\u4e00" <= c <= "\u9fff" for c in item) else m.name.lower())
                   for i, m in enumerate(menu)}  # fmt: skip
        best = process.extractOne(item.lower(), choices, scorer=fuzz.WRatio, score_cutoff=75)
        if best is None:
            return []
        item_id = menu[best[2]].item_id
        return [m for m in menu if m.item_id == item_id]

    def match(self, slots: dict) -> tuple[Restaurant, MenuItem] | None:
        """Restaurant and menu entry (size applied) for the slots, or None."""
        item = slots.get("item")
        if not item:
            return None
        named = self._restaurant(slots.get("restaurant"))
        candidates = [named] if named else self.services.food.restaurants()  # usual place first
        for restaurant in candidates:
            sizes = self._dish(self.services.food.menu(restaurant.restaurant_id), item)
            if sizes:
                wanted = slots.get("size")
                exact = [m for m in sizes if m.size == wanted]
                if exact:
                    return restaurant, exact[0]
                # No such size: medium/regular when none asked, else the nearest one.
                rank = SIZE_ORDER.index(wanted) if wanted in SIZE_ORDER else 1.5
                return restaurant, min(sizes, key=lambda m: abs(SIZE_ORDER.index(m.size) - rank))
        return None

    def propose(self, slots: dict, lang: str, stamp: float) -> Outcome:
        if not slots.get("item"):
            return Outcome(replies=[cards.reply("ask_dish", lang)])
        found = self.match(slots)
        if found is None:
            return Outcome(replies=[cards.reply("no_dish", lang, what=slots["item"])],
                           actions=[("order_food", "not_found", {"item": slots["item"]})], failed=True)  # fmt: skip
        restaurant, dish = found
        quantity = max(1, min(int(slots.get("quantity") or 1), 20))
        amount = dish.price * quantity + DELIVERY_FEE
        shown = money(amount, dish.currency)
        dish_name = dish.name_zh if lang == "zh" else dish.name
        rest_name = restaurant.name_zh if lang == "zh" else restaurant.name
        items = [{"item_id": dish.item_id, "name": dish.name, "size": dish.size, "quantity": quantity,
                  "price": format(dish.price, "f")}]  # fmt: skip
        key = idempotency_key("food", restaurant.restaurant_id, dish.item_id, dish.size, quantity, f"{stamp:.6f}")
        try:
            check_limits(self.services, amount, dish.currency, self.limits)
        except LimitError as exc:
            return over_limit(exc, shown, lang, "order_food")
        details = {"restaurant_id": restaurant.restaurant_id, "items": items, "amount": format(amount, "f"),
                   "currency": dish.currency, "delivery_fee": format(DELIVERY_FEE, "f"), "lang": lang,
                   "dish": dish_name, "restaurant": rest_name}  # fmt: skip

        def execute() -> Outcome:
            try:
                spend(self.services, self.limits, key, "food", restaurant.restaurant_id, restaurant.name, amount,
                      dish.currency, "", details)  # fmt: skip
            except LimitError as exc:
                return over_limit(exc, shown, lang, "order_food")
            except BackendError as exc:
                return payment_failed(exc, lang, "order_food", key=key)
            try:  # charged: the order is placed under the same key; recovery finishes it after a crash here
                order = self.fulfil(key, details)
            except BackendError as exc:
                return not_placed(self.services, exc, key, shown, lang, "order_food")
            info = {"dish": dish_name, "restaurant": rest_name, "key": key}
            return Outcome(
                replies=[cards.reply("food_status", lang, status=cards.word("confirmed", lang), **info)],
                actions=[("order_food", "done", {**details, "key": key, "order_id": order.order_id})],
                completed=True,
                track=("order", order.order_id, info),
            )

        size_word = cards.word(dish.size, lang)
        card = cards.reply("confirm_food", lang, amount=shown, quantity=quantity, size=size_word, dish=dish_name,
                           restaurant=rest_name, delivery_min=restaurant.delivery_min,
                           lines=[f"{quantity} × {dish_name} {money(dish.price, dish.currency)}",
                                  f"+ {money(DELIVERY_FEE, dish.currency)}"])  # fmt: skip
        return Outcome(replies=[card], actions=[("order_food", "awaiting_confirmation", {**details, "key": key})],
                       proposal=Proposal("order_food", key, f"{dish_name} · {shown}", card, execute, details))  # fmt: skip

    def fulfil(self, key: str, details: dict):
        """Place the paid order (idempotent by key); also used when recovering after a crash."""
        return self.services.food.place_order(key, details["restaurant_id"], details["items"],
                                              Decimal(details["amount"]), details["currency"])  # fmt: skip
