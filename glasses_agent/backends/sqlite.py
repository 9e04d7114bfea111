"""Embedded SQLite sandbox of every service back-end, seeded with the demo data.

One database file holds the catalog with merchant prices, the wallet and payments
ledger, restaurants and menus, orders, places and rides; state survives a restart
(WAL journal, synchronous=FULL, so a committed charge is on disk before the card
says "paid"). Order and ride statuses advance with the sandbox clock, scaled by
``speed`` so a demo shows a delivery in seconds rather than half an hour.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from rapidfuzz import fuzz, process

from glasses_agent.backends.base import (
    BackendError,
    LimitError,
    Limits,
    MenuItem,
    Offer,
    Order,
    Payment,
    Product,
    Restaurant,
    Ride,
    RideQuote,
)
from glasses_bringup.foundation.payment import MoneyError, from_minor, round_minor, to_minor

SCHEMA = """
CREATE TABLE IF NOT EXISTS products (product_id TEXT PRIMARY KEY, name TEXT NOT NULL, name_zh TEXT NOT NULL DEFAULT '',
    ean TEXT UNIQUE);
CREATE TABLE IF NOT EXISTS offers (product_id TEXT NOT NULL REFERENCES products, merchant TEXT NOT NULL,
    price_minor INTEGER NOT NULL CHECK (price_minor >= 0), currency TEXT NOT NULL, PRIMARY KEY (product_id, merchant));
CREATE TABLE IF NOT EXISTS wallet (currency TEXT PRIMARY KEY, balance_minor INTEGER NOT NULL CHECK (balance_minor >= 0));
CREATE TABLE IF NOT EXISTS payments (key TEXT PRIMARY KEY, kind TEXT NOT NULL, payee TEXT NOT NULL, payee_name TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0), currency TEXT NOT NULL, ref TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'aborted', 'refunded')), created_at REAL NOT NULL,
    completed_at REAL, day TEXT NOT NULL, details TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS payments_day ON payments (day, currency, status);
CREATE TABLE IF NOT EXISTS restaurants (restaurant_id TEXT PRIMARY KEY, name TEXT NOT NULL, name_zh TEXT NOT NULL,
    usual INTEGER NOT NULL DEFAULT 0, delivery_min INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS menu (restaurant_id TEXT NOT NULL REFERENCES restaurants, item_id TEXT NOT NULL, name TEXT NOT NULL,
    name_zh TEXT NOT NULL, size TEXT NOT NULL, price_minor INTEGER NOT NULL, currency TEXT NOT NULL,
    PRIMARY KEY (restaurant_id, item_id, size));
CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, key TEXT UNIQUE NOT NULL, restaurant_id TEXT NOT NULL,
    items TEXT NOT NULL, total_minor INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL, placed_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS reminders (id INTEGER PRIMARY KEY AUTOINCREMENT, due REAL NOT NULL, task TEXT NOT NULL,
    lang TEXT NOT NULL, fired INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS places (name TEXT PRIMARY KEY, name_zh TEXT NOT NULL, distance_km REAL NOT NULL);
CREATE TABLE IF NOT EXISTS rides (ride_id TEXT PRIMARY KEY, key TEXT UNIQUE NOT NULL, pickup TEXT NOT NULL,
    destination TEXT NOT NULL, ride_class TEXT NOT NULL, fare_minor INTEGER NOT NULL, currency TEXT NOT NULL,
    pickup_eta_min INTEGER NOT NULL, trip_min INTEGER NOT NULL, status TEXT NOT NULL, booked_at REAL NOT NULL);
"""

# Demo data (shared contract: product ids, names and EAN-13 codes).
PRODUCTS = [
    ("p-oolong-tea", "Oolong Tea 500 ml", "乌龙茶", "6901234567892"),
    ("p-jasmine-rice", "Jasmine Rice 1 kg", "茉莉香米", "6901234567908"),
    ("p-soy-sauce", "Light Soy Sauce 500 ml", "生抽", "6901234567915"),
    ("p-notebook", "A5 Notebook", "笔记本", "4006381333931"),
    ("p-chocolate", "Dark Chocolate 100 g", "黑巧克力", "5000112013009"),
    ("p-book-tcpip", "TCP/IP Illustrated", "TCP/IP详解", "9780201379624"),
]
OFFERS = {  # product -> [(merchant, CNY)]
    "p-oolong-tea": [("FreshMart", "4.50"), ("CityGrocer", "3.90"), ("QuickShop", "5.00")],
    "p-jasmine-rice": [("FreshMart", "12.80"), ("CityGrocer", "13.50"), ("BulkBarn", "11.90")],
    "p-soy-sauce": [("FreshMart", "8.90"), ("CityGrocer", "7.50"), ("QuickShop", "9.20")],
    "p-notebook": [("PaperHouse", "6.00"), ("CityGrocer", "7.20"), ("BookNook", "5.50")],
    "p-chocolate": [("FreshMart", "15.00"), ("SweetSpot", "13.80"), ("QuickShop", "16.50")],
    "p-book-tcpip": [("BookNook", "128.00"), ("PaperHouse", "119.00"), ("WebBooks", "109.50")],
}
RESTAURANTS = [
    ("r-noodle-house", "Noodle House", "面馆", 1, 25),
    ("r-golden-dragon", "Golden Dragon", "金龙餐厅", 0, 35),
    ("r-star-cafe", "Star Cafe", "星光咖啡", 0, 20),
    ("r-pizza-corner", "Pizza Corner", "披萨角", 0, 30),
]
MENU = [  # restaurant, item_id, name, name_zh, size, CNY
    ("r-noodle-house", "beef-noodle", "Beef Noodle", "牛肉面", "small", "18.00"),
    ("r-noodle-house", "beef-noodle", "Beef Noodle", "牛肉面", "large", "24.00"),
    ("r-noodle-house", "wonton-soup", "Wonton Soup", "馄饨汤", "regular", "16.00"),
    ("r-noodle-house", "fried-rice", "Fried Rice", "炒饭", "regular", "15.00"),
    ("r-golden-dragon", "dumpling", "Dumplings (12)", "饺子", "regular", "22.00"),
    ("r-golden-dragon", "fried-rice", "Fried Rice", "炒饭", "medium", "20.00"),
    ("r-golden-dragon", "kung-pao", "Kung Pao Chicken", "宫保鸡丁", "regular", "32.00"),
    ("r-star-cafe", "latte", "Latte", "拿铁", "small", "22.00"),
    ("r-star-cafe", "latte", "Latte", "拿铁", "large", "28.00"),
    ("r-star-cafe", "milk-tea", "Milk Tea", "奶茶", "small", "14.00"),
    ("r-star-cafe", "milk-tea", "Milk Tea", "奶茶", "large", "18.00"),
    ("r-pizza-corner", "pizza", "Margherita Pizza", "玛格丽特披萨", "medium", "58.00"),
    ("r-pizza-corner", "pizza", "Margherita Pizza", "玛格丽特披萨", "large", "78.00"),
]
PLACES = [
    ("airport", "机场", 32.0), ("train station", "火车站", 8.5), ("hotel", "酒店", 4.2), ("office", "公司", 6.0),
    ("home", "家", 11.0), ("central mall", "中心商场", 3.1), ("museum", "博物馆", 5.4),
    ("convention center", "会展中心", 9.8), ("hospital", "医院", 2.7), ("university", "大学", 7.3),
    ("library", "图书馆", 2.2), ("central park", "中央公园", 3.6),
]  # fmt: skip
WALLET = [("CNY", "5000.00"), ("USD", "300.00")]

FOOD_STEPS = (("confirmed", 2), ("preparing", 12))  # status until minute n; then on_the_way, delivered
RIDE_CLASSES = {"standard": (Decimal("10.00"), Decimal("2.20")), "large": (Decimal("16.00"), Decimal("3.10"))}


def _day(t: float) -> str:
    return datetime.fromtimestamp(t).strftime("%Y-%m-%d")


class SqliteSandbox:
    """Catalog, payments, food and rides in one SQLite file (``:memory:`` for scratch use)."""

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time, speed: float = 1.0,
                 default_pickup: str = "current location", busy_timeout_s: float = 1.0):  # fmt: skip
        if str(path) != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self.path = str(Path(path).expanduser()) if str(path) != ":memory:" else ":memory:"
        self.clock = clock
        self.speed = speed
        self.default_pickup = default_pickup
        self._lock = threading.RLock()  # one connection, used from executor callbacks
        # busy_timeout_s: how long a write waits for another process's lock before the card says "busy"
        self.db = sqlite3.connect(self.path, timeout=busy_timeout_s, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        if self.path != ":memory:":
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self._seed()
        self.catalog = self.payments = self.food = self.rides = self

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def _tx(self):
        return _Tx(self)

    def _reading(self):
        return _Reading(self)

    def _seed(self) -> None:
        with self._tx() as db:
            if db.execute("SELECT COUNT(*) FROM products").fetchone()[0]:
                return
            db.executemany("INSERT INTO products VALUES (?,?,?,?)", [(p, n, z, e) for p, n, z, e in PRODUCTS])
            db.executemany(
                "INSERT INTO offers VALUES (?,?,?,?)",
                [(p, m, to_minor(c, "CNY"), "CNY") for p, offers in OFFERS.items() for m, c in offers],
            )
            db.executemany("INSERT INTO wallet VALUES (?,?)", [(c, to_minor(a, c)) for c, a in WALLET])
            db.executemany("INSERT INTO restaurants VALUES (?,?,?,?,?)", RESTAURANTS)
            db.executemany(
                "INSERT INTO menu VALUES (?,?,?,?,?,?,?)",
                [(r, i, n, z, s, to_minor(c, "CNY"), "CNY") for r, i, n, z, s, c in MENU],
            )
            db.executemany("INSERT INTO places VALUES (?,?,?)", PLACES)

    # -- catalog -----------------------------------------------------------------------

    @staticmethod
    def _product(row) -> Product:
        return Product(row["product_id"], row["name"], row["ean"] or "", row["name_zh"])

    def product_by_ean(self, ean: str) -> Product | None:
        with self._reading() as db:
            row = db.execute("SELECT * FROM products WHERE ean = ?", (ean.strip(),)).fetchone()
        return self._product(row) if row else None

    def product_by_id(self, product_id: str) -> Product | None:
        with self._reading() as db:
            row = db.execute("SELECT * FROM products WHERE product_id = ?", (product_id,)).fetchone()
        return self._product(row) if row else None

    def product_by_name(self, query: str) -> Product | None:
        """Best fuzzy match of an English or Chinese product name (score >= 70)."""
        with self._reading() as db:
            rows = db.execute("SELECT * FROM products").fetchall()
        choices = {}
        for row in rows:
            choices[(row["product_id"], "en")] = row["name"].lower()
            choices[(row["product_id"], "zh")] = row["name_zh"]
        best = process.extractOne(query.lower(), choices, scorer=fuzz.WRatio, score_cutoff=70)
        if best is None:
            return None
        return self.product_by_id(best[2][0])

    def offers(self, product_id: str) -> list[Offer]:
        with self._reading() as db:
            rows = db.execute(
                "SELECT * FROM offers WHERE product_id = ? ORDER BY price_minor, merchant", (product_id,)
            ).fetchall()
        return [Offer(r["merchant"], from_minor(r["price_minor"], r["currency"]), r["currency"]) for r in rows]

    # -- payments ----------------------------------------------------------------------

    @staticmethod
    def _payment(row, charged_now: bool = False) -> Payment:
        return Payment(
            key=row["key"], kind=row["kind"], payee=row["payee"], payee_name=row["payee_name"],
            amount=from_minor(row["amount_minor"], row["currency"]), currency=row["currency"], ref=row["ref"],
            status=row["status"], created_at=row["created_at"], completed_at=row["completed_at"],
            details=json.loads(row["details"]), charged_now=charged_now,
        )  # fmt: skip

    @staticmethod
    def _minor(amount, currency: str) -> int:
        try:
            return to_minor(amount, currency)
        except MoneyError as exc:
            raise BackendError(exc.reason, exc.detail) from None

    def get(self, key: str) -> Payment | None:
        with self._reading() as db:
            row = db.execute("SELECT * FROM payments WHERE key = ?", (key,)).fetchone()
        return self._payment(row) if row else None

    def begin(self, key, kind, payee, payee_name, amount, currency, ref="", details=None, limits=None) -> Payment:
        """Write-ahead pending row, after the limits are checked in the same transaction (so two
        connections cannot both pass a daily limit); an existing key returns its record unchanged."""
        minor = self._minor(amount, currency)
        now = self.clock()
        with self._tx() as db:
            row = db.execute("SELECT * FROM payments WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return self._payment(row)
            if limits is not None:
                self._check_limits(db, minor, currency, limits, now)
            db.execute(
                "INSERT INTO payments (key, kind, payee, payee_name, amount_minor, currency, ref, status,"
                " created_at, day, details) VALUES (?,?,?,?,?,?,?,'pending',?,?,?)",
                (key, kind, payee, payee_name, minor, currency, ref, now, _day(now), json.dumps(details or {})),
            )
            row = db.execute("SELECT * FROM payments WHERE key = ?", (key,)).fetchone()
        return self._payment(row)

    def _check_limits(self, db, minor: int, currency: str, limits: Limits, now: float) -> None:
        amount = from_minor(minor, currency)
        if amount > limits.per_payment:
            raise LimitError("per_payment", limits.per_payment, currency)
        spent = db.execute(
            "SELECT COALESCE(SUM(amount_minor), 0) FROM payments WHERE day = ? AND currency = ?"
            " AND status IN ('pending', 'done')",
            (_day(now), currency),
        ).fetchone()[0]
        if from_minor(spent, currency) + amount > limits.daily:
            raise LimitError("daily", limits.daily, currency)

    def commit(self, key: str) -> Payment:
        """Charge the wallet and mark the row done, atomically; done rows are returned as they are.

        ``charged_now`` is true only for the call that moved the money (BEGIN IMMEDIATE makes a
        second connection wait and then see the row done)."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM payments WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise BackendError("unknown_payment", key)
            if row["status"] == "done":
                return self._payment(row)
            if row["status"] != "pending":  # aborted or refunded: never charged (again)
                raise BackendError(row["status"], key)
            bal = db.execute("SELECT balance_minor FROM wallet WHERE currency = ?", (row["currency"],)).fetchone()
            if bal is None or bal[0] < row["amount_minor"]:
                raise BackendError("insufficient_funds", f"{row['currency']}")
            db.execute(
                "UPDATE wallet SET balance_minor = balance_minor - ? WHERE currency = ?",
                (row["amount_minor"], row["currency"]),
            )
            db.execute(
                "UPDATE payments SET status = 'done', completed_at = ? WHERE key = ? AND status = 'pending'",
                (self.clock(), key),
            )
            row = db.execute("SELECT * FROM payments WHERE key = ?", (key,)).fetchone()
        return self._payment(row, charged_now=True)

    def abort(self, key: str) -> Payment | None:
        with self._tx() as db:
            db.execute("UPDATE payments SET status = 'aborted' WHERE key = ? AND status = 'pending'", (key,))
        return self.get(key)

    def refund(self, key: str) -> Payment:
        """Return a done payment to the wallet once (cancelled ride or order)."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM payments WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise BackendError("unknown_payment", key)
            if row["status"] == "done":
                db.execute(
                    "UPDATE wallet SET balance_minor = balance_minor + ? WHERE currency = ?",
                    (row["amount_minor"], row["currency"]),
                )
                db.execute("UPDATE payments SET status = 'refunded' WHERE key = ?", (key,))
        return self.get(key)

    def pending(self) -> list[Payment]:
        with self._reading() as db:
            rows = db.execute("SELECT * FROM payments WHERE status = 'pending' ORDER BY created_at").fetchall()
        return [self._payment(r) for r in rows]

    def unfulfilled(self) -> list[Payment]:
        """Done food and ride payments without a live order or ride: never placed (a crash in between),
        or cancelled before their refund went through."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT * FROM payments p WHERE status = 'done' AND ("
                " (kind = 'food' AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.key = p.key AND o.status != 'cancelled'))"
                " OR (kind = 'ride' AND NOT EXISTS (SELECT 1 FROM rides r WHERE r.key = p.key"
                " AND r.status != 'cancelled'))) ORDER BY created_at"
            ).fetchall()
        return [self._payment(r) for r in rows]

    def ledger(self) -> list[Payment]:
        with self._reading() as db:
            rows = db.execute("SELECT * FROM payments ORDER BY created_at").fetchall()
        return [self._payment(r) for r in rows]

    def spent_today(self, currency: str, now: float | None = None) -> Decimal:
        day = _day(self.clock() if now is None else now)
        with self._reading() as db:
            total = db.execute(
                "SELECT COALESCE(SUM(amount_minor), 0) FROM payments WHERE day = ? AND currency = ?"
                " AND status IN ('pending', 'done')",
                (day, currency),
            ).fetchone()[0]
        return from_minor(total, currency)

    def balance(self, currency: str) -> Decimal:
        with self._reading() as db:
            row = db.execute("SELECT balance_minor FROM wallet WHERE currency = ?", (currency,)).fetchone()
        return from_minor(row[0] if row else 0, currency)

    # -- food --------------------------------------------------------------------------

    def restaurants(self) -> list[Restaurant]:
        with self._reading() as db:
            rows = db.execute("SELECT * FROM restaurants ORDER BY usual DESC, name").fetchall()
        return [Restaurant(r["restaurant_id"], r["name"], r["name_zh"], bool(r["usual"]), r["delivery_min"]) for r in rows]

    def menu(self, restaurant_id: str) -> list[MenuItem]:
        with self._reading() as db:
            rows = db.execute(
                "SELECT * FROM menu WHERE restaurant_id = ? ORDER BY item_id, price_minor", (restaurant_id,)
            ).fetchall()
        return [
            MenuItem(r["item_id"], r["name"], r["name_zh"], r["size"], from_minor(r["price_minor"], r["currency"]), r["currency"])
            for r in rows
        ]

    def place_order(self, key, restaurant_id, items, total, currency) -> Order:
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO orders VALUES (?,?,?,?,?,?,'placed',?)",
                ("o-" + uuid.uuid4().hex[:10], key, restaurant_id, json.dumps(items), self._minor(total, currency), currency,
                 self.clock()),
            )  # fmt: skip
            row = db.execute("SELECT * FROM orders WHERE key = ?", (key,)).fetchone()
        return self._order(row)

    @staticmethod
    def _order(row) -> Order:
        return Order(row["order_id"], row["key"], row["restaurant_id"], json.loads(row["items"]),
                     from_minor(row["total_minor"], row["currency"]), row["currency"], row["status"], row["placed_at"])  # fmt: skip

    def order_status(self, order_id: str, now: float | None = None) -> str:
        with self._reading() as db:
            row = db.execute(
                "SELECT o.status, o.placed_at, r.delivery_min FROM orders o JOIN restaurants r USING (restaurant_id)"
                " WHERE order_id = ?",
                (order_id,),
            ).fetchone()
        if row is None:
            raise BackendError("unknown_order", order_id)
        if row["status"] == "cancelled":
            return "cancelled"
        minutes = ((self.clock() if now is None else now) - row["placed_at"]) * self.speed / 60.0
        for status, until in FOOD_STEPS:
            if minutes < until:
                return status
        return "on_the_way" if minutes < row["delivery_min"] else "delivered"

    def cancel_order(self, order_id: str) -> str:
        status = self.order_status(order_id)
        if status in ("confirmed", "placed"):
            with self._tx() as db:
                db.execute("UPDATE orders SET status = 'cancelled' WHERE order_id = ?", (order_id,))
            return "cancelled"
        return status

    def order(self, order_id: str) -> Order | None:
        with self._reading() as db:
            row = db.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
        return self._order(row) if row else None

    # -- reminders ---------------------------------------------------------------------

    def add_reminder(self, due: float, task: str, lang: str) -> int:
        with self._tx() as db:
            return db.execute("INSERT INTO reminders (due, task, lang) VALUES (?,?,?)", (due, task, lang)).lastrowid

    def due_reminders(self, now: float) -> list[dict]:
        """Reminders due at ``now`` (agent clock), marked fired so each fires once, even across restarts."""
        with self._tx() as db:
            rows = db.execute("SELECT * FROM reminders WHERE fired = 0 AND due <= ? ORDER BY due", (now,)).fetchall()
            db.executemany("UPDATE reminders SET fired = 1 WHERE id = ?", [(r["id"],) for r in rows])
        return [{"id": r["id"], "due": r["due"], "task": r["task"], "lang": r["lang"]} for r in rows]

    # -- rides -------------------------------------------------------------------------

    def place(self, name: str) -> tuple[str, float] | None:
        """(canonical name, distance km) of a known place, English or Chinese, fuzzy."""
        with self._reading() as db:
            rows = db.execute("SELECT * FROM places").fetchall()
        choices = {}
        for r in rows:
            choices[(r["name"], "en")] = r["name"]
            choices[(r["name"], "zh")] = r["name_zh"]
        best = process.extractOne(name.lower().strip(), choices, scorer=fuzz.WRatio, score_cutoff=80)
        if best is None:
            return None
        canonical = best[2][0]
        return canonical, next(r["distance_km"] for r in rows if r["name"] == canonical)

    def quote(self, destination: str, pickup: str = "", ride_class: str = "standard") -> RideQuote:
        found = self.place(destination)
        if found is None:
            raise BackendError("unknown_place", destination)
        name, km = found
        base, per_km = RIDE_CLASSES.get(ride_class, RIDE_CLASSES["standard"])
        fare = from_minor(round_minor(base + per_km * Decimal(str(km)), "CNY"), "CNY")  # rounded once, half up
        trip_min = max(3, int(round(km * 1.6)))  # city average, about 37 km/h
        eta = 4 if ride_class == "standard" else 7
        return RideQuote(pickup or self.default_pickup, name, ride_class, fare, "CNY", eta, trip_min)

    def book(self, key: str, quote: RideQuote) -> Ride:
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO rides VALUES (?,?,?,?,?,?,?,?,?,'booked',?)",
                ("t-" + uuid.uuid4().hex[:10], key, quote.pickup, quote.destination, quote.ride_class,
                 self._minor(quote.fare, quote.currency), quote.currency, quote.pickup_eta_min, quote.trip_min, self.clock()),
            )  # fmt: skip
            row = db.execute("SELECT * FROM rides WHERE key = ?", (key,)).fetchone()
        return self._ride(row)

    @staticmethod
    def _ride(row) -> Ride:
        q = RideQuote(row["pickup"], row["destination"], row["ride_class"], from_minor(row["fare_minor"], row["currency"]),
                      row["currency"], row["pickup_eta_min"], row["trip_min"])  # fmt: skip
        return Ride(row["ride_id"], row["key"], q, row["status"], row["booked_at"])

    def ride_status(self, ride_id: str, now: float | None = None) -> str:
        with self._reading() as db:
            row = db.execute("SELECT * FROM rides WHERE ride_id = ?", (ride_id,)).fetchone()
        if row is None:
            raise BackendError("unknown_ride", ride_id)
        if row["status"] == "cancelled":
            return "cancelled"
        minutes = ((self.clock() if now is None else now) - row["booked_at"]) * self.speed / 60.0
        if minutes < row["pickup_eta_min"]:
            return "driver_on_the_way"
        if minutes < row["pickup_eta_min"] + 1:
            return "driver_arrived"
        if minutes < row["pickup_eta_min"] + 1 + row["trip_min"]:
            return "on_trip"
        return "completed"

    def cancel_ride(self, ride_id: str) -> str:
        status = self.ride_status(ride_id)
        if status in ("driver_on_the_way", "driver_arrived"):
            with self._tx() as db:
                db.execute("UPDATE rides SET status = 'cancelled' WHERE ride_id = ?", (ride_id,))
            return "cancelled"
        return status

    def ride(self, ride_id: str) -> Ride | None:
        with self._reading() as db:
            row = db.execute("SELECT * FROM rides WHERE ride_id = ?", (ride_id,)).fetchone()
        return self._ride(row) if row else None


def _db_error(exc: sqlite3.Error) -> BackendError:
    """A locked or failing database as a countable back-end error (the caller shows a card)."""
    text = str(exc).lower()
    busy = isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)
    return BackendError("database_busy" if busy else "database_error", f"{type(exc).__name__}: {exc}"[:120])


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT under the sandbox lock; rollback on any exception.

    The lock is released however the transaction ends, also when BEGIN itself fails
    (a database write-locked by another process), and SQLite errors leave as
    BackendError("database_busy" / "database_error")."""

    def __init__(self, sandbox: SqliteSandbox):
        self.sandbox = sandbox

    def __enter__(self) -> sqlite3.Connection:
        self.sandbox._lock.acquire()
        try:
            self.sandbox.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self.sandbox._lock.release()
            raise _db_error(exc) from None
        except BaseException:
            self.sandbox._lock.release()
            raise
        return self.sandbox.db

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            try:
                self.sandbox.db.execute("ROLLBACK" if exc_type else "COMMIT")
            except sqlite3.Error as failed:
                if exc_type is None:  # COMMIT failed: nothing was written
                    try:
                        self.sandbox.db.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                    raise _db_error(failed) from None
        finally:
            self.sandbox._lock.release()
        if exc_type is not None and issubclass(exc_type, sqlite3.Error):
            raise _db_error(exc) from None


class _Reading:
    """A read under the sandbox lock; SQLite errors leave as BackendError."""

    def __init__(self, sandbox: SqliteSandbox):
        self.sandbox = sandbox

    def __enter__(self) -> sqlite3.Connection:
        self.sandbox._lock.acquire()
        return self.sandbox.db

    def __exit__(self, exc_type, exc, tb) -> None:
        self.sandbox._lock.release()
        if exc_type is not None and issubclass(exc_type, sqlite3.Error):
            raise _db_error(exc) from None
