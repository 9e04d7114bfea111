"""Audio file reading and sample-rate conversion shared by the voice cores and tools.

Resampling uses soxr (libsoxr, high quality); everything inside the voice stack
runs on float32 mono at 16 kHz.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ASR_RATE = 16000


class AudioReadError(ValueError):
    """A file that cannot be read as audio."""


def resample(samples: np.ndarray, from_rate: int, to_rate: int = ASR_RATE) -> np.ndarray:
    """float32 mono resampled from ``from_rate`` to ``to_rate`` (a no-op when equal)."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if from_rate == to_rate or x.size == 0:
        return x
    return soxr.resample(x, from_rate, to_rate).astype(np.float32, copy=False)


def to_mono(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float32)
    return x.mean(axis=1) if x.ndim == 2 else x.reshape(-1)


def read_audio(path: str | Path, rate: int = ASR_RATE) -> np.ndarray:
    """float32 mono at ``rate`` from any file libsndfile reads (wav, flac, ogg, ...)."""
    try:
        data, file_rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise AudioReadError(f"cannot read audio {path}: {exc}") from None
    if data.shape[0] == 0:
        raise AudioReadError(f"{path}: no samples")
    mono = to_mono(data)
    if not np.all(np.isfinite(mono)):
        raise AudioReadError(f"{path}: non-finite samples")
    return resample(mono, file_rate, rate)


def write_wav16(path: str | Path, samples: np.ndarray, rate: int = ASR_RATE) -> None:
    """Write float32 [-1, 1] samples as 16-bit PCM mono."""
    sf.write(str(path), np.clip(samples, -1.0, 1.0), rate, subtype="PCM_16")


def to_int16(samples: np.ndarray) -> np.ndarray:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance 1/f noise (crowd and street rumble are closer to pink than white)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.arange(spectrum.size, dtype=np.float64)
    freqs[0] = 1.0
    pink = np.fft.irfft(spectrum / np.sqrt(freqs), n)
    return (pink / (np.std(pink) + 1e-12)).astype(np.float32)


def add_noise(speech: np.ndarray, snr_db: float, rng: np.random.Generator, noise: np.ndarray | None = None):
    """Mix noise into speech at ``snr_db`` (power of speech over power of noise).

    Speech power is measured over the samples above 1 % of the peak so leading
    silence does not lower the effective SNR. ``noise`` defaults to pink noise;
    a shorter noise recording is looped.
    """
    x = np.asarray(speech, dtype=np.float32).reshape(-1)
    if noise is None:
        noise = pink_noise(x.size, rng)
    else:
        noise = np.tile(noise, int(np.ceil(x.size / max(noise.size, 1))))[: x.size]
    active = x[np.abs(x) > 0.01 * (np.max(np.abs(x)) + 1e-12)]
    p_speech = float(np.mean(active**2)) if active.size else float(np.mean(x**2))
    p_noise = float(np.mean(noise**2)) + 1e-20
    gain = np.sqrt(p_speech / (p_noise * 10 ** (snr_db / 10.0)))
    mixed = x + gain * noise
    peak = float(np.max(np.abs(mixed)))
    return (mixed / peak * 0.95 if peak > 0.99 else mixed).astype(np.float32)
