"""Voice benchmark: word error rate under noise, wake-word detection and false alarms,
end-of-speech -> final transcript latency through the asr node, CPU of the idle path.

Figures (bench/results/voice.json):

- WER of Whisper tiny.en (whole clip, as `glasses transcribe`) on the command set
  assets/audio/voices/* (piper joe + four espeak-ng voices, 40 clips) plus the real
  recording ../shared/data/audio/pocketsphinx_goforward.wav when present, clean and
  with pink noise at 20, 10, 5 dB SNR (seeded); the same for the JSGF grammar path;
  WER of the real recording alone.
- wake words: detection rate of "hey jarvis" / "okay nabu" spoken by piper (3 paces)
  and four espeak-ng voices, clean and at 10 / 5 dB; false alarms per hour on a long
  synthetic stream of non-wake speech (several voices) with noise; the same for a
  pocketsphinx keyphrase "hey glasses".
- asr node latency: commands of 2-4 s published in real time on audio/raw to the
  asr node (rclpy, same process); latency = wall time the final transcript arrives
  minus wall time the end-of-speech sample was published; p50 / p95 / max, with the
  default partials (every 1 s) and with partials off.
- idle always-on path: VAD + wake word cores on the long stream as fast as they
  go; process CPU time / audio time = percent of one core at the real-time rate.
  Also the vad + wake nodes on rclpy fed 30 s in real time, minus the CPU of the
  same run with only the publisher.
- two-pass English decode (alone with VOICE_BENCH_PARTS=two_pass, merged into
  voice.json): one stock 30 s pass of tiny.en against the two-pass decode on the same
  clips (clean, 25/20/10 dB, two noise seeds): WER, intent accuracy through the
  agent's offline parser, decode p50/p95, share the first pass decided; on the
  command set (where the first-pass threshold was chosen) and on the held-out
  English phrases of test/fixtures/agent/utterances_heldout.yaml in three voices.
- Chinese (zh_main; alone with VOICE_BENCH_PARTS=zh, merged into voice.json):
  character error rate of Whisper base on the real AISHELL-1 clips of
  test/fixtures/voice/zh (clean, 20/10/5 dB, lang auto and zh, short and stock
  encoder window, with and without the prompt) and on espeak-ng Mandarin as an
  extra condition; language detection on a mixed English/Chinese clip set;
  English WER on base (is tiny.en the better English path?); end of speech ->
  final latency of 2-5 s Chinese commands through the asr node with lang auto.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
os.environ.setdefault("ROS_LOG_DIR", tempfile.mkdtemp(prefix="bench_voice_roslog_"))

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from glasses_bringup.foundation.ros.domain import claim_free_domain  # noqa: E402 - before rclpy

os.environ.setdefault("ROS_DOMAIN_ID", str(claim_free_domain(101, 100)))

import numpy as np  # noqa: E402

from bench.common import percentile, write_result  # noqa: E402
from glasses_bringup.drivers.speech.tts import Synthesizer, espeak_available  # noqa: E402
from glasses_bringup.foundation.audio_io import add_noise, read_audio, to_int16  # noqa: E402
from glasses_perception.voice import asr, wer  # noqa: E402
from glasses_perception.voice.vad import VoiceActivityDetector  # noqa: E402
from glasses_perception.voice.wake import WakeWordDetector, detect_in  # noqa: E402

RATE = 16000
AUDIO = REPO / "assets" / "audio"
SHARED_AUDIO = REPO.parent / "shared" / "data" / "audio"
SNRS = (20.0, 10.0, 5.0)
sys.path.insert(0, str(AUDIO))
from make_clips import COMMANDS, ESPEAK_VOICES  # noqa: E402

# Non-wake speech for false alarms: what a wearer and people around say in a day.
CHATTER = [
    "good morning, how did you sleep",
    "the meeting moved to three thirty this afternoon",
    "can you pass me the salt please",
    "we should take the bus, the train is delayed",
    "I think the restaurant on the corner is closed on mondays",
    "let me check my calendar before I say yes",
    "the weather will be cloudy with some rain later",
    "have you seen my keys anywhere",
    "this coffee is too hot to drink right now",
    "turn left after the bridge and then go straight",
    "my phone battery is almost empty again",
    "she said the report is due on friday",
    "how much does the blue jacket cost",
    "there are three people waiting in line ahead of us",
    "jasmine rice and soy sauce are on the second shelf",
    "hey, are you coming to the party tonight",
    "okay, that sounds like a good plan",
    "the jar is on the top shelf in the kitchen",
    "a nice view from the top of the hill",
    "hey there, long time no see",
    "okay now, let us start the presentation",
    "my neighbor travels to Jarvis Street every day",
    "the nurse booked an appointment for next week",
    "please remember to water the plants",
    "the new album sounds better than the last one",
]


def command_set() -> list[tuple[str, str, np.ndarray]]:
    """(voice, reference text, samples) for every clip of the WER set."""
    out = []
    for voice_dir in sorted((AUDIO / "voices").iterdir()):
        for stem, text in COMMANDS.items():
            path = voice_dir / f"{stem}.wav"
            if path.exists():
                out.append((voice_dir.name, text, read_audio(path)))
    real = SHARED_AUDIO / "pocketsphinx_goforward.wav"
    if real.exists():
        out.append(("real:pocketsphinx_goforward", "go forward ten meters", read_audio(real)))
    return out


def wer_figures(figures: dict) -> None:
    clips = command_set()
    whisper = asr.WhisperRecognizer()
    grammar = asr.GrammarRecognizer()
    rng_seed = 1234
    print(f"WER set: {len(clips)} clips", flush=True)
    for cond in ("clean", *[f"snr{int(s)}" for s in SNRS]):
        rng = np.random.default_rng(rng_seed)
        refs, hyp_w, hyp_g, decode = [], [], [], []
        per_voice: dict[str, list[tuple[str, str]]] = {}
        for voice, ref, x in clips:
            if cond != "clean":
                x = add_noise(x, float(cond[3:]), rng)
            rw = whisper.recognize(x)
            rg = grammar.recognize(x)
            refs.append(ref)
            hyp_w.append(rw.text)
            hyp_g.append(rg.text)
            decode.append(rw.decode_ms)
            per_voice.setdefault(voice, []).append((ref, rw.text))
        figures[f"wer_{cond}_percent"] = 100.0 * wer.wer(refs, hyp_w)
        figures[f"wer_grammar_{cond}_percent"] = 100.0 * wer.wer(refs, hyp_g)
        figures[f"whisper_decode_{cond}_p50_ms"] = percentile(decode, 50)
        for voice, pairs in per_voice.items():
            key = voice.replace("real:", "real_").replace("-", "_")
            figures[f"wer_{cond}_{key}_percent"] = 100.0 * wer.wer([r for r, _ in pairs], [h for _, h in pairs])
        errors = [(r, h) for r, h in zip(refs, hyp_w, strict=True) if wer.word_errors(r, h)[0]]
        print(
            f"{cond}: whisper WER {figures[f'wer_{cond}_percent']:.1f} %, grammar {figures[f'wer_grammar_{cond}_percent']:.1f} %; errors: {errors[:8]}",
            flush=True,
        )
    figures["wer_clips"] = len(clips)
    figures["wer_reference_words"] = sum(len(wer.normalize(r).split()) for _, r, _ in clips)


def wake_clips() -> list[tuple[str, str, np.ndarray]]:
    """(phrase, voice, samples) of the wake phrases in several voices and paces."""
    out = []
    for phrase in ("hey jarvis", "okay nabu"):
        for pace in (0.9, 1.0, 1.2):
            x, _ = Synthesizer(engine="piper", rate=RATE, length_scale=pace).synthesize(phrase)
            out.append((phrase, f"joe_{pace}", x))
        if espeak_available():
            for voice in ESPEAK_VOICES:
                x, _ = Synthesizer(engine="espeak", espeak_voice=voice, rate=RATE).synthesize(phrase)
                out.append((phrase, voice, x))
    return out


def chatter_stream(minutes: float, rng) -> np.ndarray:
    """Long non-wake speech: chatter sentences in rotating voices with pauses, plus the commands."""
    synths = [Synthesizer(engine="piper", rate=RATE)]
    if espeak_available():
        synths += [Synthesizer(engine="espeak", espeak_voice=v, rate=RATE) for v in ESPEAK_VOICES]
    cache = [s.synthesize(t)[0] for t in CHATTER + list(COMMANDS.values()) for s in synths]
    parts, total = [], 0
    target = int(minutes * 60 * RATE)
    while total < target:
        x = cache[rng.integers(len(cache))]
        pause = np.zeros(int(RATE * rng.uniform(0.2, 2.0)), np.float32)
        parts += [x / (np.max(np.abs(x)) + 1e-9) * rng.uniform(0.2, 0.8), pause]
        total += x.size + pause.size
    return np.concatenate(parts)[:target].astype(np.float32)


def wake_figures(figures: dict, stream: np.ndarray) -> None:
    clips = wake_clips()
    pad = np.zeros(RATE // 2, np.float32)
    for cond in ("clean", "snr10", "snr5"):
        rng = np.random.default_rng(7)
        hits = 0
        for phrase, _voice, x in clips:
            y = np.concatenate([pad, x / (np.max(np.abs(x)) + 1e-9) * 0.7, pad])
            if cond != "clean":
                y = add_noise(y, float(cond[3:]), rng)
            found = detect_in(y, WakeWordDetector())
            hits += any(h.phrase == phrase for h in found)
        figures[f"wake_detection_rate_{cond}"] = hits / len(clips)
    figures["wake_clips"] = len(clips)
    # keyphrase "hey glasses" (pocketsphinx), same voices
    kp_clips = []
    kp_clips.append(Synthesizer(engine="piper", rate=RATE).synthesize("hey glasses")[0])
    if espeak_available():
        kp_clips += [
            Synthesizer(engine="espeak", espeak_voice=v, rate=RATE).synthesize("hey glasses")[0] for v in ESPEAK_VOICES
        ]
    kp_hits = 0
    for x in kp_clips:
        y = np.concatenate([pad, x / (np.max(np.abs(x)) + 1e-9) * 0.7, pad])
        kp_hits += bool(detect_in(y, WakeWordDetector(models=[], keyphrases=["hey glasses"])))
    figures["keyphrase_detection_rate_clean"] = kp_hits / len(kp_clips)
    hours = stream.size / RATE / 3600.0
    noisy = add_noise(stream, 10.0, np.random.default_rng(11))
    for name, x in (("clean", stream), ("snr10", noisy)):
        fa = detect_in(x, WakeWordDetector())
        figures[f"wake_false_alarms_per_hour_{name}"] = len(fa) / hours
        kfa = detect_in(x, WakeWordDetector(models=[], keyphrases=["hey glasses"]))
        figures[f"keyphrase_false_alarms_per_hour_{name}"] = len(kfa) / hours
        print(
            f"false alarms {name}: micro {[(round(h.stamp, 1), h.phrase) for h in fa]}, keyphrase {len(kfa)}",
            flush=True,
        )
    figures["false_alarm_stream_minutes"] = stream.size / RATE / 60.0


def idle_cpu_figures(figures: dict, stream: np.ndarray) -> None:
    vad = VoiceActivityDetector()
    wake = WakeWordDetector()
    chunk = 320
    t_cpu = time.process_time()
    t_wall = time.perf_counter()
    for i in range(0, stream.size, chunk):
        block = stream[i : i + chunk]
        # the nodes get int16 chunks and convert them
        pcm = to_int16(block)
        x = pcm.astype(np.float32) / 32768.0
        vad.feed(x, i / RATE)
        wake.feed(x, i / RATE)
    cpu = time.process_time() - t_cpu
    wall = time.perf_counter() - t_wall
    audio_s = stream.size / RATE
    figures["idle_path_cpu_percent_of_core"] = 100.0 * cpu / audio_s
    figures["idle_path_audio_s"] = audio_s
    figures["idle_path_speed_x_realtime"] = audio_s / wall


def idle_nodes_cpu_figures(figures: dict, stream: np.ndarray, seconds: float = 30.0) -> None:
    """CPU of the vad + wake nodes on rclpy at real time, minus a publisher-only baseline."""
    from sensor_msgs.msg import Image

    from glasses_bringup.foundation.audio_format import AudioCaps
    from glasses_bringup.foundation.ros.msgs import audio_msg, from_sec
    from glasses_bringup.foundation.testing import RosHarness, wait_for
    from glasses_perception.nodes.vad_node import VadNode
    from glasses_perception.nodes.wake_node import WakeNode

    audio = stream[: int(seconds * RATE)]
    caps = AudioCaps()

    def run(with_nodes: bool) -> float:
        harness = RosHarness()
        try:
            if with_nodes:
                harness.add(VadNode(namespace="/glasses"))
                harness.add(WakeNode(namespace="/glasses"))
            pub = harness.publisher("audio/raw", Image)
            if with_nodes:
                wait_for(lambda: pub.get_subscription_count() >= 2, 5)
            t0 = time.perf_counter()
            c0 = time.process_time()
            for i in range(0, audio.size, 320):
                delay = t0 + i / RATE - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pub.publish(audio_msg(caps, to_int16(audio[i : i + 320]), from_sec(100.0 + i / RATE), "mic_array"))
            time.sleep(0.2)
            return time.process_time() - c0
        finally:
            harness.close()

    base = run(False)
    full = run(True)
    figures["idle_path_nodes_cpu_percent_of_core"] = 100.0 * (full - base) / seconds
    figures["idle_path_nodes_publisher_baseline_cpu_percent_of_core"] = 100.0 * base / seconds


def latency_figures(figures: dict, n_commands: int = 24, partials: bool = True, clips=None, lang: str = "en",
                    prefix: str = "asr", wer_fn=None) -> None:  # fmt: skip
    import rclpy
    from sensor_msgs.msg import Image

    from glasses_bringup.foundation import events as ev
    from glasses_bringup.foundation.audio_format import AudioCaps
    from glasses_bringup.foundation.ros.msgs import audio_msg, from_sec
    from glasses_bringup.foundation.testing import RosHarness, wait_for
    from glasses_perception.nodes.asr_node import AsrNode

    if clips is None:  # 2-4 s commands, alternating voices
        eligible = [(v, t, x) for v, t, x in command_set() if 2.0 <= x.size / RATE <= 4.0]
        eligible.sort(key=lambda c: (list(COMMANDS.values()).index(c[1]) if c[1] in COMMANDS.values() else 99, c[0]))
        clips = eligible[:n_commands]
    wer_fn = wer_fn or wer.wer
    harness = RosHarness()
    try:
        overrides = [rclpy.parameter.Parameter("always_listen", value=True),
                     rclpy.parameter.Parameter("lang", value=lang)]  # fmt: skip
        if not partials:
            overrides.append(rclpy.parameter.Parameter("partial_interval_s", value=0.0))
        node = harness.add(AsrNode(namespace="/glasses", parameter_overrides=overrides))
        got = harness.collect_events("perception/transcript", ev.Transcript)
        pub = harness.publisher("audio/raw", Image)
        wait_for(lambda: pub.get_subscription_count() >= 1, 5)
        caps = AudioCaps()
        stream = np.concatenate([np.concatenate([x, np.zeros(RATE, np.float32)]) for _, _, x in clips])
        t0 = time.perf_counter() + 0.2
        stamp0 = 1000.0
        arrivals: dict[int, float] = {}

        def on_final():
            n = 0
            while n < len(clips):
                finals = [t for t in got if t.final]
                for t in finals[n:]:
                    arrivals[t.utterance_id] = time.perf_counter()
                n = len(finals)
                time.sleep(0.002)

        watcher = threading.Thread(target=on_final, daemon=True)
        watcher.start()
        for i in range(0, stream.size, 320):
            due = t0 + i / RATE
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            block = to_int16(stream[i : i + 320])
            pub.publish(audio_msg(caps, block, from_sec(stamp0 + i / RATE), "mic_array"))
        wait_for(lambda: len([t for t in got if t.final]) >= len(clips), 10)
        watcher.join(timeout=2)
        finals = [t for t in got if t.final]
        external, internal, refs, hyps = [], [], [], []
        for t in finals:
            end_published_wall = t0 + (t.audio_end - stamp0)
            if t.utterance_id in arrivals:
                external.append((arrivals[t.utterance_id] - end_published_wall) * 1000.0)
            internal.append(t.latency_ms)
            hyps.append(t.text)
        refs = [r for _, r, _ in clips]
        tag = "" if partials else "_no_partials"
        p = prefix
        figures[f"{p}_commands"] = len(clips)
        figures[f"{p}{tag}_finals"] = len(finals)
        figures[f"{p}_final_latency{tag}_p50_ms"] = percentile(external, 50)
        figures[f"{p}_final_latency{tag}_p95_ms"] = percentile(external, 95)
        figures[f"{p}_final_latency{tag}_max_ms"] = max(external) if external else float("nan")
        figures[f"{p}_final_latency{tag}_node_reported_p50_ms"] = percentile(internal, 50)
        figures[f"{p}{tag}_partials"] = len([t for t in got if not t.final])
        if len(hyps) == len(refs):
            kind = "cer" if wer_fn is not wer.wer else "wer"
            figures[f"{p}{tag}_streaming_{kind}_clean_percent"] = 100.0 * wer_fn(refs, hyps)
        figures[f"{p}{tag}_stale_partials_skipped"] = node.health.drops.get("stale_partials", 0)
        print(f"latency ms external {np.round(external, 0).tolist()}", flush=True)
        print("finals:", [t.text for t in finals], flush=True)
    finally:
        harness.close()


# --- Chinese ----------------------------------------------------------------------------

ZH_REAL_DIR = REPO / "test" / "fixtures" / "voice" / "zh"
# AISHELL-1 test utterances (real read Mandarin): the real-speech set, never tuned on
ZH_REAL = {
    "aishell1_BAC009S0764W0121.flac": "甚至出现交易几乎停滞的情况",
    "aishell1_BAC009S0764W0122.flac": "一二线城市虽然也处于调整中",
}
NOISE_SEEDS = (1, 2, 3)


def heldout_commands(lang: str) -> list[str]:
    import yaml

    rows = yaml.safe_load((REPO / "test" / "fixtures" / "agent" / "utterances_heldout.yaml").read_text())
    return [r["text"] for r in rows if r["lang"] == lang]


def zh_real_set() -> list[tuple[str, str, np.ndarray]]:
    return [("real:" + name.split("_", 1)[1].split(".")[0], ref, read_audio(ZH_REAL_DIR / name))
            for name, ref in ZH_REAL.items()]  # fmt: skip


def zh_synthetic_set() -> list[tuple[str, str, np.ndarray]]:
    """The held-out Chinese commands (written for the parser) in espeak-ng's Mandarin voice."""
    if not espeak_available():
        return []
    synth = Synthesizer(engine="espeak", rate=RATE)
    pad = np.zeros(RATE // 2, np.float32)
    out = []
    for text in heldout_commands("zh"):
        x, _ = synth.synthesize(text, "zh")
        out.append(("espeak:cmn-latn-pinyin", text, np.concatenate([pad, x / (np.max(np.abs(x)) + 1e-9) * 0.7, pad])))
    return out


def zh_scenario_set() -> list[tuple[str, str, np.ndarray]]:
    from make_clips import ZH_COMMANDS

    return [("scenario", text, read_audio(AUDIO / "zh" / f"{stem}.wav")) for stem, text in ZH_COMMANDS.items()]


def _cer_run(recognizer, clips, cond: str, lang: str) -> tuple[float, list[float], list]:
    refs, hyps, decode = [], [], []
    seeds = NOISE_SEEDS if cond != "clean" else (0,)
    for seed in seeds:
        rng = np.random.default_rng(seed)
        for _voice, ref, x in clips:
            y = x if cond == "clean" else add_noise(x, float(cond[3:]), rng)
            res = recognizer.transcribe(y, lang)
            refs.append(ref)
            hyps.append(res.text)
            decode.append(res.decode_ms)
    errors = [(r, h) for r, h in zip(refs, hyps, strict=True) if wer.char_errors(r, h)[0]]
    return 100.0 * wer.cer(refs, hyps), decode, errors


def zh_cer_figures(figures: dict) -> None:
    real, synthetic, scenario = zh_real_set(), zh_synthetic_set(), zh_scenario_set()
    recognizer = asr.WhisperRecognizer(lang="auto")
    figures["cer_zh_real_clips"] = len(real)
    figures["cer_zh_real_reference_chars"] = sum(len(wer.normalize_zh(r)) for _, r, _ in real)
    for cond in ("clean", *[f"snr{int(s)}" for s in SNRS]):
        for lang in ("auto", "zh"):
            cer, decode, errors = _cer_run(recognizer, real, cond, lang)
            key = f"cer_zh_{cond}_percent" if lang == "auto" else f"cer_zh_{cond}_lang_zh_percent"
            figures[key] = cer
            if lang == "auto":
                figures[f"whisper_base_decode_zh_{cond}_p50_ms"] = percentile(decode, 50)
            print(f"zh real {cond} lang={lang}: CER {cer:.1f} %; errors {errors[:4]}", flush=True)
    # the stock 30 s encoder window, for comparison with the default short window
    stock = asr.WhisperRecognizer(lang="auto", min_window_s=30.0)
    for cond in ("clean", "snr10"):
        cer, decode, _ = _cer_run(stock, real, cond, "auto")
        figures[f"cer_zh_{cond}_window30_percent"] = cer
        figures[f"whisper_base_decode_zh_{cond}_window30_p50_ms"] = percentile(decode, 50)
        print(f"zh real {cond} window 30 s: CER {cer:.1f} %, decode p50 {percentile(decode, 50):.0f} ms", flush=True)
    # synthetic voice: an extra condition only
    for name, clips in (("synthetic", synthetic), ("scenario", scenario)):
        if not clips:
            continue
        cer, decode, errors = _cer_run(recognizer, clips, "clean", "auto")
        figures[f"cer_zh_{name}_clean_percent"] = cer
        figures[f"cer_zh_{name}_clips"] = len(clips)
        print(f"zh {name} clean: CER {cer:.1f} %; errors {errors[:6]}", flush=True)
        cer, _, errors = _cer_run(recognizer, clips, "clean", "zh")
        figures[f"cer_zh_{name}_clean_lang_zh_percent"] = cer
        print(f"zh {name} clean lang=zh: CER {cer:.1f} %; errors {errors[:6]}", flush=True)
    no_prompt = asr.WhisperRecognizer(lang="auto", prompts={"zh": ""})
    for name, clips in (("real", real), ("synthetic", synthetic), ("scenario", scenario)):
        if clips:
            cer, _, _ = _cer_run(no_prompt, clips, "clean", "auto")
            figures[f"cer_zh_{name}_clean_no_prompt_percent"] = cer
            print(f"zh {name} clean, no prompt: CER {cer:.1f} %", flush=True)


def english_base_figures(figures: dict) -> None:
    """English on the multilingual base instead of tiny.en: is tiny.en the better English path?"""
    clips = command_set()
    base = asr.WhisperRecognizer(lang="auto", english_model=None)
    refs, hyps, decode = [], [], []
    for _voice, ref, x in clips:
        res = base.transcribe(x, "en")
        refs.append(ref)
        hyps.append(res.text)
        decode.append(res.decode_ms)
    figures["wer_clean_whisper_base_percent"] = 100.0 * wer.wer(refs, hyps)
    figures["whisper_base_decode_en_clean_p50_ms"] = percentile(decode, 50)
    print(f"English on base: WER {figures['wer_clean_whisper_base_percent']:.1f} %", flush=True)


TWO_PASS_CONDITIONS = ("clean", 25.0, 20.0, 10.0)
TWO_PASS_SEEDS = (1, 2)
HELDOUT_VOICES = (("piper", None), ("espeak", "en-us"), ("espeak", "en-gb-x-rp"))


def heldout_english_set() -> list[tuple[str, str, np.ndarray]]:
    """The held-out English commands (written for the parser, never used to tune the ASR) in three voices."""
    pad = np.zeros(RATE // 2, np.float32)
    out = []
    for engine, voice in HELDOUT_VOICES:
        if engine == "espeak" and not espeak_available():
            continue
        options = {"espeak_voice": voice} if voice else {}
        synth = Synthesizer(engine=engine, rate=RATE, **options)
        for text in heldout_commands("en"):
            x, _ = synth.synthesize(text, "en")
            x = (x / (np.max(np.abs(x)) + 1e-9) * 0.7).astype(np.float32)
            out.append((f"{engine}:{voice or 'joe'}", text, np.concatenate([pad, x, pad])))
    return out


def two_pass_figures(figures: dict) -> None:
    """English: one stock 30 s pass of tiny.en against the two-pass decode (20 s first pass, taken when
    sure), on the same clips: WER, intent accuracy (the agent's offline parser on the transcript against
    its parse of the reference), decode time, share the first pass decided. Split: the command set
    (``tune``: the threshold was chosen there) and the held-out phrases in three voices (``heldout``)."""
    from glasses_agent import intents

    stock = asr.WhisperRecognizer(first_pass_window_s=asr.MAX_WINDOW_S)
    two = asr.WhisperRecognizer()
    parsed: dict[str, str] = {}

    def intent(text: str) -> str:
        if text not in parsed:
            parsed[text] = intents.parse(text, "en").intent
        return parsed[text]

    for split, clips in (("tune", command_set()), ("heldout", heldout_english_set())):
        rows = {"stock": ([], [], []), "two_pass": ([], [], [])}  # refs, hyps, decode ms
        taken = total = 0
        for cond in TWO_PASS_CONDITIONS:
            for seed in (0,) if cond == "clean" else TWO_PASS_SEEDS:
                for i, (_voice, ref, x) in enumerate(clips):
                    xx = x if cond == "clean" else add_noise(x, cond, np.random.default_rng(seed * 1000 + i))
                    for name, rec in (("stock", stock), ("two_pass", two)):
                        res = rec.recognize(xx)
                        rows[name][0].append(ref)
                        rows[name][1].append(res.text)
                        rows[name][2].append(res.decode_ms)
                        if name == "two_pass":
                            taken += res.passes == 1
                            total += 1
        for name, (refs, hyps, decode) in rows.items():
            key = f"english_{name}_{split}"
            figures[f"{key}_wer_percent"] = 100.0 * wer.wer(refs, hyps)
            figures[f"{key}_intent_accuracy_percent"] = 100.0 * float(np.mean([intent(h) == intent(r)
                                                                                 for r, h in zip(refs, hyps, strict=True)]))  # fmt: skip
            figures[f"{key}_decode_p50_ms"] = percentile(decode, 50)
            figures[f"{key}_decode_p95_ms"] = percentile(decode, 95)
        figures[f"english_two_pass_{split}_first_pass_taken_percent"] = 100.0 * taken / max(total, 1)
        figures[f"english_two_pass_{split}_decodes"] = total
        print(f"two-pass English ({split}, {total} decodes): WER stock {figures[f'english_stock_{split}_wer_percent']:.1f} % "
              f"vs {figures[f'english_two_pass_{split}_wer_percent']:.1f} %, intent "
              f"{figures[f'english_stock_{split}_intent_accuracy_percent']:.1f} % vs "
              f"{figures[f'english_two_pass_{split}_intent_accuracy_percent']:.1f} %, decode p50 "
              f"{figures[f'english_stock_{split}_decode_p50_ms']:.0f} vs {figures[f'english_two_pass_{split}_decode_p50_ms']:.0f} ms, "
              f"first pass taken {figures[f'english_two_pass_{split}_first_pass_taken_percent']:.0f} %", flush=True)  # fmt: skip


def langid_figures(figures: dict) -> None:
    """Language detection (lang auto) on a mixed English/Chinese set, one clip at a time."""
    recognizer = asr.WhisperRecognizer(lang="auto")
    en = [(v, t, x) for v, t, x in command_set()]
    joe = Synthesizer(engine="piper", rate=RATE)
    en += [("joe:heldout", t, joe.synthesize(t)[0]) for t in heldout_commands("en")]
    zh = zh_real_set() + zh_synthetic_set() + zh_scenario_set()
    results = {"en": [], "zh": []}
    real_hits = []
    for truth, clips in (("en", en), ("zh", zh)):
        for voice, _text, x in clips:
            got = recognizer.transcribe(x, "auto").lang
            results[truth].append(got == truth)
            if voice.startswith("real:"):
                real_hits.append(got == truth)
    total = results["en"] + results["zh"]
    figures["langid_clips"] = len(total)
    figures["langid_accuracy"] = sum(total) / len(total)
    figures["langid_accuracy_en"] = sum(results["en"]) / len(results["en"])
    figures["langid_accuracy_zh"] = sum(results["zh"]) / len(results["zh"])
    figures["langid_accuracy_real_recordings"] = sum(real_hits) / len(real_hits) if real_hits else float("nan")
    figures["langid_clips_en"], figures["langid_clips_zh"] = len(results["en"]), len(results["zh"])
    print(f"language detection: {figures['langid_accuracy']:.3f} ({len(total)} clips)", flush=True)


def zh_latency_figures(figures: dict) -> None:
    """End of speech -> final for 2-5 s Chinese commands through the asr node with lang auto."""
    clips = [c for c in zh_real_set() + zh_synthetic_set() + zh_scenario_set() if 2.0 <= c[2].size / RATE <= 5.0]
    latency_figures(figures, clips=clips, lang="auto", prefix="asr_zh", wer_fn=wer.cer)


def zh_main() -> dict:
    figures: dict = {}
    t = time.perf_counter()
    figures["zh_load_average_1min_at_start"] = os.getloadavg()[0]
    zh_latency_figures(figures)
    zh_cer_figures(figures)
    langid_figures(figures)
    english_base_figures(figures)
    figures["zh_bench_wall_s"] = time.perf_counter() - t
    return figures


def merge_part(part_figures: dict, date_key: str) -> None:
    """A part run alone: its figures merged into the last full result, with their own date."""
    import datetime
    import json

    from bench.common import RESULTS

    figures = json.loads((RESULTS / "voice.json").read_text()) if (RESULTS / "voice.json").exists() else {}
    figures.update(part_figures)
    figures[date_key] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    date = figures.pop("date", None)
    figures.pop("machine", None)
    path = write_result("voice", figures)
    if date:  # keep the date of the full run
        doc = json.loads(path.read_text())
        doc["date"] = date
        path.write_text(json.dumps(doc, indent=2) + "\n")


def main() -> int:
    if os.environ.get("VOICE_BENCH_PARTS") == "two_pass":
        part: dict = {"two_pass_load_average_1min_at_start": os.getloadavg()[0]}
        two_pass_figures(part)
        merge_part(part, "two_pass_date")
        return 0
    if os.environ.get("VOICE_BENCH_PARTS") == "zh":
        merge_part(zh_main(), "zh_date")
        return 0
    figures: dict = {}
    t = time.perf_counter()
    load = os.getloadavg()[0]
    stream = chatter_stream(
        minutes=float(os.environ.get("VOICE_BENCH_CHATTER_MIN", "20")), rng=np.random.default_rng(3)
    )
    idle_cpu_figures(figures, stream)
    print(f"idle path: {figures['idle_path_cpu_percent_of_core']:.2f} % of a core", flush=True)
    idle_nodes_cpu_figures(figures, stream)
    print(f"idle path nodes: {figures['idle_path_nodes_cpu_percent_of_core']:.2f} % of a core", flush=True)
    latency_figures(figures)
    latency_figures(figures, partials=False)
    wer_figures(figures)
    two_pass_figures(figures)
    wake_figures(figures, stream)
    figures.update(zh_main())
    figures["load_average_1min_at_start"] = load
    figures["bench_wall_s"] = time.perf_counter() - t
    write_result("voice", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
