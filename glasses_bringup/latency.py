"""End-to-end latency of a recorded sim run, from the stamps in its bag.

Ground truth comes from the bag too: ``sim/scenario`` says when each timeline
entry happened (scenario start = stamp - at), and the recorded ``audio/raw``
says where each utterance's speech really ends (the last 10 ms frame within 20 dB
of the utterance's loudest frame), whatever produced the speech (clip or
synthesis). What the stack did is read at the recorder's receive times (bag log
times, the same clock as the stamps): the wake event, the VAD end, the final
transcript, the intent, the card event, the rendered HUD frame (display/image
carries the stamp of the card it draws) and the first spoken audio
(speaker/state ``speaking``); on the S1 also the transcript decoded at the pause
(``at_pause``) and its provisional ("heard") card. The first card of a command is
the earlier of the provisional card and the answer card on the HUD.

``analyze(bag)`` returns one record per wake phrase, command and code shown;
``figures(records)`` the percentiles; ``budget(records)`` where the time of a
command goes, stage by stage.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from glasses_bringup.bag import raw_messages
from glasses_bringup.foundation.audio_format import AudioFormatError, samples_from
from glasses_bringup.foundation.events import CARD_HEARD, PROVISIONAL_CARD_KINDS

WAKE_PHRASES = ("hey jarvis", "okay nabu", "hey mycroft", "alexa")
FRAME_S = 0.01
SPEECH_DB_BELOW_PEAK = 20.0


@dataclass
class Run:
    """What a bag says about a run: events with their log times, HUD frames, audio."""

    namespace: str
    t0: float = 0.0  # wall time of scenario t=0
    events: dict[str, list[tuple[float, dict]]] = field(default_factory=lambda: defaultdict(list))
    hud: list[tuple[float, float]] = field(default_factory=list)  # (log time, header stamp)
    audio: list[tuple[float, np.ndarray]] = field(default_factory=list)  # (stamp, mono float)

    def topic(self, rel: str) -> list[tuple[float, dict]]:
        return self.events.get(f"{self.namespace}/{rel}", [])


def read_run(bag, namespace: str = "/glasses") -> Run:
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS2_KILTED)
    run = Run(namespace)
    audio_topic, hud_topic = f"{namespace}/audio/raw", f"{namespace}/display/image"
    for topic, msgtype, log_ns, data in raw_messages(bag):
        t = log_ns * 1e-9
        if msgtype == "std_msgs/msg/String":
            try:
                run.events[topic].append((t, json.loads(store.deserialize_cdr(data, msgtype).data)))
            except (ValueError, KeyError):
                continue
        elif topic in (audio_topic, hud_topic):
            msg = store.deserialize_cdr(data, msgtype)
            stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
            if topic == hud_topic:
                run.hud.append((t, stamp))
                continue
            try:
                caps, samples = samples_from(msg.encoding, msg.width, msg.step, bytes(msg.data))
            except AudioFormatError:
                continue
            mono = samples.astype(np.float32).mean(axis=1)
            if caps.sample_format == "S16LE":
                mono /= 32768.0
            run.audio.append((stamp, mono))
    for _, e in run.topic("sim/scenario"):
        run.t0 = e["stamp"] - e["at"]
        break
    run.audio.sort(key=lambda a: a[0])
    return run


def speech_end(run: Run, start: float, stop: float, rate: int = 16000) -> float | None:
    """Wall/audio time where speech between ``start`` and ``stop`` ends (None: no speech found)."""
    chunks = [(s, a) for s, a in run.audio if start - 0.05 <= s < stop]
    if not chunks:
        return None
    first = chunks[0][0]
    signal = np.concatenate([a for _, a in chunks])
    n = int(FRAME_S * rate)
    frames = signal[: len(signal) // n * n].reshape(-1, n)
    rms = np.sqrt(np.mean(np.square(frames), axis=1)) + 1e-9
    loud = np.nonzero(20 * np.log10(rms / rms.max()) > -SPEECH_DB_BELOW_PEAK)[0]
    if not loud.size:
        return None
    return first + (loud[-1] + 1) * FRAME_S


def _first(items, after: float, before: float, pred=lambda e: True):
    for t, e in items:
        if after <= t < before and pred(e):
            return t, e
    return None


@dataclass
class Utterance:
    at: float  # scenario time
    text: str
    start: float  # wall time the utterance starts
    end: float | None  # wall time the speech ends (from the audio)
    wake: bool
    lang: str = "en"  # the language the scenario speaks it in
    marks: dict[str, float] = field(default_factory=dict)  # stage -> wall time
    detail: dict = field(default_factory=dict)


def analyze(bag, namespace: str = "/glasses") -> dict:
    """Per-utterance and per-code timings of a recorded run."""
    run = read_run(bag, namespace)
    scenario = [e for _, e in run.topic("sim/scenario")]
    says = [e for e in scenario if e["kind"] == "say"]
    shows = [e for e in scenario if e["kind"] == "show"]
    cards = run.topic("display/card")
    hud = sorted(run.hud)

    def rendered(card_log: float, card: dict) -> float | None:
        for t, stamp in hud:
            if t >= card_log - 0.001 and abs(stamp - card["stamp"]) < 1e-6:
                return t
        return None

    def mark_card(u: Utterance, hit, mark: str, hud_mark: str) -> None:
        """A card event found for ``u``: when it went out, its title, when the HUD first drew it."""
        if hit:
            u.marks[mark] = hit[0]
            u.detail[mark] = hit[1]["title"]
            shown = rendered(hit[0], hit[1])
            if shown is not None:
                u.marks[hud_mark] = shown

    utterances = []
    for i, e in enumerate(says):
        start = run.t0 + e["at"]
        nxt = run.t0 + says[i + 1]["at"] if i + 1 < len(says) else start + 15.0
        text = e["details"]["text"]
        u = Utterance(e["at"], text, start, speech_end(run, start, nxt), text.lower() in WAKE_PHRASES,
                      e["details"].get("lang") or "en")
        horizon = nxt + (3.0 if u.wake else 6.0)
        if u.end is None:
            utterances.append(u)
            continue
        if u.wake:
            hit = _first(run.topic("perception/wake"), start, horizon, lambda w: w.get("reason") == "wake_word")
            if hit:
                u.marks["wake_event"] = hit[0]
                u.detail["wake_stamp"] = hit[1]["stamp"]
            cue = _first(cards, start, horizon, lambda c: str(c.get("card_id", "")).startswith("listening"))
            if cue:
                u.marks["cue_card"] = cue[0]
                shown = rendered(cue[0], cue[1])
                if shown is not None:
                    u.marks["cue_hud"] = shown
        else:
            vad = _first(run.topic("perception/vad"), u.end - 0.5, horizon, lambda v: v.get("state") == "end")
            if vad:
                u.marks["vad_end_event"] = vad[0]
                u.detail["vad_detected_at"] = vad[1]["stamp"]
                u.detail["vad_speech_end"] = vad[1].get("speech_end")
            final = _first(run.topic("perception/transcript"), start, horizon,
                           lambda tr, s=start: tr.get("final") and tr.get("audio_end", 0) > s)  # fmt: skip
            # the provisional card of the last pause transcript before the final (speech may go on
            # after an earlier pause: that pause's card is not an answer to the whole command)
            until = final[0] if final else horizon
            pauses = [(t, tr) for t, tr in run.topic("perception/transcript")
                      if start <= t <= until and tr.get("at_pause") and tr.get("audio_end", 0) > start]  # fmt: skip
            if pauses:
                t_pause, pause = pauses[-1]
                u.marks["pause_transcript"] = t_pause
                u.detail["pause_text"] = pause["text"]
                heard = _first(cards, t_pause - 0.001, until + 0.001, lambda c: c.get("kind") == CARD_HEARD)
                mark_card(u, heard, "heard_card", "heard_hud")
            if final:
                u.marks["final_transcript"] = final[0]
                u.detail.update(transcript=final[1]["text"], asr_latency_ms=final[1].get("latency_ms"),
                                utterance_id=final[1].get("utterance_id"))  # fmt: skip
                after = final[0] - 0.001
                intent = _first(run.topic("agent/intent"), after, horizon)
                if intent:
                    u.marks["intent"] = intent[0]
                    u.detail["intent"] = intent[1]["intent"]
                mark_card(u, _first(cards, after, horizon, is_answer_card), "card", "card_hud")
                say = _first(run.topic("speaker/say"), after, horizon)
                if say:
                    u.marks["say"] = say[0]
                speaking = _first(run.topic("speaker/state"), after, horizon, lambda s: s.get("state") == "speaking")
                if speaking:
                    u.marks["first_audio"] = speaking[0]
        firsts = [u.marks[m] for m in ("heard_hud", "card_hud") if m in u.marks]
        if firsts:
            u.marks["first_card_hud"] = min(firsts)
        utterances.append(u)

    codes = []
    for e in shows:
        if e["details"].get("kind") != "qr":
            continue
        shown_at = run.t0 + e["at"]
        until = shown_at + float(e["details"].get("duration_s", 3.0)) + 2.0
        rec = {"at": e["at"], "in_view": shown_at}
        code = _first(run.topic("perception/codes"), shown_at, until, lambda c: c.get("kind") == "payment")
        if code:
            rec["code_event"] = code[0]
            rec["frame_stamp"] = code[1]["stamp"]
        card = _first(cards, shown_at, until, lambda c: c.get("kind") == "confirm")
        if card:
            rec["confirm_card"] = card[0]
            rec["title"] = card[1]["title"]
            shown = rendered(card[0], card[1])
            if shown is not None:
                rec["confirm_hud"] = shown
        codes.append(rec)
    return {"t0": run.t0, "utterances": utterances, "codes": codes, "run": run}


def is_answer_card(card: dict) -> bool:
    """A card that answers a command: not the listening cue, a provisional card or a removal."""
    return not str(card.get("card_id", "")).startswith("listening") and card.get("kind") not in PROVISIONAL_CARD_KINDS


def _ms(values) -> list[float]:
    return [1000.0 * v for v in values if v is not None]


def since_end(utterances, mark: str, wake: bool) -> list[float]:
    return _ms(u.marks[mark] - u.end for u in utterances if u.wake == wake and u.end is not None and mark in u.marks)


def pct(values, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def _percentiles(out: dict, key: str, values: list[float]) -> None:
    if values:
        out.update({f"{key}_p50_ms": pct(values, 50), f"{key}_p95_ms": pct(values, 95), f"{key}_max_ms": max(values),
                    f"{key}_n": len(values)})  # fmt: skip


def said_as_heard(said: str, heard: str | None) -> bool:
    """The final transcript has the scenario's words (case, spaces and punctuation aside)."""

    def words(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalnum())

    return heard is not None and words(said) == words(heard)


def figures(result: dict, prefix: str = "") -> dict:
    """The headline percentiles (ms) and the counts behind them; with commands in more than
    one language, the command figures of each language too (``{prefix}{lang}_...``)."""
    us = result["utterances"]
    out: dict = {}
    qr = _ms(c["confirm_hud"] - c["in_view"] for c in result["codes"] if "confirm_hud" in c)
    _percentiles(out, f"{prefix}wake_phrase_end_to_cue", since_end(us, "cue_hud", True))
    commands = [u for u in us if not u.wake]
    groups = [(prefix, commands)]
    langs = sorted({u.lang for u in commands})
    if len(langs) > 1:
        groups += [(f"{prefix}{lang}_", [u for u in commands if u.lang == lang]) for lang in langs]
    for lang_prefix, group in groups:
        for name, mark in (("speech_end_to_first_card", "first_card_hud"), ("speech_end_to_answer_card", "card_hud"),
                           ("speech_end_to_first_audio", "first_audio")):  # fmt: skip
            _percentiles(out, f"{lang_prefix}{name}", since_end(group, mark, False))
        if lang_prefix != prefix:
            out[f"{lang_prefix}commands"] = len(group)
            out[f"{lang_prefix}commands_heard_as_said"] = sum(said_as_heard(u.text, u.detail.get("transcript"))
                                                             for u in group)  # fmt: skip
    _percentiles(out, f"{prefix}qr_in_view_to_confirm_card", qr)
    out[f"{prefix}wake_phrases"] = sum(1 for u in us if u.wake)
    out[f"{prefix}wake_phrases_missed"] = sum(1 for u in us if u.wake and "wake_event" not in u.marks)
    out[f"{prefix}commands"] = len(commands)
    out[f"{prefix}commands_without_card"] = sum(1 for u in commands if "card" not in u.marks)
    out[f"{prefix}commands_heard_as_said"] = sum(said_as_heard(u.text, u.detail.get("transcript")) for u in commands)
    heard = [u for u in commands if "heard_card" in u.marks]
    out[f"{prefix}commands_with_provisional_card"] = len(heard)
    # a provisional card whose words the final changed (the wearer spoke on after the pause)
    out[f"{prefix}provisional_cards_changed_by_final"] = sum(
        1 for u in heard if u.detail.get("transcript") is not None and u.detail["transcript"] != u.detail["pause_text"]
    )
    out[f"{prefix}qr_codes_shown"] = len(result["codes"])
    return out


# (stage name, from mark, to mark); "end" is the true end of speech.
PROVISIONAL_STAGES = (  # S1: the card shown at the pause, before the end of speech is sure
    ("ASR decode at the pause (speech end -> pause transcript)", "end", "pause_transcript"),
    ("offline parse + provisional card (pause transcript -> display/card heard)", "pause_transcript", "heard_card"),
    ("card render (display/card heard -> display/image)", "heard_card", "heard_hud"),
)
COMMAND_STAGES = (
    ("VAD hangover + audio transport (speech end -> VAD end event)", "end", "vad_end_event"),
    ("ASR final: decode + queue (VAD end event -> final transcript)", "vad_end_event", "final_transcript"),
    ("intent parse + dialogue (final transcript -> agent/intent)", "final_transcript", "intent"),
    ("skill + card event (agent/intent -> display/card)", "intent", "card"),
    ("card render (display/card -> display/image)", "card", "card_hud"),
)
SPOKEN_STAGES = (  # G1: every answer is spoken
    ("VAD hangover + audio transport (speech end -> VAD end event)", "end", "vad_end_event"),
    ("ASR final: decode + queue (VAD end event -> final transcript)", "vad_end_event", "final_transcript"),
    ("intent parse + dialogue (final transcript -> agent/intent)", "final_transcript", "intent"),
    ("skill + speech request (agent/intent -> speaker/say)", "intent", "say"),
    ("speech synthesis to first audio (speaker/say -> speaker/state speaking)", "say", "first_audio"),
)
WAKE_STAGES = (
    ("wake word detection (phrase end -> perception/wake)", "end", "wake_event"),
    ("listening card (perception/wake -> display/card)", "wake_event", "cue_card"),
    ("card render (display/card -> display/image)", "cue_card", "cue_hud"),
)


def budget(result: dict, spoken: bool = False, lang: str | None = None) -> dict:
    """Stage -> {p50, p95, n} in ms, for commands (card or, with ``spoken``, speech) and wake phrases;
    with ``lang``, for the commands spoken in that language only."""

    def stages(utterances, table):
        rows = {}
        for name, a, b in table:
            values = []
            for u in utterances:
                ta = u.end if a == "end" else u.marks.get(a)
                tb = u.marks.get(b)
                if ta is not None and tb is not None and u.end is not None:
                    values.append(1000.0 * (tb - ta))
            rows[name] = {"p50_ms": round(pct(values, 50), 1), "p95_ms": round(pct(values, 95), 1), "n": len(values)}
        return rows

    us = [u for u in result["utterances"] if lang is None or u.wake or u.lang == lang]
    hangover = [1000.0 * (u.detail["vad_detected_at"] - u.end) for u in us if "vad_detected_at" in u.detail]
    asr = [u.detail["asr_latency_ms"] for u in us if u.detail.get("asr_latency_ms") is not None]
    wake_audio = [1000.0 * (u.detail["wake_stamp"] - u.end) for u in us if "wake_stamp" in u.detail]
    return {
        "command": stages([u for u in us if not u.wake], SPOKEN_STAGES if spoken else COMMAND_STAGES),
        **({} if spoken else {"provisional": stages([u for u in us if not u.wake], PROVISIONAL_STAGES)}),
        "wake": stages([u for u in us if u.wake], WAKE_STAGES),
        "vad_end_audio_time_after_speech_end_ms": {"p50_ms": round(pct(hangover, 50), 1),
                                                   "p95_ms": round(pct(hangover, 95), 1), "n": len(hangover)},
        "asr_reported_latency_ms": {"p50_ms": round(pct(asr, 50), 1), "p95_ms": round(pct(asr, 95), 1), "n": len(asr)},
        "wake_stamp_after_phrase_end_ms": {"p50_ms": round(pct(wake_audio, 50), 1),
                                           "p95_ms": round(pct(wake_audio, 95), 1), "n": len(wake_audio)},
    }  # fmt: skip
