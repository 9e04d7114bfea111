"""`glasses demo` (make demo): run the demo scenario on the sim rig, record it, summarize it.

Writes OUT/bag (rosbag2 MCAP) and OUT/summary.json, and prints what happened:
the scenario timeline beside what the stack did about it, and per-topic rates.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from glasses_bringup.bag import summarize
from glasses_bringup.foundation.paths import share_path

# What a healthy demo bag must hold (relative names under the rig namespace).
REQUIRED_TOPICS = (
    "camera/image_raw/compressed",  # the recorder keeps the JPEG stream, not raw frames
    "camera/camera_info",
    "camera/privacy_led",
    "audio/raw",
    "imu/data_raw",
    "imu/data",
    "power/battery",
    "power/battery/left",
    "power/battery/right",
    "display/image",
    "/diagnostics",
)

# Event topics shown in the timeline, in the order of the pipeline.
TIMELINE_TOPICS = (
    "sim/scenario", "input/touch", "input/head_gesture", "perception/vad", "perception/wake",
    "perception/transcript", "perception/codes", "perception/product", "perception/text",
    "agent/intent", "agent/action", "display/card", "speaker/say", "power/state",
)


def describe(topic: str, event: dict) -> str:
    schema = event.get("schema", "")
    if schema == "scenario_event":
        d = event.get("details", {})
        what = d.get("text") or d.get("value") or d.get("slot") or d.get("kind") or ""
        return f"scenario  {event.get('kind')}: {what}"
    fields = {
        "touch": ("gesture",), "head_gesture": ("gesture",), "vad": ("state",), "wake": ("reason", "phrase"),
        "transcript": ("text",), "code": ("symbology", "kind", "text"), "product": ("name", "confidence"),
        "intent": ("intent", "slots"), "action": ("action", "status"), "card": ("title", "body"),
        "say": ("text",), "power_state": ("mode", "swap_state", "runtime_left_h"), "text": ("prices",),
    }.get(schema, ())
    if schema == "transcript" and not event.get("final"):
        return ""
    values = " ".join(str(event.get(f)) for f in fields if event.get(f) not in (None, "", {}, []))
    return f"{topic:22s} {values}"


def timeline(info: dict, namespace: str = "/glasses") -> list[tuple[float, str]]:
    t0 = None
    for e in info["events"].get(f"{namespace}/sim/scenario", []):
        if "stamp" in e and "at" in e:
            t0 = e["stamp"] - e["at"]
            break
    rows = []
    for rel in TIMELINE_TOPICS:
        previous = None
        for e in info["events"].get(f"{namespace}/{rel}", []):
            if "stamp" not in e:
                continue
            if rel == "power/state":  # periodic: show changes of mode or packs only
                key = (e.get("mode"), e.get("swap_state"))
                if key == previous:
                    continue
                previous = key
            text = describe(rel, e)
            if text:
                rows.append(((e["stamp"] - t0) if t0 is not None else e["stamp"], text))
    rows.sort(key=lambda r: r[0])
    return rows


def task_rounds(info: dict, namespace: str = "/glasses") -> dict:
    """The agent's last per-task summary (agent/metrics): per intent done / failed / cancelled, rounds, time, touches."""
    metrics = [e for e in info["events"].get(f"{namespace}/agent/metrics", []) if "tasks" in e]
    return metrics[-1]["tasks"] if metrics else {}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="out/demo", help="output folder (bag/ and summary.json)")
    parser.add_argument("--scenario", help="scenario file (default: config/scenarios/demo.yaml)")
    parser.add_argument("--variant", choices=("s1", "g1"))
    parser.add_argument("--camera-fps", type=float, default=10.0,
                        help="camera rate in normal power mode while recording (keeps the bag small)")


def run(args) -> int:
    from glasses_bringup import runner

    out = Path(args.out)
    bag = out / "bag"
    if bag.exists():
        shutil.rmtree(bag)
    out.mkdir(parents=True, exist_ok=True)
    scenario = args.scenario or str(share_path("config", "scenarios", "demo.yaml"))
    up_args = argparse.Namespace(
        rig="sim", variant=args.variant, scenario=scenario, bag=None, rate=1.0, duration=None,
        record=str(bag), isolated=False, startup=None,
        # the power policy owns the camera rate: set its normal-mode rate as well
        set=[f"camera.fps={args.camera_fps}", f"power_policy.normal.camera_fps={args.camera_fps}"],
        executor="events", list=False,
    )
    print(f"glasses demo: running {scenario} on the sim rig and recording to {bag}", flush=True)
    code = runner.run(up_args)
    if code != 0:
        print(f"glasses demo: the rig exited with {code}", file=sys.stderr)
        return code
    info = summarize(bag)
    rows = timeline(info)
    tasks = task_rounds(info)
    (out / "summary.json").write_text(json.dumps(
        {k: v for k, v in info.items() if k != "events"} | {"timeline": rows, "tasks": tasks}, indent=2,
        ensure_ascii=False))  # fmt: skip

    print(f"\n=== what happened ({info['duration_s']:.1f} s, {info['messages']} messages) ===")
    for t, text in rows:
        print(f"  {t:6.2f} s  {text}")
    print("\n=== interaction rounds per task ===")
    for intent, t in sorted(tasks.items()):
        print(f"  {intent:16s} done {t['done']:.0f} failed {t['failed']:.0f} cancelled {t['cancelled']:.0f} "
              f"open {t['open']:.0f}  rounds {t['rounds_mean']:.1f}  {t['time_s_mean']:.1f} s  touches {t['touches']:.0f}")
    print("\n=== topics ===")
    for topic, t in info["topics"].items():
        rate = f"{t['rate_hz']:7.2f} Hz" if t["rate_hz"] is not None else "        -"
        print(f"  {topic:40s} {t['count']:6d} msgs {rate}")
    missing = [r for r in REQUIRED_TOPICS
               if not any(topic == r or topic.endswith("/" + r) for topic in info["topics"])]
    print(f"\nbag: {bag}   summary: {out / 'summary.json'}")
    if missing:
        print(f"glasses demo: missing topics in the bag: {', '.join(missing)}", file=sys.stderr)
        return 1
    if info["error"]:
        print(f"glasses demo: {info['error']}", file=sys.stderr)
        return 1
    return 0
