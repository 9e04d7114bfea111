"""Service back-end interfaces of the agent: catalog, payments, food, rides.

Skills talk only to these interfaces; ``SqliteSandbox`` (embedded, seeded with the
demo data) is the default and ``HttpBackend`` speaks the same calls to real
services. Money is ``Decimal`` at the interface and integer minor units at rest.

Amounts are exact: ``glasses_bringup.foundation.payment`` turns them into integer minor units of
their currency (ISO 4217 decimals) and refuses what cannot be paid exactly.

Spending is a journal with idempotent steps, so a crash at any point can neither
charge twice nor lose a confirmed payment, and never leaves money taken for nothing:
``begin`` checks the limits and writes a *pending* row under an idempotency key in one
transaction (write-ahead); ``commit`` charges and marks it done in one transaction
(``charged_now`` true for exactly one caller); food and rides are then placed under the
same key (idempotent), and ``unfulfilled`` lists charges whose order or ride is not
there, so recovery on start places or refunds them. Calling ``begin`` or ``commit``
again with the same key returns the existing record and charges nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from glasses_bringup.foundation.errors import ReasonError
from glasses_bringup.foundation.payment import format_money, to_minor

TRANSIENT = frozenset({"database_busy", "database_error", "service_unreachable"})  # retry later, keep the row


class BackendError(ReasonError, RuntimeError):
    """A service refused or failed a request; ``reason`` is short and countable."""

    @property
    def transient(self) -> bool:
        """The request may succeed later (locked database, service down): nothing was decided."""
        return self.reason in TRANSIENT


@dataclass(frozen=True)
class Limits:
    per_payment: Decimal = Decimal("500")
    daily: Decimal = Decimal("2000")


class LimitError(BackendError):
    """A spending limit would be exceeded; ``which`` is per_payment or daily."""

    def __init__(self, which: str, limit: Decimal, currency: str):
        super().__init__("over_limit", f"{which} limit {limit} {currency}")
        self.which = which
        self.limit = limit
        self.currency = currency


def money(amount: Decimal, currency: str) -> str:
    """Display form of an exact amount: "12.50 CNY", "500 JPY" (MoneyError if not exact)."""
    return format_money(to_minor(amount, currency, positive=False), currency)


def idempotency_key(kind: str, *parts: Any) -> str:
    """Stable key of one spending request: same request -> same key -> one charge."""
    text = "|".join([kind, *(str(p) for p in parts)])
    return f"{kind}-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    ean: str = ""
    name_zh: str = ""


@dataclass(frozen=True)
class Offer:
    merchant: str
    price: Decimal
    currency: str


@dataclass(frozen=True)
class Payment:
    key: str
    kind: str  # pay, buy, food, ride
    payee: str
    payee_name: str
    amount: Decimal
    currency: str
    ref: str
    status: str  # pending, done, aborted, refunded
    created_at: float
    completed_at: float | None = None
    details: dict = field(default_factory=dict)
    charged_now: bool = False  # true only in the answer to the commit call that moved the money


@dataclass(frozen=True)
class MenuItem:
    item_id: str
    name: str
    name_zh: str
    size: str
    price: Decimal
    currency: str


@dataclass(frozen=True)
class Restaurant:
    restaurant_id: str
    name: str
    name_zh: str
    usual: bool
    delivery_min: int


@dataclass(frozen=True)
class Order:
    order_id: str
    key: str
    restaurant_id: str
    items: list[dict]
    total: Decimal
    currency: str
    status: str
    placed_at: float


@dataclass(frozen=True)
class RideQuote:
    pickup: str
    destination: str
    ride_class: str
    fare: Decimal
    currency: str
    pickup_eta_min: int
    trip_min: int


@dataclass(frozen=True)
class Ride:
    ride_id: str
    key: str
    quote: RideQuote
    status: str
    booked_at: float


class Catalog(Protocol):
    def product_by_ean(self, ean: str) -> Product | None: ...
    def product_by_id(self, product_id: str) -> Product | None: ...
    def product_by_name(self, query: str) -> Product | None: ...
    def offers(self, product_id: str) -> list[Offer]: ...


class Payments(Protocol):
    def begin(self, key: str, kind: str, payee: str, payee_name: str, amount: Decimal, currency: str,
              ref: str = "", details: dict | None = None, limits: Limits | None = None) -> Payment: ...  # fmt: skip
    def commit(self, key: str) -> Payment: ...
    def unfulfilled(self) -> list[Payment]: ...
    def abort(self, key: str) -> Payment | None: ...
    def refund(self, key: str) -> Payment: ...
    def get(self, key: str) -> Payment | None: ...
    def pending(self) -> list[Payment]: ...
    def spent_today(self, currency: str, now: float | None = None) -> Decimal: ...
    def balance(self, currency: str) -> Decimal: ...


class Food(Protocol):
    def restaurants(self) -> list[Restaurant]: ...
    def menu(self, restaurant_id: str) -> list[MenuItem]: ...
    def place_order(self, key: str, restaurant_id: str, items: list[dict], total: Decimal, currency: str) -> Order: ...
    def order_status(self, order_id: str, now: float | None = None) -> str: ...
    def cancel_order(self, order_id: str) -> str: ...


class Rides(Protocol):
    def quote(self, destination: str, pickup: str = "", ride_class: str = "standard") -> RideQuote: ...
    def book(self, key: str, quote: RideQuote) -> Ride: ...
    def ride_status(self, ride_id: str, now: float | None = None) -> str: ...
    def cancel_ride(self, ride_id: str) -> str: ...


class Services(Protocol):
    """Everything the skills need; both back-ends implement all four parts."""

    catalog: Catalog
    payments: Payments
    food: Food
    rides: Rides
