"""`glasses ask "UTTERANCE" [--lang en|zh] [--stdin]`: the offline parser's result as JSON lines.

Prints one line per utterance, so testers can check phrasings without running ROS:
{"intent": ..., "slots": {...}, "confidence": ..., "path": ..., "candidates": [[intent, p], ...],
"ask_back": ...}. ``path`` says what decided: ``rules``, ``model``, ``rules+model`` (both
agree) or ``none`` (empty input); ``candidates`` are the best guesses, and ``ask_back``
is true when the agent would ask a clarifying question instead of acting.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("utterance", nargs="?", help="the command, e.g. \"take me to the airport\"")
    parser.add_argument("--lang", choices=("en", "zh"), default=None, help="language (default: detected)")
    parser.add_argument("--stdin", action="store_true", help="read one utterance per line from standard input")


def run(args: argparse.Namespace) -> int:
    from glasses_agent import intents

    if args.stdin:
        lines = (line.rstrip("\n") for line in sys.stdin)
    elif args.utterance is not None:
        lines = iter([args.utterance])
    else:
        print("glasses ask: give an UTTERANCE or --stdin", file=sys.stderr)
        return 2
    for line in lines:
        if args.stdin and not line.strip():
            continue
        result = intents.parse(line, args.lang)
        doc = {**result.as_dict(), "path": result.path, "candidates": [[i, round(p, 2)] for i, p in result.candidates],
               "ask_back": intents.needs_clarifying(result)}  # fmt: skip
        print(json.dumps(doc, ensure_ascii=False), flush=True)
    return 0
