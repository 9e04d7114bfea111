"""`glasses notes list|show|export`: the meeting notes the agent stored (SQLite), as text or Markdown.

    glasses notes list [--db FILE]                 # id, start, duration, segments, title
    glasses notes show [ID] [--db FILE]            # the Markdown of one meeting (default: the latest)
    glasses notes export [ID] -o FILE [--summarize] # write it to a file; --summarize makes an offline summary first
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("list", "show", "export"))
    parser.add_argument("meeting", nargs="?", type=int, help="meeting id (default: the latest)")
    parser.add_argument("--db", default="", help="notes SQLite file (default: ~/.local/share/glasses_stack/notes.sqlite)")
    parser.add_argument("-o", "--out", help="export: Markdown file to write")
    parser.add_argument("--summarize", action="store_true", help="make and store an offline summary if none exists")


def run(args: argparse.Namespace) -> int:
    from glasses_agent.notes import NotesError, NotesStore, default_notes_path, export_markdown, summarize_extractive

    path = Path(args.db) if args.db else default_notes_path()
    if not path.exists():
        print(f"glasses notes: no notes database at {path}", file=sys.stderr)
        return 1
    try:
        store = NotesStore(path)
    except NotesError as exc:
        print(f"glasses notes: {exc}", file=sys.stderr)
        return 1
    try:
        if args.action == "list":
            for m in store.meetings():
                started = time.strftime("%Y-%m-%d %H:%M", time.localtime(m.started))
                minutes = f"{(m.ended - m.started) / 60:.1f} min" if m.ended is not None else "open"
                print(f"{m.meeting_id}\t{started}\t{minutes}\t{m.segments} segments\t{m.title}")
            return 0
        meeting = store.meeting(args.meeting)
        segments = store.segments(meeting.meeting_id)
        summary = store.summary(meeting.meeting_id)
        if summary is None and args.summarize and segments:
            summary = summarize_extractive(segments)
            store.save_summary(meeting.meeting_id, summary)
        text = export_markdown(meeting, segments, summary)
        if args.action == "show":
            sys.stdout.write(text)
            return 0
        if not args.out:
            print("glasses notes export: give -o FILE", file=sys.stderr)
            return 2
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"meeting {meeting.meeting_id}: {len(segments)} segments -> {args.out}")
        return 0
    except NotesError as exc:
        print(f"glasses notes: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
