"""HTTP client of the same back-end interfaces, for real catalog / payment / food / ride services.

JSON over HTTP; every spending call carries an ``Idempotency-Key`` header equal to
the agent's key, so a retried request is charged once by the service too. The
endpoints (relative to ``base_url``):

    GET  /catalog/products?ean=..|id=..|q=..      -> product or 404
    GET  /catalog/products/{id}/offers            -> [offer]
    POST /payments            {key, kind, payee, payee_name, amount, currency, ref, details,
                               per_payment_limit, daily_limit} -> payment (pending; limits checked atomically)
    POST /payments/{key}/commit | /abort | /refund -> payment (commit: charged_now true for one caller only)
    GET  /payments/{key} | /payments?status=pending | /payments?status=done&unfulfilled=true
    GET  /payments/spent?currency=&day=today -> ...
    GET  /wallet/{currency}                        -> {balance}
    GET  /food/restaurants, /food/restaurants/{id}/menu; POST /food/orders; GET|POST /food/orders/{id}[/cancel]
    POST /rides/quote, /rides; GET /rides/{id}; POST /rides/{id}/cancel

Amounts travel as decimal strings. The token comes from an environment variable and
is sent only in the Authorization header, over https unless the services run on this
machine, and never to another origin a redirect points to (``secure_http``).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

from glasses_agent import secure_http
from glasses_agent.backends.base import (
    BackendError,
    MenuItem,
    Offer,
    Order,
    Payment,
    Product,
    Restaurant,
    Ride,
    RideQuote,
)
from glasses_bringup.foundation.payment import MoneyError, from_minor, to_minor


def _amount(value, currency: str) -> Decimal:
    """A service's amount as an exact Decimal of its currency; BackendError for one that cannot be paid exactly."""
    try:
        return from_minor(to_minor(value, currency), currency)
    except MoneyError as exc:
        raise BackendError(exc.reason, f"service sent {value!r} {currency!r}"[:80]) from None


class HttpBackend:
    def __init__(self, base_url: str, token_env: str = "GLASSES_SERVICES_TOKEN", timeout_s: float = 5.0):
        self.base_url = secure_http.require_secure_url(base_url.rstrip("/"), "services_url")
        self.token_env = token_env
        self.timeout_s = timeout_s
        self.catalog = self.payments = self.food = self.rides = self

    def _call(self, method: str, path: str, body: dict | None = None, key: str | None = None, query: dict | None = None):
        url = self.base_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode("utf-8")
        if key:
            headers["Idempotency-Key"] = key
        token = os.environ.get(self.token_env, "")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(url, data, headers, method=method)
        try:
            with secure_http.urlopen(request, timeout=self.timeout_s) as response:
                return json.loads(response.read(4 << 20).decode("utf-8") or "null")
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            try:
                reason = json.loads(exc.read().decode("utf-8")).get("reason", f"http_{exc.code}")
            except Exception:
                reason = f"http_{exc.code}"
            raise BackendError(str(reason)[:60], f"{method} {path}") from None
        except secure_http.InsecureRedirect:
            raise BackendError("insecure_redirect", f"{method} {path}") from None
        except (urllib.error.URLError, TimeoutError, OSError, json.JSONDecodeError) as exc:
            raise BackendError("service_unreachable", f"{method} {path}: {type(exc).__name__}") from None

    # -- catalog
    def _product(self, query: dict) -> Product | None:
        doc = self._call("GET", "/catalog/products", query=query)
        return Product(doc["product_id"], doc["name"], doc.get("ean", ""), doc.get("name_zh", "")) if doc else None

    def product_by_ean(self, ean: str) -> Product | None:
        return self._product({"ean": ean})

    def product_by_id(self, product_id: str) -> Product | None:
        return self._product({"id": product_id})

    def product_by_name(self, query: str) -> Product | None:
        return self._product({"q": query})

    def offers(self, product_id: str) -> list[Offer]:
        docs = self._call("GET", f"/catalog/products/{urllib.parse.quote(product_id)}/offers") or []
        return sorted((Offer(d["merchant"], _amount(d["price"], d["currency"]), d["currency"]) for d in docs), key=lambda o: o.price)

    # -- payments
    @staticmethod
    def _payment(d: dict | None) -> Payment | None:
        if d is None:
            return None
        return Payment(d["key"], d["kind"], d["payee"], d.get("payee_name", d["payee"]), _amount(d["amount"], d["currency"]),
                       d["currency"], d.get("ref", ""), d["status"], float(d.get("created_at", 0.0)),
                       d.get("completed_at"), d.get("details", {}), bool(d.get("charged_now", False)))  # fmt: skip

    def begin(self, key, kind, payee, payee_name, amount, currency, ref="", details=None, limits=None) -> Payment:
        body = {"key": key, "kind": kind, "payee": payee, "payee_name": payee_name, "amount": format(Decimal(amount), "f"),
                "currency": currency, "ref": ref, "details": details or {}}  # fmt: skip
        if limits is not None:
            body.update(per_payment_limit=format(limits.per_payment, "f"), daily_limit=format(limits.daily, "f"))
        return self._payment(self._call("POST", "/payments", body, key=key))

    def commit(self, key: str) -> Payment:
        return self._payment(self._call("POST", f"/payments/{key}/commit", {}, key=key))

    def abort(self, key: str) -> Payment | None:
        return self._payment(self._call("POST", f"/payments/{key}/abort", {}, key=key))

    def refund(self, key: str) -> Payment:
        return self._payment(self._call("POST", f"/payments/{key}/refund", {}, key=key))

    def get(self, key: str) -> Payment | None:
        return self._payment(self._call("GET", f"/payments/{key}"))

    def pending(self) -> list[Payment]:
        return [self._payment(d) for d in self._call("GET", "/payments", query={"status": "pending"}) or []]

    def unfulfilled(self) -> list[Payment]:
        docs = self._call("GET", "/payments", query={"status": "done", "unfulfilled": "true"}) or []
        return [self._payment(d) for d in docs]

    def spent_today(self, currency: str, now: float | None = None) -> Decimal:
        doc = self._call("GET", "/payments/spent", query={"currency": currency, "day": "today"}) or {}
        return Decimal(doc.get("amount", "0"))

    def balance(self, currency: str) -> Decimal:
        return Decimal((self._call("GET", f"/wallet/{currency}") or {}).get("balance", "0"))

    # -- food
    def restaurants(self) -> list[Restaurant]:
        return [Restaurant(d["restaurant_id"], d["name"], d.get("name_zh", d["name"]), bool(d.get("usual")),
                           int(d.get("delivery_min", 30))) for d in self._call("GET", "/food/restaurants") or []]  # fmt: skip

    def menu(self, restaurant_id: str) -> list[MenuItem]:
        docs = self._call("GET", f"/food/restaurants/{restaurant_id}/menu") or []
        return [MenuItem(d["item_id"], d["name"], d.get("name_zh", d["name"]), d.get("size", "regular"),
                         _amount(d["price"], d["currency"]), d["currency"]) for d in docs]  # fmt: skip

    def place_order(self, key, restaurant_id, items, total, currency) -> Order:
        d = self._call("POST", "/food/orders", {"restaurant_id": restaurant_id, "items": items,
                                                "total": format(Decimal(total), "f"), "currency": currency}, key=key)  # fmt: skip
        return Order(d["order_id"], key, restaurant_id, items, _amount(d["total"], currency), currency, d["status"],
                     float(d.get("placed_at", 0)))  # fmt: skip

    def order_status(self, order_id: str, now: float | None = None) -> str:
        return (self._call("GET", f"/food/orders/{order_id}") or {}).get("status", "unknown")

    def cancel_order(self, order_id: str) -> str:
        return (self._call("POST", f"/food/orders/{order_id}/cancel", {}) or {}).get("status", "unknown")

    # -- rides
    def quote(self, destination: str, pickup: str = "", ride_class: str = "standard") -> RideQuote:
        d = self._call("POST", "/rides/quote", {"destination": destination, "pickup": pickup, "ride_class": ride_class})
        if d is None:
            raise BackendError("unknown_place", destination)
        return RideQuote(d["pickup"], d["destination"], d["ride_class"], _amount(d["fare"], d["currency"]), d["currency"],
                         int(d["pickup_eta_min"]), int(d["trip_min"]))  # fmt: skip

    def book(self, key: str, quote: RideQuote) -> Ride:
        body = {"pickup": quote.pickup, "destination": quote.destination, "ride_class": quote.ride_class,
                "fare": format(quote.fare, "f"), "currency": quote.currency}  # fmt: skip
        d = self._call("POST", "/rides", body, key=key)
        return Ride(d["ride_id"], key, quote, d["status"], float(d.get("booked_at", 0)))

    def ride_status(self, ride_id: str, now: float | None = None) -> str:
        return (self._call("GET", f"/rides/{ride_id}") or {}).get("status", "unknown")

    def cancel_ride(self, ride_id: str) -> str:
        return (self._call("POST", f"/rides/{ride_id}/cancel", {}) or {}).get("status", "unknown")
