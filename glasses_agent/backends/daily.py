"""Alarms, calendar, trips (flights and trains) and weather: interfaces and the SQLite sandbox (no rclpy).

``DailyStore`` keeps alarms and calendar entries in the agent's SQLite file (tables
of their own; WAL, synchronous=FULL), so an alarm set before a restart rings after
it, once. ``TripService`` / ``WeatherService`` are the interfaces a real provider
implements; the sandbox ones are deterministic: the trips seeded once (a flight and
a train, departures relative to the first start) change status with the sandbox
clock (a delay announced, a gate change, boarding, departed), and the weather is a
seeded function of city and date, marked ``source="sandbox"``.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

SCHEMA = """
CREATE TABLE IF NOT EXISTS alarms (id INTEGER PRIMARY KEY AUTOINCREMENT, due REAL NOT NULL, label TEXT NOT NULL,
    lang TEXT NOT NULL, fired INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS calendar (id INTEGER PRIMARY KEY AUTOINCREMENT, start REAL NOT NULL, title TEXT NOT NULL,
    place TEXT NOT NULL DEFAULT '', lang TEXT NOT NULL DEFAULT 'en');
CREATE TABLE IF NOT EXISTS trips (id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('flight', 'train')),
    number TEXT NOT NULL, origin TEXT NOT NULL, destination TEXT NOT NULL, destination_zh TEXT NOT NULL,
    departs REAL NOT NULL, gate TEXT NOT NULL, new_gate TEXT NOT NULL DEFAULT '', delay_min INTEGER NOT NULL DEFAULT 0,
    delay_known_at REAL NOT NULL DEFAULT 0, told TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS sandbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

WEATHER = [("clear", "晴"), ("partly cloudy", "多云"), ("cloudy", "阴"), ("light rain", "小雨"), ("rain", "雨"),
           ("snow", "雪"), ("fog", "雾")]  # fmt: skip


@dataclass
class Trip:
    trip_id: str
    kind: str
    number: str
    origin: str
    destination: str
    destination_zh: str
    departs: float  # scheduled, epoch s
    gate: str
    delay_min: int
    status: str  # scheduled, delayed, boarding, departed
    told: str = ""

    @property
    def expected(self) -> float:
        return self.departs + 60.0 * self.delay_min


@dataclass
class Forecast:
    city: str
    day: str  # YYYY-MM-DD
    condition: str
    condition_zh: str
    high_c: int
    low_c: int
    source: str


class TripService(Protocol):
    def trips(self, now: float) -> list[Trip]: ...


class WeatherService(Protocol):
    def forecast(self, city: str, when: float) -> Forecast: ...


class DailyStore:
    """Alarms, calendar and the trip sandbox in one SQLite file."""

    def __init__(self, path: str | Path, seed_trips: bool = True, now: float | None = None):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        with self._lock, self.db:
            self.db.executescript(SCHEMA)
        if seed_trips:
            self._seed_trips(now if now is not None else datetime.now().timestamp())

    def close(self) -> None:
        self.db.close()

    # -- alarms -------------------------------------------------------------------------

    def add_alarm(self, due: float, label: str, lang: str, now: float) -> int:
        with self._lock, self.db:
            return self.db.execute("INSERT INTO alarms (due, label, lang, created) VALUES (?,?,?,?)",
                                   (due, label, lang, now)).lastrowid  # fmt: skip

    def due_alarms(self, now: float) -> list[dict]:
        """Alarms due at ``now``, marked fired in the same transaction: each rings once, across restarts."""
        with self._lock, self.db:
            rows = self.db.execute("SELECT * FROM alarms WHERE fired = 0 AND due <= ? ORDER BY due", (now,)).fetchall()
            self.db.executemany("UPDATE alarms SET fired = 1 WHERE id = ?", [(r["id"],) for r in rows])
        return [dict(r) for r in rows]

    def pending_alarms(self) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self.db.execute("SELECT * FROM alarms WHERE fired = 0 ORDER BY due")]

    # -- calendar -----------------------------------------------------------------------

    def add_event(self, start: float, title: str, place: str = "", lang: str = "en") -> int:
        with self._lock, self.db:
            return self.db.execute("INSERT INTO calendar (start, title, place, lang) VALUES (?,?,?,?)",
                                   (start, title, place, lang)).lastrowid  # fmt: skip

    def events_between(self, t0: float, t1: float) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self.db.execute("SELECT * FROM calendar WHERE start >= ? AND start < ? ORDER BY start",
                                                     (t0, t1))]  # fmt: skip

    # -- trips (sandbox) ----------------------------------------------------------------

    def _seed_trips(self, now: float) -> None:
        with self._lock, self.db:
            if self.db.execute("SELECT value FROM sandbox_meta WHERE key = 'trips_seeded'").fetchone():
                return
            self.db.execute("INSERT INTO sandbox_meta VALUES ('trips_seeded', ?)", (str(now),))
            self.db.executemany("INSERT OR IGNORE INTO trips (id, kind, number, origin, destination, destination_zh, "
                                "departs, gate, new_gate, delay_min, delay_known_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", [
                ("trip-flight", "flight", "AY 57", "Helsinki", "Shanghai", "上海", now + 5 * 3600, "32", "35", 25,
                 now + 1800),
                ("trip-train", "train", "IC 27", "Helsinki", "Tampere", "坦佩雷", now + 3 * 3600, "7", "", 0, 0),
            ])  # fmt: skip

    def trips(self, now: float) -> list[Trip]:
        """The wearer's trips with their status at ``now`` (sandbox clock)."""
        with self._lock:
            rows = self.db.execute("SELECT * FROM trips ORDER BY departs").fetchall()
        out = []
        for r in rows:
            delay = r["delay_min"] if r["delay_known_at"] and now >= r["delay_known_at"] else 0
            gate = r["new_gate"] if r["new_gate"] and r["delay_known_at"] and now >= r["delay_known_at"] else r["gate"]
            expected = r["departs"] + 60 * delay
            if now >= expected:
                status = "departed"
            elif now >= expected - (1800 if r["kind"] == "flight" else 600):
                status = "boarding"
            else:
                status = "delayed" if delay else "scheduled"
            out.append(Trip(r["id"], r["kind"], r["number"], r["origin"], r["destination"], r["destination_zh"],
                            r["departs"], gate, delay, status, r["told"]))  # fmt: skip
        return out

    def mark_told(self, trip_id: str, told: str) -> None:
        with self._lock, self.db:
            self.db.execute("UPDATE trips SET told = ? WHERE id = ?", (told, trip_id))


class SandboxWeather:
    """Deterministic weather per city and day (a seeded pick), labelled as the sandbox."""

    def forecast(self, city: str, when: float) -> Forecast:
        day = datetime.fromtimestamp(when).strftime("%Y-%m-%d")
        h = int(hashlib.sha256(f"{city.lower()}|{day}".encode()).hexdigest(), 16)
        month = int(day[5:7])
        base = {12: -3, 1: -5, 2: -5, 3: 0, 4: 6, 5: 12, 6: 17, 7: 20, 8: 18, 9: 12, 10: 6, 11: 1}[month]
        condition, condition_zh = WEATHER[h % len(WEATHER)]
        if condition == "snow" and base > 3:
            condition, condition_zh = WEATHER[4]
        high = base + (h >> 8) % 6
        return Forecast(city, day, condition, condition_zh, high, high - 3 - (h >> 16) % 5, "sandbox")
