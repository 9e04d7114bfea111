"""The audio chunk convention on audio/raw: caps, layout, validation and gap detection."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glasses_bringup.foundation.audio_format import (
    AudioCaps,
    AudioFormatError,
    GapDetector,
    chunk_layout,
    samples_from,
    to_mono_float,
)


def test_caps_round_trip():
    caps = AudioCaps(rate=48000, channels=2, sample_format="F32LE")
    assert AudioCaps.parse(caps.encoding()) == caps
    assert AudioCaps.parse("audio/x-raw,format=S16LE,rate=16000,channels=1") == AudioCaps()


@pytest.mark.parametrize("encoding", ["rgb8", "audio/x-raw,format=S16LE", "audio/x-raw,format=U8,rate=16000",
                                      "audio/x-raw,format=S16LE,rate=abc", "audio/x-raw,format=S16LE,rate=16000,channels=0"])
def test_bad_caps_are_rejected(encoding):
    with pytest.raises(AudioFormatError):
        AudioCaps.parse(encoding)


def test_chunk_layout_and_back():
    caps = AudioCaps()
    samples = (np.arange(320) - 160).astype(np.int16)
    width, step, data = chunk_layout(caps, samples)
    assert (width, step, len(data)) == (320, 640, 640)
    caps2, back = samples_from(caps.encoding(), width, step, data)
    assert caps2 == caps and np.array_equal(back[:, 0], samples)
    mono = to_mono_float(caps, back)
    assert mono.dtype == np.float32 and abs(mono[0] + 160 / 32768) < 1e-6


def test_malformed_chunks():
    caps = AudioCaps()
    with pytest.raises(AudioFormatError, match="empty"):
        samples_from(caps.encoding(), 0, 0, b"")
    with pytest.raises(AudioFormatError, match="step"):
        samples_from(caps.encoding(), 320, 600, b"\0" * 640)
    with pytest.raises(AudioFormatError, match="data bytes"):
        samples_from(caps.encoding(), 320, 640, b"\0" * 500)
    f32 = AudioCaps(sample_format="F32LE")
    bad = np.array([0.0, np.nan], dtype="<f4").tobytes()
    with pytest.raises(AudioFormatError, match="non-finite"):
        samples_from(f32.encoding(), 2, 8, bad)


def test_gap_detector_finds_lost_and_overlapping_chunks():
    g = GapDetector()
    assert g.check(10.0, 320, 16000) == 0.0
    assert g.check(10.02, 320, 16000) == 0.0
    assert g.check(10.08, 320, 16000) == pytest.approx(0.04)  # two chunks lost
    assert g.check(10.09, 320, 16000) < 0  # overlap
    assert (g.gaps, g.overlaps) == (1, 1)


@given(st.binary(max_size=64), st.integers(-5, 40), st.integers(-5, 100))
def test_samples_from_never_crashes_on_garbage(data, width, step):
    try:
        samples_from(AudioCaps().encoding(), width, step, data)
    except AudioFormatError:
        pass
