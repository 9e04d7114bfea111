"""End-to-end latency and CPU of the whole rig: `make bench BENCH=e2e` -> bench/results/e2e.json.

Runs the composed sim rig (`glasses up --rig sim --record`, every node of normal
wear: camera, microphone, IMU, touch, packs, power policy, voice, vision, agent,
display, speaker) on the scenarios config/scenarios/e2e_s1.yaml (S1, HUD cards)
and e2e_g1.yaml (G1, spoken answers), and reads every latency from the stamps of
the recorded bag (glasses_bringup.latency): wake phrase end -> "Listening…" on
the HUD, end of a command -> first answer card on the HUD (G1: first spoken
audio), a payment QR entering the view -> confirm card on the HUD, and the
stage budget of a command.

CPU per node (% of one core) comes from a second run of e2e_cpu.yaml in isolated
mode (one process per node, /proc per process) over three windows of its
timeline: worn idle (still head, nothing in view, silence), listening (a wake
phrase and a command being transcribed) and busy (walking, a product code in
view, back-to-back commands: the load captions or navigation put on voice and
vision). The simulated sensors (scenario clock, camera, microphone, IMU, touch,
battery manager sim source) are reported apart from the stack; so is the
runner process (supervisor). The composed process of the first run is costed
too (stack and simulator together, one process).

    .venv/bin/python bench/e2e.py [--write-scenarios] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.common import write_result  # noqa: E402
from glasses_bringup import latency  # noqa: E402
from glasses_bringup.cpu import CpuSampler, node_processes  # noqa: E402
from glasses_bringup.drivers.power.model import MEASURED_CPU_FILE  # noqa: E402 - the power model reads it
from glasses_bringup.foundation.sensor_catalog import SENSORS  # noqa: E402

SCENARIOS = ROOT / "config" / "scenarios"
GLASSES = Path(sys.executable).parent / "glasses"
# Sensor sources of the sim rig; coprocessor_link carries the emulated MCU (the IMU) and its link decoder.
# Catalog sensors (gnss, ring_controller, ...) run their simulated sources in the sim rig too.
SIMULATOR = ("scenario_clock", "camera", "microphone", "imu", "coprocessor_link", "touch", "battery_manager",
             *(s.name for s in SENSORS))

WAKE = {"text": "hey jarvis", "clip": "audio/hey_jarvis.wav"}
QR = ("glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=E{n:03d}")
# Commands with an answer card and no lasting effect; clips where the assets have them,
# else synthesized by the simulator's TTS (piper joe voice).
COMMANDS = (
    {"text": "what is this", "clip": "audio/what_is_this.wav"},
    {"text": "play some jazz"},
    {"text": "navigate to the train station", "clip": "audio/navigate_train_station.wav"},
    {"text": "turn the volume up"},
    {"text": "next track"},
    {"text": "compare prices", "clip": "audio/compare_prices.wav"},
    {"text": "pause the music"},
    {"text": "start taking notes"},
    {"text": "stop taking notes"},
    {"text": "open the teleprompter"},
)
PAY = {"text": "pay", "clip": "audio/pay.wav"}
# Mandarin: the three phrasings Whisper base hears right from espeak-ng's voice (assets/audio/README.md;
# no better Mandarin voice installs here). A taxi is a spend: its confirm card is cancelled.
ZH_PAY = {"text": "请帮我付款", "clip": "audio/zh/pay.wav", "lang": "zh"}
ZH_COMPARE = {"text": "请帮我比价", "clip": "audio/zh/compare.wav", "lang": "zh"}
ZH_TAXI = {"text": "叫车去机场", "clip": "audio/zh/taxi_airport.wav", "lang": "zh"}
SAY_AT = 1.7  # the command this long after its wake phrase
BLOCK_S = 6.5  # wake phrase, command, answer, before the next wake phrase
LONG_CLIP_S = 1.5  # the Mandarin clips are about 3.3 s long, the English ones up to 1.8 s


def _entry(at: float, **action) -> dict:
    return {"at": round(at, 2), **action}


def block(t: float, command: dict, n: int) -> tuple[list, float]:
    """One wake phrase + command from time t; returns its timeline entries and the next block's start.

    A payment is followed by its QR entering the view and a head shake cancelling it; a taxi
    request by the head shake alone."""
    extra = LONG_CLIP_S if command.get("lang") == "zh" else 0.0
    out = [_entry(t, say=dict(WAKE)), _entry(t + SAY_AT, say=dict(command))]
    if command in (PAY, ZH_PAY):
        out.append(_entry(t + 4.2 + extra, show={"kind": "qr", "text": QR.format(n=n), "duration_s": 2.5, "size": 0.35,
                                                 "tilt_deg": 15}))  # fmt: skip
        out.append(_entry(t + 6.0 + extra, head="shake"))
        return out, t + BLOCK_S + 2.5 + extra
    if command is ZH_TAXI:
        out.append(_entry(t + 5.0 + extra, head="shake"))
        return out, t + BLOCK_S + 1.0 + extra
    return out, t + BLOCK_S + extra


def plan(count: int, english: tuple, chinese: tuple = (), zh_every: int = 0) -> list[dict]:
    """``count`` commands cycling through ``english``; every ``zh_every``-th instead cycles through ``chinese``."""
    en = zh = 0
    out = []
    for i in range(count):
        if zh_every and i % zh_every == zh_every - 1:
            out.append(chinese[zh % len(chinese)])
            zh += 1
        else:
            out.append(english[en % len(english)])
            en += 1
    return out


def command_blocks(t: float, commands: list[dict]) -> tuple[list, float]:
    out = []
    for n, command in enumerate(commands):
        entries, t = block(t, command, n)
        out += entries
    return out, t


# S1: every command of COMMANDS with "pay" twice in each round of them, and every fourth command in Mandarin
S1_ENGLISH = (*COMMANDS[:4], PAY, *COMMANDS[4:8], PAY, *COMMANDS[8:])
S1_COMMANDS = plan(52, S1_ENGLISH, (ZH_PAY, ZH_COMPARE, ZH_TAXI), zh_every=4)
G1_COMMANDS = plan(20, COMMANDS[3:] + COMMANDS[:3], (ZH_COMPARE, ZH_TAXI), zh_every=4)


def describe(commands: list[dict]) -> str:
    zh = sum(1 for c in commands if c.get("lang") == "zh")
    pays = sum(1 for c in commands if c in (PAY, ZH_PAY))
    return f"{len(commands)} wake phrase + command blocks ({len(commands) - zh} English, {zh} Mandarin; {pays} payments)"


def scenarios() -> dict[str, dict]:
    s1, t = command_blocks(14.0, S1_COMMANDS)
    g1, t_g1 = command_blocks(4.0, G1_COMMANDS)
    busy, t_busy = command_blocks(52.0, [COMMANDS[(1 + i) % len(COMMANDS)] for i in range(5)])
    base = {"seed": 11, "noise_snr_db": 25.0, "batteries": {"left": {"soc": 0.9}, "right": {"soc": 0.85}}}
    return {
        "e2e_s1": {
            "name": "e2e_s1", "variant": "s1", "duration_s": round(t + 2.0, 1), **base,
            "description": f"Worn idle for 12 s (still, nothing in view, silence), then {describe(S1_COMMANDS)}; "
                           "each payment with a payment QR entering the view, cancelled by a head shake, as "
                           "is each taxi request. For bench/e2e.py.",
            "timeline": [_entry(0.5, motion="still"), *s1],
        },
        "e2e_g1": {
            "name": "e2e_g1", "variant": "g1", "duration_s": round(t_g1 + 2.0, 1), **base,
            "description": f"G1 (no display): {describe(G1_COMMANDS)}, answers spoken; each taxi request "
                           "cancelled by a head shake. For bench/e2e.py.",
            "timeline": [_entry(0.5, motion="still"), *g1],
        },
        "e2e_cpu": {
            "name": "e2e_cpu", "variant": "s1", "duration_s": round(t_busy + 2.0, 1), **base,
            "description": "CPU states for bench/e2e.py: worn idle 2-32 s; listening 32-50 s (a wake phrase, a "
                           "long command, the answer); busy from 52 s (walking, a product barcode in view, "
                           "back-to-back commands).",
            "timeline": [
                _entry(0.5, motion="still"),
                _entry(32.0, say=dict(WAKE)),
                _entry(33.7, say={"text": "order a large beef noodle from the usual place",
                                  "clip": "audio/order_noodles.wav"}),  # fmt: skip
                _entry(40.0, head="shake"),
                _entry(52.0, motion="walk"),
                _entry(52.0, activity="navigation"),
                _entry(52.0, show={"kind": "ean13", "text": "6901234567892", "duration_s": round(t_busy - 52.0, 1),
                                   "size": 0.4, "tilt_deg": 10}),  # fmt: skip
                *busy,
            ],
        },
    }


CPU_WINDOWS = {"worn_idle": (2.0, 32.0), "listening": (32.0, 50.0), "busy": (52.0, None)}


def write_scenarios() -> None:
    for name, doc in scenarios().items():
        path = SCENARIOS / f"{name}.yaml"
        header = "# Generated by bench/e2e.py --write-scenarios (edit the generator, not this file).\n"
        path.write_text(header + yaml.safe_dump(doc, sort_keys=False, width=120, allow_unicode=True, default_flow_style=None))
        print(f"wrote {path}")


def env() -> dict:
    return dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
                ROS_LOG_DIR=os.environ.get("ROS_LOG_DIR", tempfile.mkdtemp(prefix="e2e_roslog_")),
                ROS_DOMAIN_ID=os.environ.get("ROS_DOMAIN_ID", "61"))  # fmt: skip


RECORDED = ("sim/scenario", "audio/raw", "perception/wake", "perception/vad", "perception/transcript",
            "perception/codes", "agent/intent", "agent/action", "display/card", "display/image", "speaker/say",
            "speaker/state", "power/state")


def run_rig(scenario: Path, out: Path, isolated: bool, record: bool) -> dict:
    """Run `glasses up` on a scenario; sample CPU of the runner (composed) or of every node process.

    The bag is written by a separate `glasses record` process holding only the topics the
    latencies need: the camera's full-rate frames would make a bag of gigabytes, and a
    recorder inside the rig process would take CPU and the GIL from the nodes it measures.
    """
    cmd = [str(GLASSES), "up", "--rig", "sim", "--scenario", str(scenario)]
    if isolated:  # every node process loads its models before the scenario (and the idle window) starts
        # 20 s was too short once the ASR warmed its models at start on a loaded machine: start-up
        # CPU (asr 16 %, text_reader 13 %, captions 10 %) landed in the worn-idle window
        cmd += ["--isolated", "--startup", "40"]
    recorder = None
    if record:
        recorder = subprocess.Popen([str(GLASSES), "record", "-o", str(out / "bag"),
                                     *[f"/glasses/{t}" for t in RECORDED], "/diagnostics"],
                                    env=env(), stdout=open(out / "record.log", "w"), stderr=subprocess.STDOUT)  # fmt: skip
        time.sleep(2.0)  # the recorder's subscriptions exist before the rig starts
    log = open(out / "rig.log", "w")
    proc = subprocess.Popen(cmd, env=env(), stdout=log, stderr=subprocess.STDOUT)
    sampler = CpuSampler({"rig_process": proc.pid}, period_s=0.5,
                         discover=(lambda: node_processes(proc.pid)) if isolated else None).start()  # fmt: skip
    start = None
    try:
        while proc.poll() is None:
            if isolated and start is None:
                start = scenario_start(proc.pid)
            time.sleep(0.5)
        code = proc.wait()
    finally:
        sampler.stop()
        log.close()
        if recorder is not None:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(timeout=120)
    if code != 0:
        print((out / "rig.log").read_text()[-3000:], file=sys.stderr)
        raise SystemExit(f"e2e: glasses up exited with {code} on {scenario.name}")
    return {"sampler": sampler, "scenario_start": start}


def earcon_delays_ms(bag: Path) -> list[float]:
    """The speaker's reported earcon delays (wake event -> first earcon block to the sink), one per change."""
    from rosbags.typesys import Stores, get_typestore

    from glasses_bringup.bag import raw_messages

    store, seen = get_typestore(Stores.ROS2_KILTED), []
    for _, msgtype, _, data in raw_messages(bag, ["/diagnostics"]):
        for status in store.deserialize_cdr(data, msgtype).status:
            if status.name.endswith("/speaker"):
                values = {kv.key: kv.value for kv in status.values}
                played = values.get("earcons_played", "0")
                if played != "0" and (not seen or seen[-1][0] != played):
                    seen.append((played, float(values.get("earcon_delay_ms", "nan"))))
    return [d for _, d in seen if np.isfinite(d)]


def scenario_start(runner_pid: int) -> float | None:
    """Wall time of scenario t=0 of an isolated run: the scenario clock's parameter file says it."""
    pid = node_processes(runner_pid).get("scenario_clock")
    if pid is None:
        return None
    try:
        args = [a.decode() for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")]
    except OSError:
        return None
    for flag, value in zip(args, args[1:], strict=False):
        if flag == "--params-file" and value.endswith("scenario_clock.yaml"):
            params = yaml.safe_load(Path(value).read_text())["/**"]["ros__parameters"]
            return float(params["scenario_start"])
    return None


def cpu_states(sampler: CpuSampler, t0: float, duration: float) -> dict[str, dict[str, float]]:
    states = {}
    for state, (a, b) in CPU_WINDOWS.items():
        states[state] = {k: round(v, 2) for k, v in sampler.usage(t0 + a, t0 + (b if b is not None else duration)).items()}
    return states


def markdown(doc: dict) -> str:
    """The tables of docs/latency.md from a results file."""
    lines = ["| figure | p50 | p95 | max | n | target |", "|---|---|---|---|---|---|"]
    rows = (("s1", "wake_phrase_end_to_cue", "p95 < 300"), ("s1", "speech_end_to_first_card", "p95 < 600"),
            ("s1_en", "speech_end_to_first_card", ""), ("s1_zh", "speech_end_to_first_card", ""),
            ("s1", "speech_end_to_answer_card", ""), ("s1_en", "speech_end_to_answer_card", ""),
            ("s1_zh", "speech_end_to_answer_card", ""), ("g1", "speech_end_to_first_audio", ""),
            ("g1_en", "speech_end_to_first_audio", ""), ("g1_zh", "speech_end_to_first_audio", ""),
            ("s1", "qr_in_view_to_confirm_card", "p95 < 150"))  # fmt: skip
    for v, name, target in rows:
        k = f"{v}_{name}"
        if f"{k}_p50_ms" in doc:
            label = v.upper().replace("_EN", ", English").replace("_ZH", ", Mandarin")
            lines.append(f"| {name} ({label}) | {doc[k + '_p50_ms']:.0f} ms | {doc[k + '_p95_ms']:.0f} ms | "
                         f"{doc[k + '_max_ms']:.0f} ms | {doc[k + '_n']} | {target} |")
    if "g1_wake_phrase_end_to_earcon_p50_ms" in doc:
        lines.append(f"| wake_phrase_end_to_earcon (G1: wake event + earcon play delay "
                     f"{doc['g1_earcon_play_delay_ms_median']:.1f} ms) | {doc['g1_wake_phrase_end_to_earcon_p50_ms']:.0f} ms"
                     f" | {doc['g1_wake_phrase_end_to_earcon_p95_ms']:.0f} ms | | | |")
    for v in ("s1", "s1_en", "s1_zh", "g1", "g1_en", "g1_zh"):
        b = doc.get(f"{v}_budget")
        if not b:
            continue
        label = v.upper().replace("_EN", " English").replace("_ZH", " Mandarin")
        lines += ["", f"{label} command, stage by stage (ms):", "", "| stage | p50 | p95 | n |", "|---|---|---|---|"]
        rows = {**b["command"], **{f"provisional: {k}": r for k, r in b.get("provisional", {}).items()},
                **{f"wake: {k}": r for k, r in b["wake"].items()}}  # fmt: skip
        for stage, row in rows.items():
            if row["n"]:
                lines.append(f"| {stage} | {row['p50_ms']} | {row['p95_ms']} | {row['n']} |")
        for key in ("vad_end_audio_time_after_speech_end_ms", "asr_reported_latency_ms", "wake_stamp_after_phrase_end_ms"):
            row = b[key]
            lines.append(f"| ({key}) | {row['p50_ms']} | {row['p95_ms']} | {row['n']} |")
    per = doc.get("cpu_per_node_pct")
    if per:
        nodes = sorted({n for s in per.values() for n in s["stack"]}, key=lambda n: -per["worn_idle"]["stack"].get(n, 0))
        lines += ["", "| node (% of one core) | worn idle | listening | busy |", "|---|---|---|---|"]
        for n in nodes:
            lines.append(f"| {n} | " + " | ".join(f"{per[s]['stack'].get(n, 0):.1f}" for s in per) + " |")
        lines.append("| **stack total** | " + " | ".join(f"**{doc[f'stack_cpu_{s}_pct']:.1f}**" for s in per) + " |")
        sims = sorted({n for s in per.values() for n in s["simulator"]})
        for n in sims:
            lines.append(f"| sim: {n} | " + " | ".join(f"{per[s]['simulator'].get(n, 0):.1f}" for s in per) + " |")
        lines.append("| simulator total | " + " | ".join(f"{doc[f'simulator_cpu_{s}_pct']:.1f}" for s in per) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--markdown", action="store_true", help="print the docs tables of bench/results/e2e.json")
    parser.add_argument("--write-scenarios", action="store_true", help="regenerate config/scenarios/e2e_*.yaml and exit")
    parser.add_argument("--out", default=str(ROOT / "out" / "bench_e2e"))
    parser.add_argument("--skip", nargs="*", default=[], choices=("s1", "g1", "cpu", "idle"))
    args = parser.parse_args()
    if args.write_scenarios:
        write_scenarios()
        return 0
    if args.markdown:
        print(markdown(json.loads((HERE / "results" / "e2e.json").read_text())))
        return 0
    import shutil

    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    # With parts skipped, the figures of the earlier run of those parts are kept.
    result_file = HERE / "results" / "e2e.json"
    previous = json.loads(result_file.read_text()) if args.skip and result_file.exists() else {}
    figures: dict = {k: v for k, v in previous.items() if k not in ("machine", "date", "cpu_model", "cpu_simd_flags")}
    if args.skip:
        figures[f"load_average_at_start_of_{'_'.join(p for p in ('s1', 'g1', 'cpu', 'idle') if p not in args.skip)}"] = [
            round(x, 2) for x in os.getloadavg()]
    else:
        figures["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    commands = 0 if not {"s1", "g1"} & set(args.skip) else previous.get("commands_total", 0)

    for variant in ("s1", "g1"):
        if variant in args.skip:
            continue
        d = out / variant
        d.mkdir(parents=True)
        scenario = SCENARIOS / f"e2e_{variant}.yaml"
        run = run_rig(scenario, d, isolated=False, record=True)
        result = latency.analyze(d / "bag")
        fig = latency.figures(result, prefix=f"{variant}_")
        commands += fig[f"{variant}_commands"]
        figures.update(fig)
        spoken = variant == "g1"
        figures[f"{variant}_budget"] = latency.budget(result, spoken=spoken)
        langs = sorted({u.lang for u in result["utterances"] if not u.wake})
        for lang in langs if len(langs) > 1 else ():  # per language, as latency.figures splits them
            figures[f"{variant}_{lang}_budget"] = latency.budget(result, spoken=spoken, lang=lang)
        if variant == "s1":
            duration = yaml.safe_load(scenario.read_text())["duration_s"]
            composed = cpu_states(run["sampler"], result["t0"], duration)
            figures["composed_process_cpu_pct"] = {s: v.get("rig_process") for s, v in composed.items()}
        else:
            # G1's cue is the earcon: the wake event plus the speaker's wait to play it (its diagnostics)
            delays = earcon_delays_ms(d / "bag")
            wake = [1000 * (u.marks["wake_event"] - u.end) for u in result["utterances"]
                    if u.wake and "wake_event" in u.marks]  # fmt: skip
            if delays and wake:
                cue = [w + float(np.median(delays)) for w in wake]
                figures["g1_wake_phrase_end_to_earcon_p50_ms"] = float(np.percentile(cue, 50))
                figures["g1_wake_phrase_end_to_earcon_p95_ms"] = float(np.percentile(cue, 95))
                figures["g1_earcon_play_delay_ms_median"] = float(np.median(delays))
        figures[f"{variant}_per_command"] = [
            {"said": u.text, "lang": u.lang, "heard": u.detail.get("transcript"), "card_title": u.detail.get("card"),
             **{k: round(1000 * (v - u.end), 1) for k, v in u.marks.items()}}
            for u in result["utterances"] if not u.wake and u.end is not None
        ]  # fmt: skip

    if "cpu" not in args.skip:
        d = out / "cpu"
        d.mkdir(parents=True)
        scenario = SCENARIOS / "e2e_cpu.yaml"
        run = run_rig(scenario, d, isolated=True, record=False)
        if run["scenario_start"] is None:
            raise SystemExit("e2e: could not read the scenario start of the isolated run")
        duration = yaml.safe_load(scenario.read_text())["duration_s"]
        states = cpu_states(run["sampler"], run["scenario_start"], duration)
        per_node, totals = {}, {}
        for state, usage in states.items():
            stack = {k: v for k, v in usage.items() if k not in SIMULATOR and k != "rig_process"}
            sim = {k: v for k, v in usage.items() if k in SIMULATOR}
            per_node[state] = {"stack": dict(sorted(stack.items(), key=lambda kv: -kv[1])), "simulator": sim,
                               "runner_and_recorder": usage.get("rig_process")}  # fmt: skip
            totals[f"stack_cpu_{state}_pct"] = round(sum(stack.values()), 2)
            totals[f"simulator_cpu_{state}_pct"] = round(sum(sim.values()), 2)
        figures.update(totals)
        figures["cpu_per_node_pct"] = per_node
        # The power model's software cost (glasses_bringup/drivers/power/model.py PowerModel.measured)
        from bench.common import cpu, machine

        MEASURED_CPU_FILE.write_text(json.dumps({
            "what": "stack CPU per node (% of one core) per wear state, isolated sim rig, bench/e2e.py",
            "stack_cpu_pct": {state: v["stack"] for state, v in per_node.items()},
            "simulator_cpu_pct": {state: v["simulator"] for state, v in per_node.items()},
            "camera_fps": yaml.safe_load((ROOT / "config" / "params" / "camera.yaml").read_text())
            ["/**/camera"]["ros__parameters"]["fps"],
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "machine": machine(), "cpu_model": cpu()["cpu_model"],
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }, indent=2) + "\n")  # fmt: skip
        figures["cpu_mode"] = "isolated: one process per node, user+system time from /proc, % of one core"

    if "idle" not in args.skip:
        from glasses_bringup.cpu import worn_idle_stack_cpu

        idle = worn_idle_stack_cpu(out / "idle")
        figures["composed_replay_worn_idle_stack_cpu_pct"] = idle["stack_pct"]
        figures["composed_replay_worn_idle_rig_cpu_pct"] = idle["replay_rig_pct"]
        figures["composed_replay_worn_idle_replayer_cpu_pct"] = idle["replayer_alone_pct"]

    figures["commands_total"] = commands
    figures["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    targets = {
        "speech_end_to_first_card_p95_ms < 600": figures.get("s1_speech_end_to_first_card_p95_ms", float("inf")) < 600,
        "wake_phrase_end_to_cue_p95_ms < 300": figures.get("s1_wake_phrase_end_to_cue_p95_ms", float("inf")) < 300,
        # the composed rig (the product's mode), replay rig so the simulator does not count; the
        # isolated per-node sum (stack_cpu_worn_idle_pct) carries one DDS participant per node
        "worn_idle_stack_cpu_pct < 25 (composed replay rig)":
            figures.get("composed_replay_worn_idle_stack_cpu_pct", float("inf")) < 25,
        "qr_in_view_to_confirm_card_p95_ms < 150": figures.get("s1_qr_in_view_to_confirm_card_p95_ms",
                                                               float("inf")) < 150,
    }  # fmt: skip
    figures["targets_met"] = targets
    write_result("e2e", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
