"""Service back-end interfaces of the agent: catalog, payments, food, rides.

Skills talk only to these interfaces; ``SqliteSandbox`` (embedded, seeded with the
demo data) is the default and ``HttpBackend`` speaks the same calls to real
services. Money is ``Decimal`` at the interface and integer minor units at rest.

Spending is two-phase so a crash can never charge twice or lose a confirmed
payment: ``begin`` writes a *pending* row under an idempotency key (write-ahead),
``commit`` performs the charge and marks it done in one transaction, and
``recover`` finishes pending rows after a restart. Calling ``begin`` or ``commit``
again with the same key returns the existing record and charges nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

MINOR = Decimal("0.01")


class BackendError(RuntimeError):
    """A service refused or failed a request; ``reason`` is short and countable."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def to_minor(amount: Decimal) -> int:
    return int((Decimal(amount) / MINOR).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_minor(minor: int) -> Decimal:
    return (Decimal(minor) * MINOR).quantize(MINOR)


def money(amount: Decimal, currency: str) -> str:
    """Display form of an amount: "12.50 CNY"."""
    return f"{Decimal(amount).quantize(MINOR)} {currency}"


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
              ref: str = "", details: dict | None = None) -> Payment: ...  # fmt: skip
    def commit(self, key: str) -> Payment: ...
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
