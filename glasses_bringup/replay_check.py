"""`glasses replay-check RUN_BAG`: does the stack decide the same again from a recorded run?

Replays the run's sensor topics through the replay rig (`glasses up --rig replay`,
recording the replay), then compares what the agent did in the two bags, topic by
topic: agent/action, agent/intent and display/card must hold the same events in the
same order with the same payloads (fields that name a run rather than a decision -
stamps, ids, latencies - left out), each within ``--tolerance`` seconds of its
recorded time (both times counted from the first sensor message of the bag).
Left out, because the speaker's timing rather than the sensors opens them: the
"Listening" cards of follow-up windows (a card stamped like a follow_up wake event);
the provisional cards at a pause (kind ``heard`` and their ``clear``: shown only when
the decode at the pause beat the VAD hangover, which is the machine's timing); and
whatever the replay decides after the recording's last message.
Prints a unified diff of what differs and exits 1 on any difference, 0 when the
replay decided the same, 2 when the bag cannot be replayed.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from glasses_bringup.bag import BagError, raw_messages
from glasses_bringup.foundation.events import PROVISIONAL_CARD_KINDS

CHECKED_TOPICS = ("agent/action", "agent/intent", "display/card")
# The first message on one of these starts a run's clock (the replay rig replays them).
SENSOR_TOPICS = ("camera/image_raw", "camera/image_raw/compressed", "audio/raw", "imu/data_raw", "input/touch",
                 "sim/scenario")
# Fields that identify a run, a turn or a timing, not what was decided.
VOLATILE = frozenset({"stamp", "source", "latency_ms", "card_id", "turn_id", "utterance_id", "image"})
# A capture's file lives in the run's own folder and is named by the wall clock; its JPEG size
# depends on the encoder that made it (the camera's capture service live, the bag's stream in
# a replay). A photo's size in pixels too: live it is the camera's still (1920x1440), in a
# replay the bag's streamed frame. That a photo was saved and its frames are compared.
# An idempotency key hashes the request's stamp, the end of its utterance: a replay may end it one VAD
# window later (where the ASR's VAD started scoring depends on when a follow-up window opened), so the
# key is the run's own, like the ids.
VOLATILE_DETAILS = frozenset({"id", "payment_id", "transaction_id", "txn_id", "order_id", "ride_id", "created_at",
                              "at", "time", "ledger_row", "latency_ms", "elapsed_ms", "path", "thumbnail", "bytes",
                              "width", "height", "key"})  # fmt: skip
MEDIA_FILE = re.compile(r"\b(IMG|VID)_\d{8}_\d{6}|\b\d+×\d+(?= · )")


@dataclass(frozen=True)
class Decision:
    topic: str  # relative, e.g. agent/action
    t_s: float  # seconds from the bag's first sensor message
    payload: str  # canonical JSON of the compared fields

    def line(self) -> str:
        return f"{self.topic} {self.payload}"


def _relative(topic: str, names) -> str | None:
    for name in names:
        if topic == name or topic.endswith("/" + name):
            return name
    return None


def canonical(event: dict) -> str:
    kept = {k: (MEDIA_FILE.sub(lambda m: f"{m.group(1)}_*" if m.group(1) else "*×*", v) if isinstance(v, str) else v)
            for k, v in event.items() if k not in VOLATILE}  # fmt: skip
    if isinstance(kept.get("details"), dict):
        kept["details"] = {k: v for k, v in kept["details"].items() if k not in VOLATILE_DETAILS}
    return json.dumps(kept, sort_keys=True, ensure_ascii=False)


@dataclass
class RunDecisions:
    decisions: list[Decision]
    end_s: float  # the last message of the bag, from its first sensor message
    error: str | None  # the bag's damage, None when whole
    follow_up_cards: int = 0  # listening cards of follow-up windows, left out
    provisional_cards: int = 0  # heard cards and their removals, left out


def decisions(bag: str | Path) -> RunDecisions:
    """The checked events of a bag in order, its end and its damage."""
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS2_KILTED)
    stream = raw_messages(bag)
    start = None
    last = 0
    out = []
    follow_up_stamps: set = set()
    follow_up_cards = provisional_cards = 0
    for topic, msgtype, stamp, data in stream:
        last = max(last, stamp)
        if start is None and _relative(topic, SENSOR_TOPICS):
            start = stamp
        if msgtype != "std_msgs/msg/String":
            continue
        name = _relative(topic, CHECKED_TOPICS)
        if name is None and _relative(topic, ("perception/wake",)):
            wake = _event(store.deserialize_cdr(data, msgtype).data)
            if wake.get("reason") == "follow_up":
                follow_up_stamps.add(wake.get("stamp"))
            continue
        if name is None:
            continue
        text = store.deserialize_cdr(data, msgtype).data
        event = _event(text)
        if name == "display/card" and event.get("stamp") in follow_up_stamps:
            follow_up_cards += 1  # opened by the speaker's timing, not by the sensors
            continue
        if name == "display/card" and event.get("kind") in PROVISIONAL_CARD_KINDS:
            # shown only when the decode at a pause beat the VAD hangover: the machine's timing
            provisional_cards += 1
            continue
        payload = canonical(event) if event else json.dumps({"malformed": text[:200]})
        out.append(Decision(name, stamp, payload))
    t0 = start if start is not None else (out[0].t_s if out else last)
    return RunDecisions([Decision(d.topic, (d.t_s - t0) * 1e-9, d.payload) for d in out], (last - t0) * 1e-9,
                        stream.error, follow_up_cards, provisional_cards)


def _event(text: str) -> dict:
    try:
        event = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return event if isinstance(event, dict) else {}


@dataclass
class Comparison:
    diff: list[str]  # unified diff lines of the payload sequences
    late: list[str]  # same decision, outside the timing tolerance
    counts: dict[str, tuple[int, int]]  # topic -> (recorded, replayed)

    @property
    def same(self) -> bool:
        return not self.diff and not self.late


def compare(recorded: list[Decision], replayed: list[Decision], tolerance_s: float) -> Comparison:
    diff: list[str] = []
    late: list[str] = []
    counts = {}
    for topic in CHECKED_TOPICS:
        a = [d for d in recorded if d.topic == topic]
        b = [d for d in replayed if d.topic == topic]
        counts[topic] = (len(a), len(b))
        lines_a, lines_b = [d.line() for d in a], [d.line() for d in b]
        if lines_a != lines_b:
            diff += difflib.unified_diff(lines_a, lines_b, f"recorded {topic}", f"replayed {topic}", lineterm="", n=1)
            continue
        for x, y in zip(a, b, strict=True):
            if abs(x.t_s - y.t_s) > tolerance_s:
                late.append(f"{topic} at {x.t_s:.2f} s recorded, {y.t_s:.2f} s replayed "
                            f"({y.t_s - x.t_s:+.2f} s > {tolerance_s:g} s): {x.payload[:120]}")
    return Comparison(diff, late, counts)


def replay(bag: Path, out: Path, rig: str, sets: list[str], profile: str | None) -> subprocess.CompletedProcess:
    """The run's sensors through the replay rig, recorded into ``out``."""
    cmd = [sys.executable, "-m", "glasses_bringup.cli", "up", "--rig", rig, "--bag", str(bag), "--record", str(out)]
    for item in sets:
        cmd += ["--set", item]
    if profile:
        cmd += ["--profile", profile]
    env = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE=os.environ.get("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST"))
    return subprocess.run(cmd, env=env, capture_output=True, text=True)


def add_arguments(parser) -> None:
    parser.add_argument("bag", help="a recorded run (glasses up --record) to check")
    parser.add_argument("--tolerance", type=float, default=1.5,
                        help="seconds a replayed decision may be early or late (default 1.5: speech "
                             "recognition latency varies by about a second on a loaded 2-core machine)")
    parser.add_argument("--rig", default="replay", help="rig to replay through (default: replay)")
    parser.add_argument("--set", action="append", default=[], metavar="NODE.PARAM=VALUE",
                        help="override a replay rig node parameter (repeatable)")
    parser.add_argument("--profile", help="bag profile for another device's recording")
    parser.add_argument("--replayed", help="compare with this already replayed bag instead of replaying")
    parser.add_argument("--keep", metavar="DIR", help="keep the replayed bag in DIR (a new directory)")


def _read(bag: Path, which: str) -> RunDecisions | None:
    """The decisions of a bag, warning about damage; None (after saying why) when it cannot be read."""
    try:
        run_decisions = decisions(bag)
    except BagError as exc:
        print(f"glasses replay-check: {exc}", file=sys.stderr)
        return None
    if run_decisions.error:
        print(f"warning: {which} bag: {run_decisions.error}", file=sys.stderr)
    return run_decisions


def run(args) -> int:
    bag = Path(args.bag)
    recorded_run = _read(bag, "recorded")
    if recorded_run is None:
        return 2
    with tempfile.TemporaryDirectory(prefix="glasses_replay_check_") as tmp:
        if args.replayed:
            replayed_bag = Path(args.replayed)
        else:
            replayed_bag = Path(args.keep) if args.keep else Path(tmp) / "replayed"
            result = replay(bag, replayed_bag, args.rig, args.set, args.profile)
            if result.returncode != 0 or not replayed_bag.exists():
                print(f"glasses replay-check: the replay rig failed (exit {result.returncode}):\n"
                      f"{result.stderr[-2000:]}", file=sys.stderr)
                return 2
        replayed_run = _read(replayed_bag, "replayed")
        if replayed_run is None:
            return 2
    # The replay runs on after the recording stopped; what it decides then, the recording cannot show.
    replayed = [d for d in replayed_run.decisions if d.t_s <= recorded_run.end_s]
    for extra in replayed_run.decisions[len(replayed):]:
        print(f"  after the recording ended ({recorded_run.end_s:.1f} s), not compared: {extra.t_s:.2f} s "
              f"{extra.line()[:140]}")
    if recorded_run.follow_up_cards or replayed_run.follow_up_cards:
        print(f"  left out: follow-up listening cards ({recorded_run.follow_up_cards} recorded, "
              f"{replayed_run.follow_up_cards} replayed)")
    if recorded_run.provisional_cards or replayed_run.provisional_cards:
        print(f"  left out: provisional cards at a pause ({recorded_run.provisional_cards} recorded, "
              f"{replayed_run.provisional_cards} replayed)")
    result = compare(recorded_run.decisions, replayed, args.tolerance)
    for topic, (a, b) in result.counts.items():
        print(f"  {topic:16s} recorded {a:3d}  replayed {b:3d}")
    if result.same:
        print(f"replay-check: same decisions ({sum(a for a, _ in result.counts.values())} events, "
              f"timing within {args.tolerance:g} s)")
        return 0
    for line in result.diff:
        print(line)
    for line in result.late:
        print(f"late: {line}")
    print(f"replay-check: DIFFERENT ({len(result.diff)} diff lines, {len(result.late)} timing differences)")
    return 1
