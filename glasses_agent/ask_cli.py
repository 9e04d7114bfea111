"""`glasses ask "UTTERANCE" [--lang en|zh] [--stdin]`: the offline parser's result as JSON lines.

Prints one line {"intent": ..., "slots": {...}, "confidence": ...} per utterance,
so testers can check phrasings without running ROS.
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
    from glasses_agent.intents import parse

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
        print(json.dumps(parse(line, args.lang).as_dict(), ensure_ascii=False), flush=True)
    return 0
