"""`glasses`: the command line of glasses_stack (rig runner, bags, tester tools).

Subcommands live in their own modules, each with ``add_arguments(parser)`` and
``run(args) -> int``; they are imported only when used, so `glasses ask` does not
pay for loading ROS or models.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from glasses_bringup.entry import prepare_dds_environment

# name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "up": ("glasses_bringup.runner", "run a rig (sim, replay, jetson) composed or isolated"),
    "record": ("glasses_bringup.recorder", "record topics into a rosbag2 MCAP bag"),
    "replay": ("glasses_bringup.replayer", "replay a bag with original timing"),
    "demo": ("glasses_bringup.demo", "run the demo scenario, record it and summarize"),
    "bag-info": ("glasses_bringup.bag", "summarize a bag: topics, counts, rates, events"),
    "replay-check": ("glasses_bringup.replay_check", "replay a recorded run and compare the agent's decisions"),
    "power-day": ("glasses_bringup.drivers.power.day_cli", "simulate a day of wear on two swappable packs"),
    "transcribe": ("glasses_perception.voice.transcribe_cli", "transcribe audio files with the ASR core"),
    "scan": ("glasses_perception.vision.scan_cli", "decode QR codes and barcodes in image files"),
    "ask": ("glasses_agent.ask_cli", "parse an utterance into intent and slots (offline parser)"),
    "notes": ("glasses_agent.notes_cli", "list, show or export the meeting notes (Markdown)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="glasses", description="glasses_stack command line")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in SUBCOMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Every ROS process of the stack keeps DDS discovery on this machine unless told otherwise.
    prepare_dds_environment()
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in SUBCOMMANDS:
        parser = build_parser()
        if argv and argv[0] not in ("-h", "--help"):
            parser.print_usage(sys.stderr)
            print(f"glasses: unknown command {argv[0]!r}", file=sys.stderr)
            return 2
        parser.print_help()
        return 0
    name = argv[0]
    module = importlib.import_module(SUBCOMMANDS[name][0])
    parser = argparse.ArgumentParser(prog=f"glasses {name}", description=SUBCOMMANDS[name][1])
    module.add_arguments(parser)
    args = parser.parse_args(argv[1:])
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # python -m glasses_bringup.cli
    sys.exit(main())
