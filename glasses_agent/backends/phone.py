"""Phone link: the glasses pair with a phone for calls and messages (no rclpy).

``PhoneLink`` is the interface a real link (e.g. HFP/MAP over Bluetooth, or the
companion app) implements. ``SandboxPhone`` is the one the sim rig uses: contacts,
a call log and sent messages in the agent's SQLite file; an outgoing call is answered
by the far end after ``answer_after_s``; an incoming call can be scheduled (the sim
rig's parameter) and rings until answered, declined or ``ring_timeout_s`` (missed).
Sending is idempotent on the message key, so a repeated confirmation sends once.

Call audio: while a call is up, the glasses send the wearer's microphone audio up the link
(``send_audio``) and play what the far end says (``receive_audio``). The sandbox keeps
the uplink it receives per call (written as a WAV file when the call ends, if a folder is
given) and plays a far-end voice: a loaded clip, or a generated speech-band signal
(``far_end_voice``) looped for as long as the call lasts. Neither works on a call that
is not active: nothing is carried before the answer or after the hang-up.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
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


CALL_AUDIO_RATE = 16000  # wideband voice (HFP mSBC), the microphone's rate


def far_end_voice(seconds: float = 3.0, rate: int = CALL_AUDIO_RATE, seed: int = 2026) -> np.ndarray:
    """The sandbox's far-end voice: speech-band (300-3400 Hz) noise in 4 Hz syllables, peak 0.3."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    spectrum[(freqs < 300) | (freqs > 3400)] = 0
    x = np.fft.irfft(spectrum, n)
    t = np.arange(n) / rate
    x *= np.clip(np.sin(2 * np.pi * 4.0 * t), 0.0, None)  # syllables with pauses between them
    return (0.3 * x / np.max(np.abs(x))).astype(np.float32)


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
    def send_audio(self, call_id: int, samples: np.ndarray) -> None: ...
    def receive_audio(self, call_id: int, frames: int) -> np.ndarray: ...


class SandboxPhone:
    def __init__(self, path: str | Path, answer_after_s: float = 2.0, ring_timeout_s: float = 30.0,
                 downlink_clip: np.ndarray | None = None, recordings_dir: str | Path | None = None):  # fmt: skip
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.answer_after_s, self.ring_timeout_s = answer_after_s, ring_timeout_s
        self._incoming: list[tuple[float, str]] = []
        # call audio (float32 mono at CALL_AUDIO_RATE): the far end's voice, what came up the link
        self.downlink_clip = far_end_voice() if downlink_clip is None else np.asarray(downlink_clip, np.float32)
        self.recordings_dir = Path(recordings_dir) if recordings_dir else None
        self._active: set[int] = set()
        self._uplink: dict[int, list[np.ndarray]] = {}
        self._downlink_pos: dict[int, int] = {}
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
        if values.get("state") == "active":
            self._active.add(call_id)
        elif call_id in self._active:  # the call is over: its audio stops, the sandbox keeps the uplink
            self._active.discard(call_id)
            self._save_uplink(call_id)
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

    # -- call audio ---------------------------------------------------------------------

    def send_audio(self, call_id: int, samples: np.ndarray) -> None:
        """Uplink: the wearer's voice (float32 mono at CALL_AUDIO_RATE) to the far end of an active call."""
        if call_id not in self._active:
            raise PhoneError("no_active_call", str(call_id))
        self._uplink.setdefault(call_id, []).append(np.asarray(samples, np.float32).reshape(-1).copy())

    def receive_audio(self, call_id: int, frames: int) -> np.ndarray:
        """Downlink: the next ``frames`` samples of what the far end of an active call says."""
        if call_id not in self._active:
            raise PhoneError("no_active_call", str(call_id))
        clip, pos = self.downlink_clip, self._downlink_pos.get(call_id, 0)
        out = np.take(clip, np.arange(pos, pos + frames), mode="wrap") if clip.size else np.zeros(frames, np.float32)
        self._downlink_pos[call_id] = (pos + frames) % max(1, clip.size)
        return out

    def uplink(self, call_id: int) -> np.ndarray:
        """Everything the far end of call ``call_id`` received."""
        parts = self._uplink.get(call_id, [])
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def _save_uplink(self, call_id: int) -> None:
        if self.recordings_dir is None:
            return
        import soundfile as sf

        self.recordings_dir.mkdir(parents=True, exist_ok=True)
        sf.write(str(self.recordings_dir / f"call_{call_id}_uplink.wav"), self.uplink(call_id), CALL_AUDIO_RATE,
                 subtype="FLOAT")  # fmt: skip

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
