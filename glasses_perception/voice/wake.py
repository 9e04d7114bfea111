"""Wake-word detection: pymicro-wakeword models plus pocketsphinx keyphrases.

micro-wakeword models (okay_nabu, hey_jarvis, hey_mycroft, alexa ship in the
package; any microWakeWord JSON config path works too) are small streaming
networks, about 0.002x real time. A custom phrase without a trained model (for
example "hey glasses") uses pocketsphinx keyphrase spotting, which is cheaper to
set up but misses more and fires more often (see docs/voice.md).

Also here: ``ListenGate``, the pure state machine of "is the wearer talking to the
glasses now" (wake word, touch long-press, follow-up window after an answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glasses_bringup.foundation.audio_io import to_int16

RATE = 16000
BUILTIN_MODELS = ("okay_nabu", "hey_jarvis", "hey_mycroft", "alexa")


@dataclass(frozen=True)
class WakeHit:
    phrase: str
    score: float  # 0..1
    stamp: float  # audio stamp where the phrase was recognised (its end)
    detector: str  # "micro:<model>" or "keyphrase"


class _MicroModel:
    def __init__(self, spec: str, cutoff: float | None):
        from pymicro_wakeword import MicroWakeWord, Model

        if spec in BUILTIN_MODELS:
            self.model = MicroWakeWord.from_builtin(Model(spec))
        elif Path(spec).suffix == ".json" and Path(spec).exists():
            self.model = MicroWakeWord.from_config(spec)
        else:
            raise ValueError(f"wake model {spec!r}: not one of {BUILTIN_MODELS} nor a microWakeWord JSON config")
        if cutoff is not None:
            self.model.probability_cutoff = cutoff
        self.name = self.model.id
        self.phrase = self.model.wake_word.lower()

    def feed(self, features: list[np.ndarray]) -> float:
        """Highest probability over the new audio's feature windows (0 while the window fills)."""
        best = 0.0
        for feats in features:
            prob = self.model.process_streaming_prob(feats)
            if prob is not None and prob > best:
                best = prob
        return best

    def reset(self) -> None:
        self.model.reset()


class _Keyphrases:
    """pocketsphinx keyword spotting over one or more phrases."""

    def __init__(self, phrases: list[str], threshold: float):
        from pocketsphinx import Decoder

        self.phrases = [p.lower().strip() for p in phrases if p.strip()]
        kws = "\n".join(f"{p} /{threshold:g}/" for p in self.phrases)
        self._kws_file = None
        import tempfile

        # pocketsphinx takes a keyword list as a file; one file per detector
        fd = tempfile.NamedTemporaryFile("w", suffix=".kws", delete=False)
        fd.write(kws + "\n")
        fd.close()
        self._kws_file = fd.name
        self.decoder = Decoder(kws=self._kws_file, samprate=RATE, loglevel="FATAL")
        self.decoder.start_utt()

    def feed(self, pcm: bytes) -> str | None:
        self.decoder.process_raw(pcm, False, False)
        hyp = self.decoder.hyp()
        if hyp is None:
            return None
        phrase = hyp.hypstr.strip()
        self.reset()
        return phrase

    def reset(self) -> None:
        self.decoder.end_utt()
        self.decoder.start_utt()

    def close(self) -> None:
        if self._kws_file:
            Path(self._kws_file).unlink(missing_ok=True)
            self._kws_file = None


class WakeWordDetector:
    """Streams 16 kHz audio through every configured detector; returns hits.

    After a hit every detector is reset and ignores ``refractory_s`` of audio, so
    one utterance gives one hit.
    """

    def __init__(
        self,
        models: list[str] | tuple[str, ...] = ("hey_jarvis", "okay_nabu"),
        keyphrases: list[str] | tuple[str, ...] = (),
        cutoff: float | None = None,
        keyphrase_threshold: float = 1e-20,
        refractory_s: float = 1.5,
    ):
        self.micro = [_MicroModel(m, cutoff) for m in models if m.strip()]
        self.features = None  # one microWakeWord front end for all models: its features do not depend on the model
        if self.micro:
            from pymicro_wakeword import MicroWakeWordFeatures

            self.features = MicroWakeWordFeatures()
        self.keyphrases = _Keyphrases(list(keyphrases), keyphrase_threshold) if any(keyphrases) else None
        if not self.micro and self.keyphrases is None:
            raise ValueError("no wake detector configured: give models and/or keyphrases")
        self.refractory_s = refractory_s
        self._quiet_until = -1.0
        self._stamp: float | None = None  # stamp of the next sample
        self.samples_seen = 0

    @property
    def phrases(self) -> list[str]:
        out = [m.phrase for m in self.micro]
        if self.keyphrases:
            out += self.keyphrases.phrases
        return out

    def feed(self, samples: np.ndarray, stamp: float) -> list[WakeHit]:
        """Process float32 mono 16 kHz samples whose first sample is at ``stamp``."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if x.size == 0:
            return []
        end = stamp + x.size / RATE
        self._stamp = end
        self.samples_seen += x.size
        pcm = to_int16(x).tobytes()
        if end <= self._quiet_until:
            return []
        hits: list[WakeHit] = []
        features = list(self.features.process_streaming(pcm)) if self.features is not None else []
        for m in self.micro:
            prob = m.feed(features)
            if prob > m.model.probability_cutoff:
                hits.append(WakeHit(m.phrase, min(float(prob), 1.0), end, f"micro:{m.name}"))
        if self.keyphrases is not None:
            phrase = self.keyphrases.feed(pcm)
            if phrase:
                hits.append(WakeHit(phrase, 1.0, end, "keyphrase"))
        if hits:
            self._quiet_until = end + self.refractory_s
            self.reset_models()
            best = max(hits, key=lambda h: h.score)
            return [best]
        return []

    def reset_models(self) -> None:
        for m in self.micro:
            m.reset()
        if self.features is not None:
            self.features.reset()
        if self.keyphrases is not None:
            self.keyphrases.reset()

    def close(self) -> None:
        if self.keyphrases is not None:
            self.keyphrases.close()


def detect_in(samples: np.ndarray, detector: WakeWordDetector, chunk: int = 320, stamp: float = 0.0) -> list[WakeHit]:
    """All hits over a whole recording fed in mic-sized chunks."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    hits = []
    for i in range(0, x.size, chunk):
        hits += detector.feed(x[i : i + chunk], stamp + i / RATE)
    return hits


class ListenGate:
    """When the assistant listens: after a wake word or a touch long-press, and for a
    follow-up window after it finished speaking an answer.

    ``open`` starts a window of ``window_s`` in which speech must begin; speech that
    began keeps the gate open until it ends (``speech_ended``). Times are seconds on
    one clock (audio stamps in the nodes).
    """

    def __init__(self, window_s: float = 6.0, follow_up_s: float = 5.0):
        self.window_s = window_s
        self.follow_up_s = follow_up_s
        self.reason: str | None = None
        self.opened_at = 0.0
        self.deadline = -1.0
        self.speaking = False

    def open(self, now: float, reason: str) -> None:
        window = self.follow_up_s if reason == "follow_up" else self.window_s
        self.reason = reason
        self.opened_at = now
        self.deadline = now + window
        self.speaking = False

    def close(self) -> None:
        self.reason = None
        self.deadline = -1.0
        self.speaking = False

    def is_open(self, now: float) -> bool:
        if self.reason is None:
            return False
        if self.speaking or now <= self.deadline:
            return True
        self.close()
        return False

    def speech_started(self, now: float) -> bool:
        """Speech began at ``now``: returns whether it is addressed to the glasses."""
        if self.is_open(now):
            self.speaking = True
            return True
        return False

    def speech_ended(self) -> None:
        if self.speaking:
            self.close()
