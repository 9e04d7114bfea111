"""`glasses transcribe`: one JSON line per file, errors reported after the rest."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf
from transcripts import assert_transcript

from glasses_bringup.cli import main
from glasses_bringup.foundation.audio_io import read_audio
from glasses_perception.voice import asr


def lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_transcribe_any_rate_and_channels_and_keeps_going_after_a_bad_file(repo_root, tmp_path, capsys):
    speech = read_audio(repo_root / "assets" / "audio" / "what_is_this.wav")
    stereo_44k = tmp_path / "what_is_this_44k_stereo.flac"
    x = np.interp(np.arange(0, speech.size, 16000 / 44100), np.arange(speech.size), speech)
    sf.write(stereo_44k, np.stack([x, x], axis=1), 44100)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF....WAVEfmt nonsense")
    airport = repo_root / "assets" / "audio" / "airport.wav"
    code = main(["transcribe", str(broken), str(stereo_44k), str(airport)])
    out = lines(capsys)
    assert code == 1
    assert [o["file"] for o in out] == [str(broken), str(stereo_44k), str(airport)]
    assert "error" in out[0] and "text" not in out[0]
    assert_transcript(out[1]["text"], "what is this")
    assert abs(out[1]["audio_s"] - speech.size / 16000) < 0.01
    assert (
        out[2]["lang"] == "en"
        and out[2]["latency_ms"] > 0
        and set(out[2]) >= {"file", "text", "lang", "audio_s", "latency_ms"}
    )


def test_transcribe_with_the_command_grammar(repo_root, capsys):
    clip = repo_root / "assets" / "audio" / "navigate_train_station.wav"
    assert main(["transcribe", "--grammar", "--", str(clip)]) == 0
    (out,) = lines(capsys)
    assert out["engine"] == "grammar"
    assert_transcript(out["text"], "navigate to the train station")


def test_transcribe_refuses_a_language_the_model_lacks(repo_root, capsys):
    tiny_en = str(asr.default_whisper_model())
    clip = str(repo_root / "assets" / "audio" / "pay.wav")
    assert main(["transcribe", "--lang", "zh", "--model", tiny_en, clip]) == 2
    assert "English-only" in capsys.readouterr().err
