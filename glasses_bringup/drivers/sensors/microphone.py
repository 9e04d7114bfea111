"""Microphone sources (pure Python): simulated scenario audio, wav/flac file, ALSA device.

All sources deliver float32 mono-or-multichannel blocks at the configured rate in
fixed-size chunks addressed by chunk index, so stamps can be derived from the
sample counter (see audio_format.py). The simulated source is deterministic:
chunk n depends only on (scenario, seed, n).
"""

from __future__ import annotations

import queue

import numpy as np

from glasses_bringup.foundation.audio_io import AudioReadError, read_audio, resample

SPEECH_RMS = 0.1  # speech clips are normalized to this RMS (-20 dBFS)


class MicrophoneError(RuntimeError):
    """A microphone source that cannot deliver audio."""


def read_audio_file(path: str, rate: int) -> np.ndarray:
    """Mono float32 samples of a wav/flac/ogg file at ``rate`` (MicrophoneError if unreadable)."""
    try:
        return read_audio(path, rate)
    except AudioReadError as exc:
        raise MicrophoneError(str(exc)) from None


def normalize(x: np.ndarray, rms: float = SPEECH_RMS) -> np.ndarray:
    level = float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0
    return x * (rms / level) if level > 1e-6 else x


class SimMicrophoneSource:
    """Scenario speech (clip or synthesized) over background noise at the scenario's SNR."""

    def __init__(self, scenario, rate: int, chunk_frames: int, synthesize=None):
        self.scenario = scenario
        self.rate = rate
        self.chunk_frames = chunk_frames
        self.utterances: list[tuple[int, np.ndarray, float]] = []  # (start sample, samples, snr_db)
        for entry in scenario.entries("say"):
            say = entry.say
            if say.clip:
                samples = read_audio_file(str(scenario.resolve(say.clip)), rate)
            else:
                if synthesize is None:
                    synthesize = default_synthesizer()
                audio, audio_rate = synthesize(say.text, say.lang)
                samples = resample(np.asarray(audio, dtype=np.float32), audio_rate, rate)
            snr = say.snr_db if say.snr_db is not None else scenario.noise_snr_db
            gain = 10.0 ** (say.gain_db / 20.0)  # another speaker is farther from the mics than the wearer
            self.utterances.append((int(round(entry.at * rate)), normalize(samples) * gain, snr))

    def noise_rms(self, start: int, end: int) -> float:
        snr = self.scenario.noise_snr_db
        for u_start, samples, u_snr in self.utterances:
            if u_start < end and start < u_start + len(samples):
                snr = min(snr, u_snr)
        return SPEECH_RMS / (10.0 ** (snr / 20.0))

    def chunk(self, index: int) -> np.ndarray:
        start = index * self.chunk_frames
        end = start + self.chunk_frames
        rng = np.random.default_rng([self.scenario.seed, 1, index])
        out = rng.standard_normal(self.chunk_frames).astype(np.float32) * self.noise_rms(start, end)
        for u_start, samples, _ in self.utterances:
            lo, hi = max(start, u_start), min(end, u_start + len(samples))
            if lo < hi:
                out[lo - start : hi - start] += samples[lo - u_start : hi - u_start]
        return np.clip(out, -1.0, 1.0)[:, None]

    def close(self) -> None:
        pass


def default_synthesizer():
    """The voice package's TTS, imported only when a scenario needs synthesized speech."""
    try:
        from glasses_bringup.drivers.speech.tts import synthesize
    except ImportError as exc:
        raise MicrophoneError(f"scenario speech without a clip needs the TTS engine: {exc}") from None
    return synthesize


class FileMicrophoneSource:
    """A wav/flac file played as if it were the microphone, looping when asked."""

    def __init__(self, path: str, rate: int, chunk_frames: int, loop: bool = False):
        self.samples = read_audio_file(path, rate)
        self.chunk_frames = chunk_frames
        self.loop = loop
        self.total_chunks = int(np.ceil(len(self.samples) / chunk_frames))

    def chunk(self, index: int) -> np.ndarray | None:
        if index >= self.total_chunks and not self.loop:
            return None
        index %= self.total_chunks
        block = self.samples[index * self.chunk_frames : (index + 1) * self.chunk_frames]
        if len(block) < self.chunk_frames:
            block = np.pad(block, (0, self.chunk_frames - len(block)))
        return block[:, None]

    def close(self) -> None:
        pass


def channel_selection(device_channels: int, channel_map: list[int], channels: int) -> list[int]:
    """Device channels to publish, in order; MicrophoneError if the map does not fit the device."""
    selected = list(channel_map) if channel_map else list(range(channels))
    if len(selected) != channels:
        raise MicrophoneError(f"channel_map {selected} has {len(selected)} entries, channels is {channels}")
    bad = [c for c in selected if not 0 <= c < device_channels]
    if bad:
        raise MicrophoneError(f"channel_map {selected}: the device opens {device_channels} channels, no {bad}")
    return selected


class AlsaMicrophoneSource:
    """An ALSA (PortAudio) capture device through sounddevice; blocks arrive on a callback thread.

    A microphone array opens ``device_channels`` channels; ``channel_map`` picks
    which of them are published and in which order (e.g. [0, 2] of a 4-mic array:
    the two beamforming mics), so the array's channel order need not match ours.
    """

    def __init__(self, device: str, rate: int, channels: int, chunk_frames: int,
                 device_channels: int = 0, channel_map: list[int] | None = None):
        device_channels = device_channels or channels
        self.selected = channel_selection(device_channels, channel_map or [], channels)
        try:
            import sounddevice as sd
        except OSError as exc:  # PortAudio library missing
            raise MicrophoneError(f"sounddevice unavailable (install libportaudio2): {exc}") from None
        self.blocks: queue.Queue = queue.Queue(maxsize=200)
        self.overflows = 0
        target = int(device) if device.isdigit() else (device or None)
        try:
            self.stream = sd.InputStream(
                device=target, samplerate=rate, channels=device_channels, dtype="float32",
                blocksize=chunk_frames, callback=self._callback,
            )
            self.stream.start()
        except Exception as exc:
            raise MicrophoneError(f"cannot open audio input {device or 'default'!r}: {exc}") from None

    def _callback(self, indata, frames, time_info, status) -> None:
        if status.input_overflow:
            self.overflows += 1
        try:
            self.blocks.put_nowait(indata[:, self.selected].copy())
        except queue.Full:
            self.overflows += 1

    def pending(self) -> list[np.ndarray]:
        out = []
        while True:
            try:
                out.append(self.blocks.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        self.stream.stop()
        self.stream.close()
