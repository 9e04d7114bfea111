"""Phone link: the glasses pair with a phone for calls and messages (no rclpy).

``PhoneLink`` is the interface a real link (e.g. HFP/MAP over Bluetooth, or the
companion app) implements. ``SandboxPhone`` is the one the sim rig uses: contacts,
a call log and sent messages in the agent's SQLite file; an outgoing call is answered
by the far end after ``answer_after_s``; an incoming call can be scheduled (the sim
rig's parameter) and rings until answered, declined or ``ring_timeout_s`` (missed).
Sending is idempotent on the message key, so a repeated confirmation sends once.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from rapidfuzz import fuzz, process

from glasses_agent.backends.base import BackendError

SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (name TEXT PRIMARY KEY, name_zh TEXT NOT NULL DEFAULT '', number TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS calls (id INTEGER PRIMARY KEY AUTOINCREMENT, contact TEXT NOT NULL, direction TEXT NOT NULL
    CHECK (direction IN ('in', 'out')), state TEXT NOT NULL, created REAL NOT NULL, answered REAL, ended REAL);
CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE NOT NULL, contact TEXT NOT NULL,
    text TEXT NOT NULL, sent_at REAL NOT NULL);
"""
CONTACTS = [("Anna", "安娜", "+358 40 555 0101", "anna"), ("Mom", "妈妈", "+86 138 0000 0001", "mum|mother|mama|妈|老妈"),
            ("Li Wei", "李伟", "+86 139 0000 0002", "wei|小李")]  # fmt: skip


class PhoneError(BackendError):
    """The phone link refused a request (no such call, not ringing, empty message)."""


@dataclass
class Call:
    call_id: int
    contact: str
    direction: str  # in, out
    state: str  # ringing, dialing, active, ended, declined, missed
    created: float
    answered: float | None = None
    ended: float | None = None

    def duration_s(self, now: float) -> float:
        if self.answered is None:
            return 0.0
        return max(0.0, (self.ended or now) - self.answered)


class PhoneLink(Protocol):
    def find_contact(self, name: str) -> str | None: ...
    def dial(self, contact: str, now: float) -> Call: ...
    def answer(self, call_id: int, now: float) -> Call: ...
    def hang_up(self, call_id: int, now: float) -> Call: ...
    def poll(self, now: float) -> list[Call]: ...
    def send_message(self, key: str, contact: str, text: str, now: float) -> int: ...


class SandboxPhone:
    def __init__(self, path: str | Path, answer_after_s: float = 2.0, ring_timeout_s: float = 30.0):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.answer_after_s, self.ring_timeout_s = answer_after_s, ring_timeout_s
        self._incoming: list[tuple[float, str]] = []
        with self._lock, self.db:
            self.db.executescript(SCHEMA)
            if self.db.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 0:
                self.db.executemany("INSERT INTO contacts VALUES (?,?,?,?)", CONTACTS)

    def close(self) -> None:
        self.db.close()

    # -- contacts -----------------------------------------------------------------------

    def find_contact(self, name: str) -> str | None:
        with self._lock:
            rows = self.db.execute("SELECT * FROM contacts").fetchall()
        choices = {}
        for r in rows:
            for n in [r["name"], r["name_zh"], *r["aliases"].split("|")]:
                if n:
                    choices[(r["name"], n)] = n.lower()
        best = process.extractOne(name.strip().lower(), choices, scorer=fuzz.ratio, score_cutoff=80)
        return best[2][0] if best else None

    def display_name(self, contact: str, lang: str) -> str:
        with self._lock:
            row = self.db.execute("SELECT name_zh FROM contacts WHERE name = ?", (contact,)).fetchone()
        return row["name_zh"] if lang == "zh" and row and row["name_zh"] else contact

    # -- calls --------------------------------------------------------------------------

    def _call(self, call_id: int) -> Call:
        with self._lock:
            r = self.db.execute("SELECT * FROM calls WHERE id = ?", (call_id,)).fetchone()
        if r is None:
            raise PhoneError("no_call", str(call_id))
        return Call(r["id"], r["contact"], r["direction"], r["state"], r["created"], r["answered"], r["ended"])

    def _set(self, call_id: int, **values) -> Call:
        cols = ", ".join(f"{k} = ?" for k in values)
        with self._lock, self.db:
            self.db.execute(f"UPDATE calls SET {cols} WHERE id = ?", (*values.values(), call_id))
        return self._call(call_id)

    def dial(self, contact: str, now: float) -> Call:
        with self._lock, self.db:
            call_id = self.db.execute("INSERT INTO calls (contact, direction, state, created) VALUES (?,?,?,?)",
                                      (contact, "out", "dialing", now)).lastrowid  # fmt: skip
        return self._call(call_id)

    def ring_at(self, contact: str, at: float) -> None:
        """Sandbox: an incoming call from ``contact`` starts ringing at ``at``."""
        self._incoming.append((at, contact))

    def answer(self, call_id: int, now: float) -> Call:
        call = self._call(call_id)
        if call.state != "ringing":
            raise PhoneError("not_ringing", call.state)
        return self._set(call_id, state="active", answered=now)

    def decline(self, call_id: int, now: float) -> Call:
        call = self._call(call_id)
        if call.state != "ringing":
            raise PhoneError("not_ringing", call.state)
        return self._set(call_id, state="declined", ended=now)

    def hang_up(self, call_id: int, now: float) -> Call:
        call = self._call(call_id)
        if call.state not in ("active", "dialing"):
            raise PhoneError("no_active_call", call.state)
        return self._set(call_id, state="ended", ended=now)

    def poll(self, now: float) -> list[Call]:
        """Calls whose state the far end changed: incoming ones start ringing, outgoing ones are answered,
        unanswered rings become missed."""
        changed = []
        for at, contact in [x for x in self._incoming if x[0] <= now]:
            self._incoming.remove((at, contact))
            with self._lock, self.db:
                call_id = self.db.execute("INSERT INTO calls (contact, direction, state, created) VALUES (?,?,?,?)",
                                          (contact, "in", "ringing", now)).lastrowid  # fmt: skip
            changed.append(self._call(call_id))
        with self._lock:
            rows = self.db.execute("SELECT id, state, created FROM calls WHERE state IN ('dialing', 'ringing')").fetchall()
        for r in rows:
            if r["state"] == "dialing" and now - r["created"] >= self.answer_after_s:
                changed.append(self._set(r["id"], state="active", answered=now))
            elif r["state"] == "ringing" and now - r["created"] >= self.ring_timeout_s:
                changed.append(self._set(r["id"], state="missed", ended=now))
        return changed

    # -- messages -----------------------------------------------------------------------

    def send_message(self, key: str, contact: str, text: str, now: float) -> int:
        if not text.strip():
            raise PhoneError("empty_message")
        with self._lock, self.db:
            self.db.execute("INSERT OR IGNORE INTO messages (key, contact, text, sent_at) VALUES (?,?,?,?)",
                            (key, contact, text, now))  # fmt: skip
            return self.db.execute("SELECT id FROM messages WHERE key = ?", (key,)).fetchone()[0]

    def sent(self) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self.db.execute("SELECT * FROM messages ORDER BY id")]
