"""Meeting notes: transcript segments in SQLite as they come, summaries, Markdown export.

``NotesStore`` keeps meetings and their segments in one SQLite file in WAL mode and
commits every segment on its own (``synchronous=FULL``), so a stack killed in the
middle of a meeting loses at most the segment still being decoded; a meeting left
open by a crash is closed on the next start (``close_dangling``).

Summaries: ``summarize_extractive`` works offline (sentence scoring: keyword cues for
decisions and action items in English and Chinese, plus word frequency for the
overview); ``LlmSummarizer`` asks an OpenAI-compatible endpoint and falls back to the
extractive summary on any failure, saying which one was used.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from glasses_agent import secure_http
from glasses_agent.llm import LlmError, chat_completion, message_text


@dataclass
class Segment:
    meeting_id: int
    t_start: float
    t_end: float
    speaker: str  # wearer, other, unknown
    text: str
    lang: str = "en"
    segment_id: int = 0


@dataclass
class Meeting:
    meeting_id: int
    started: float  # epoch seconds
    ended: float | None
    title: str
    lang: str
    segments: int = 0


@dataclass
class Summary:
    overview: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    action_items: list[str] = field(default_factory=list)
    backend: str = "extractive"  # extractive or llm

    def to_json(self) -> str:
        return json.dumps({"overview": self.overview, "decisions": self.decisions,
                           "action_items": self.action_items, "backend": self.backend}, ensure_ascii=False)  # fmt: skip

    @classmethod
    def from_json(cls, text: str) -> Summary:
        doc = json.loads(text)
        return cls(list(doc.get("overview", [])), list(doc.get("decisions", [])), list(doc.get("action_items", [])),
                   str(doc.get("backend", "extractive")))  # fmt: skip


class NotesError(ValueError):
    """A notes request that cannot be served (unknown meeting, bad file)."""


SCHEMA = """
CREATE TABLE IF NOT EXISTS meetings (
    meeting_id INTEGER PRIMARY KEY AUTOINCREMENT,
    started REAL NOT NULL, ended REAL, title TEXT NOT NULL DEFAULT '', lang TEXT NOT NULL DEFAULT 'en');
CREATE TABLE IF NOT EXISTS segments (
    segment_id INTEGER PRIMARY KEY AUTOINCREMENT,
    meeting_id INTEGER NOT NULL REFERENCES meetings(meeting_id),
    t_start REAL NOT NULL, t_end REAL NOT NULL, speaker TEXT NOT NULL, text TEXT NOT NULL, lang TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS segments_by_meeting ON segments(meeting_id, t_start);
CREATE TABLE IF NOT EXISTS summaries (
    meeting_id INTEGER PRIMARY KEY REFERENCES meetings(meeting_id), made REAL NOT NULL, summary TEXT NOT NULL);
"""


def default_notes_path() -> Path:
    return Path.home() / ".local" / "share" / "glasses_stack" / "notes.sqlite"


class NotesStore:
    """Meetings and transcript segments; every write is its own committed transaction."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_notes_path()
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # the node writes from its executor and reads from the CLI thread
        try:
            self.db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise NotesError(f"notes database {self.path}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def start_meeting(self, lang: str = "en", title: str = "", started: float | None = None) -> int:
        started = time.time() if started is None else started
        title = title or time.strftime("Meeting %Y-%m-%d %H:%M", time.localtime(started))
        with self._lock:
            cur = self.db.execute("INSERT INTO meetings (started, title, lang) VALUES (?, ?, ?)", (started, title, lang))
            return int(cur.lastrowid)

    def add_segment(self, segment: Segment) -> int:
        if not segment.text.strip():
            raise NotesError("empty segment")
        try:
            with self._lock:
                cur = self.db.execute(
                    "INSERT INTO segments (meeting_id, t_start, t_end, speaker, text, lang) VALUES (?, ?, ?, ?, ?, ?)",
                    (segment.meeting_id, segment.t_start, segment.t_end, segment.speaker, segment.text.strip(),
                     segment.lang),
                )
                return int(cur.lastrowid)
        except sqlite3.Error as exc:  # disk full, file gone: the caller reports it, the stack keeps running
            raise NotesError(f"segment not stored: {exc}") from None

    def end_meeting(self, meeting_id: int, ended: float | None = None) -> None:
        with self._lock:
            self.db.execute("UPDATE meetings SET ended = ? WHERE meeting_id = ? AND ended IS NULL",
                            (time.time() if ended is None else ended, meeting_id))  # fmt: skip

    def close_dangling(self) -> list[int]:
        """Meetings left open by a crash: closed at their last segment (or start). Returns their ids."""
        with self._lock:
            rows = self.db.execute("SELECT meeting_id, started FROM meetings WHERE ended IS NULL").fetchall()
        closed = []
        for meeting_id, started in rows:
            last = self.db.execute("SELECT MAX(t_end) FROM segments WHERE meeting_id = ?", (meeting_id,)).fetchone()[0]
            self.end_meeting(meeting_id, max(started, last or started))
            closed.append(meeting_id)
        return closed

    def meetings(self) -> list[Meeting]:
        with self._lock:
            rows = self.db.execute(
                "SELECT m.meeting_id, m.started, m.ended, m.title, m.lang, COUNT(s.segment_id) FROM meetings m "
                "LEFT JOIN segments s ON s.meeting_id = m.meeting_id GROUP BY m.meeting_id ORDER BY m.meeting_id"
            ).fetchall()
        return [Meeting(*row) for row in rows]

    def meeting(self, meeting_id: int | None = None) -> Meeting:
        """One meeting; ``None`` = the latest. NotesError when there is none."""
        found = self.meetings()
        if meeting_id is None:
            if not found:
                raise NotesError("no meetings recorded")
            return found[-1]
        for m in found:
            if m.meeting_id == meeting_id:
                return m
        raise NotesError(f"no meeting {meeting_id}")

    def segments(self, meeting_id: int) -> list[Segment]:
        with self._lock:
            rows = self.db.execute(
                "SELECT meeting_id, t_start, t_end, speaker, text, lang, segment_id FROM segments "
                "WHERE meeting_id = ? ORDER BY t_start, segment_id", (meeting_id,)).fetchall()  # fmt: skip
        return [Segment(*row) for row in rows]

    def save_summary(self, meeting_id: int, summary: Summary) -> None:
        with self._lock:
            self.db.execute("INSERT OR REPLACE INTO summaries (meeting_id, made, summary) VALUES (?, ?, ?)",
                            (meeting_id, time.time(), summary.to_json()))  # fmt: skip

    def summary(self, meeting_id: int) -> Summary | None:
        with self._lock:
            row = self.db.execute("SELECT summary FROM summaries WHERE meeting_id = ?", (meeting_id,)).fetchone()
        return Summary.from_json(row[0]) if row else None


# --- summaries ---------------------------------------------------------------------

DECISION_CUES = ("we decided", "decided to", "we agreed", "agreed to", "decision", "let's go with", "we will go with",
                 "决定", "同意", "定下来", "确定")  # fmt: skip
ACTION_CUES = ("action:", "action item", "todo", "to do:", " will ", "i'll", "we'll", "needs to", "by friday",
               "by monday", "by tomorrow", "deadline", "负责", "跟进", "之前完成", "下周", "明天之前", "要做")  # fmt: skip
STOPWORDS = frozenset("a an the and or but so to of in on at for with is are was were be been it this that we i you "
                      "they he she our your will would can could should do does did have has had not no yes ok okay "
                      "um uh just like then there here what which who from by as about".split())  # fmt: skip
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")


def sentences(segments: list[Segment]) -> list[tuple[str, Segment]]:
    out = []
    for seg in segments:
        for part in _SENTENCE.split(seg.text):
            part = part.strip()
            if len(part) >= 3:
                out.append((part, seg))
    return out


def _words(text: str) -> list[str]:
    lowered = text.lower()
    words = [w for w in re.findall(r"[a-z0-9']+", lowered) if w not in STOPWORDS and len(w) > 2]
    # Chinese has no spaces: character bigrams stand in for words
    han = "".join(c for c in lowered if "\u4e00" <= c <= "\u9fff")
    return words + [han[i : i + 2] for i in range(len(han) - 1)]


def _has_cue(text: str, cues: tuple[str, ...]) -> bool:
    padded = f" {text.lower()} "
    return any(cue in padded for cue in cues)


def summarize_extractive(segments: list[Segment], max_overview: int = 3) -> Summary:
    """Offline summary: cue sentences become decisions / action items; the overview is the
    highest-scoring other sentences (sum of word frequencies over the meeting, length-normalised)."""
    found = sentences(segments)
    decisions, actions, rest = [], [], []
    for text, seg in found:
        if _has_cue(text, DECISION_CUES):
            decisions.append(text)
        elif _has_cue(text, ACTION_CUES):
            who = "" if seg.speaker == "unknown" else f"[{seg.speaker}] "
            actions.append(who + text)
        else:
            rest.append(text)
    freq = Counter(w for text, _ in found for w in _words(text))

    def score(text: str) -> float:
        words = _words(text)
        return sum(freq[w] for w in words) / (1.0 + len(words)) ** 0.5 if words else 0.0

    ranked = sorted(range(len(rest)), key=lambda i: -score(rest[i]))[:max_overview]
    return Summary([rest[i] for i in sorted(ranked)], decisions, actions, "extractive")


SUMMARY_PROMPT = (
    "You summarise meeting transcripts for smart glasses. Answer with JSON only: "
    '{"overview": [up to 3 short sentences], "decisions": [...], "action_items": ["who: what (when)", ...]}. '
    "Write in the language of the transcript."
)


class LlmSummarizer:
    """Summary from an OpenAI-compatible endpoint; the extractive one when it fails."""

    def __init__(self, base_url: str, model: str, api_key_env: str = "GLASSES_LLM_API_KEY", timeout_s: float = 20.0):
        self.url = secure_http.require_secure_url(base_url.rstrip("/") + "/chat/completions", "llm_url")
        self.model = model
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self.last_error = ""

    def __call__(self, segments: list[Segment]) -> Summary:
        transcript = "\n".join(f"[{s.speaker}] {s.text}" for s in segments)[-24000:]
        body = {"model": self.model, "temperature": 0,
                "messages": [{"role": "system", "content": SUMMARY_PROMPT}, {"role": "user", "content": transcript}]}  # fmt: skip
        try:
            text = message_text(chat_completion(self.url, body, self.api_key_env, self.timeout_s))
            doc = json.loads(text[text.find("{") : text.rfind("}") + 1])
            lists = [[str(x) for x in doc.get(k) or [] if str(x).strip()] for k in ("overview", "decisions", "action_items")]
            self.last_error = ""
            return Summary(*lists, backend="llm")
        except LlmError as exc:
            self.last_error = exc.reason
        except (ValueError, AttributeError, TypeError):
            self.last_error = "bad_summary"
        return summarize_extractive(segments)


# --- export ------------------------------------------------------------------------


def _clock(t: float, start: float) -> str:
    s = max(0, int(round(t - start)))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def export_markdown(meeting: Meeting, segments: list[Segment], summary: Summary | None = None) -> str:
    """The meeting as Markdown: title, times, summary (when made), timestamped transcript by speaker."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(meeting.started))
    out = [f"# {meeting.title}", "", f"- started: {when}", f"- segments: {len(segments)}"]
    if meeting.ended is not None:
        out.append(f"- duration: {_clock(meeting.ended, meeting.started)}")
    if summary is not None:
        out += ["", f"## Summary ({summary.backend})", ""] + [f"- {x}" for x in summary.overview]
        out += ["", "## Decisions", ""] + ([f"- {x}" for x in summary.decisions] or ["- (none found)"])
        out += ["", "## Action items", ""] + ([f"- [ ] {x}" for x in summary.action_items] or ["- (none found)"])
    out += ["", "## Transcript", ""]
    origin = segments[0].t_start if segments else 0.0
    for seg in segments:
        out.append(f"- `{_clock(seg.t_start, origin)}` **{seg.speaker}**: {seg.text}")
    return "\n".join(out) + "\n"


def script_from_markdown(text: str) -> list[str]:
    """Teleprompter lines from a notes export (the transcript lines) or any Markdown/plain text."""
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        m = re.match(r"- `[\d:]+` \*\*\w+\*\*: (.*)", line)
        if m:
            lines.append(m.group(1))
        elif line and not line.startswith(("#", "- started:", "- segments:", "- duration:")):
            lines.append(line.lstrip("-* ").strip())
    return [x for x in lines if x]
