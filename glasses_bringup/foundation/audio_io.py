"""Audio file reading and sample-rate conversion shared by the voice cores and tools.

Resampling uses soxr (libsoxr, high quality); everything inside the voice stack
runs on float32 mono at 16 kHz.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ASR_RATE = 16000


# Float samples this far beyond full scale (+12 dBFS) are corrupt data, not loud
# speech: Whisper turns them into "!!!!" instead of an error.
MAX_FULL_SCALE = 4.0
BLOCK_S = 10.0  # streaming read block


class AudioReadError(ValueError):
    """A file that cannot be read as audio (unreadable, truncated, corrupt samples)."""


class AudioTooLong(AudioReadError):
    """A file longer than the caller's duration cap."""


def resample(samples: np.ndarray, from_rate: int, to_rate: int = ASR_RATE) -> np.ndarray:
    """float32 mono resampled from ``from_rate`` to ``to_rate`` (a no-op when equal)."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if from_rate == to_rate or x.size == 0:
        return x
    return soxr.resample(x, from_rate, to_rate).astype(np.float32, copy=False)


class StreamResampler:
    """One stream of float32 mono chunks to ``to_rate``, continuous across chunks (soxr's
    ResampleStream keeps the filter state that resampling each chunk alone would reset at
    every boundary). A change of input rate, or ``reset()``, starts a new stream."""

    def __init__(self, to_rate: int):
        self.to_rate = to_rate
        self._stream: tuple[int, soxr.ResampleStream] | None = None

    def __call__(self, samples: np.ndarray, from_rate: int) -> np.ndarray:
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if from_rate == self.to_rate:
            return x
        if self._stream is None or self._stream[0] != from_rate:
            self._stream = (from_rate, soxr.ResampleStream(from_rate, self.to_rate, 1, dtype="float32"))
        return self._stream[1].resample_chunk(x)

    def reset(self) -> None:
        self._stream = None


def to_mono(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float32)
    return x.mean(axis=1) if x.ndim == 2 else x.reshape(-1)


def wav_truncation(path: str | Path) -> str | None:
    """Why a RIFF/WAVE file holds less audio than its header promises, or None.

    libsndfile silently reads what is there, so a cut-off recording would pass as a
    shorter one.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            pos = 12
            while pos + 8 <= size:
                fh.seek(pos)
                chunk_id, chunk_size = struct.unpack("<4sI", fh.read(8))
                if chunk_id == b"data":
                    available = size - pos - 8
                    if chunk_size != 0xFFFFFFFF and chunk_size > available:
                        return f"truncated: the header promises {chunk_size} bytes of audio, the file holds {available}"
                    return None
                pos += 8 + chunk_size + (chunk_size & 1)
    except OSError:
        return None
    return None


def check_samples(x: np.ndarray, path: str | Path, start_s: float, rate: int = ASR_RATE) -> None:
    """Raise AudioReadError on non-finite or far-beyond-full-scale samples."""
    bad = ~np.isfinite(x)
    if bad.any():
        at = start_s + int(np.argmax(bad)) / rate
        raise AudioReadError(f"{path}: non-finite samples (first at {at:.2f} s)")
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak > MAX_FULL_SCALE:
        at = start_s + int(np.argmax(np.abs(x) > MAX_FULL_SCALE)) / rate
        raise AudioReadError(
            f"{path}: corrupt samples, peak {peak:.3g} is far beyond full scale (first at {at:.2f} s)"
        )


class AudioFile:
    """A file read as float32 mono blocks at ``rate``: bounded memory for long audio.

    Opening checks the header (unreadable, empty, truncated WAV, longer than
    ``max_duration_s``); ``blocks()`` checks every block's samples and raises
    AudioReadError when fewer frames arrive than the header promised.
    """

    def __init__(self, path: str | Path, rate: int = ASR_RATE, max_duration_s: float | None = None):
        self.path = path
        self.rate = rate
        try:
            info = sf.info(str(path))
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            raise AudioReadError(f"cannot read audio {path}: {exc}") from None
        self.file_rate = int(info.samplerate)
        self.frames = int(info.frames)
        self.duration_s = self.frames / self.file_rate if self.file_rate else 0.0
        if self.frames <= 0:
            raise AudioReadError(f"{path}: no samples")
        reason = wav_truncation(path)
        if reason:
            raise AudioReadError(f"{path}: {reason} ({self.duration_s:.2f} s readable)")
        if max_duration_s is not None and self.duration_s > max_duration_s:
            raise AudioTooLong(
                f"{path}: {self.duration_s:.1f} s of audio is over the {max_duration_s:g} s limit"
            )

    def blocks(self, block_s: float = BLOCK_S):
        """Yield (start_s, float32 mono samples at ``rate``)."""
        resampler = None if self.file_rate == self.rate else soxr.ResampleStream(self.file_rate, self.rate, 1)
        done = 0
        out_pos = 0
        try:
            with sf.SoundFile(str(self.path)) as f:
                block = max(int(block_s * self.file_rate), 1)
                for data in f.blocks(block, dtype="float32", always_2d=True):
                    done += data.shape[0]
                    x = to_mono(data)
                    check_samples(x, self.path, (done - data.shape[0]) / self.file_rate, self.file_rate)
                    if resampler is not None:
                        x = resampler.resample_chunk(x, last=done >= self.frames).astype(np.float32, copy=False)
                    if x.size:
                        yield out_pos / self.rate, x
                        out_pos += x.size
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise AudioReadError(f"{self.path}: read failed after {done / self.file_rate:.2f} s: {exc}") from None
        if done < self.frames:
            raise AudioReadError(
                f"{self.path}: truncated: {done / self.file_rate:.2f} s read of {self.duration_s:.2f} s in the header"
            )


def read_audio(path: str | Path, rate: int = ASR_RATE, max_duration_s: float | None = None) -> np.ndarray:
    """float32 mono at ``rate`` from any file libsndfile reads (wav, flac, ogg, ...)."""
    parts = [x for _, x in AudioFile(path, rate, max_duration_s).blocks()]
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


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
