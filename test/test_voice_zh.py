"""Chinese end to end without ROS: the multilingual model (joined from its two
packages), recognition of real Mandarin, language detection, `glasses transcribe`
with bad and long audio, Mandarin speech out, and Chinese on the HUD.

Recognition checks use normalised character/word error floors with a margin, never
exact model output (a different CPU may change a character).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from glasses_bringup.cli import main
from glasses_bringup.drivers.sensors.display import CardRenderer, wrap_text
from glasses_bringup.drivers.speech import tts
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.audio_io import AudioFile, AudioReadError, AudioTooLong, read_audio
from glasses_perception.voice import asr, models, wer

FIXTURES = Path(__file__).parent / "fixtures" / "voice" / "zh"
# AISHELL-1 test utterances (real Mandarin, Apache-2.0; see fixtures/voice/zh/README.md)
REAL = {
    "aishell1_BAC009S0764W0121.flac": "甚至出现交易几乎停滞的情况",
    "aishell1_BAC009S0764W0122.flac": "一二线城市虽然也处于调整中",
}


@pytest.fixture(scope="module")
def multilingual():
    return asr.WhisperRecognizer(lang="auto")


def lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


# -- the model ----------------------------------------------------------------------


def test_multilingual_model_is_joined_once_and_verified(tmp_path):
    target = models.multilingual_whisper_model(tmp_path / "cache")
    model = target / "model.bin"
    assert model.stat().st_size == models.BASE_MODEL_BYTES
    assert {p.name for p in target.iterdir()} >= {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    mtime = model.stat().st_mtime_ns
    assert models.multilingual_whisper_model(tmp_path / "cache") == target
    assert model.stat().st_mtime_ns == mtime  # reused, not joined again
    model.write_bytes(b"broken")  # a damaged cache is detected and rebuilt
    models.multilingual_whisper_model(tmp_path / "cache")
    assert model.stat().st_size == models.BASE_MODEL_BYTES


def test_corrupt_or_missing_parts_give_a_clear_error(tmp_path, monkeypatch):
    side = tmp_path / "side"
    side.mkdir()
    for name in models.BASE_SIDE_FILES:
        (side / name).write_text("{}")
    parts = [tmp_path / "model.bin.part1", tmp_path / "model.bin.part2"]
    for p in parts:
        p.write_bytes(os.urandom(1000))
    monkeypatch.setattr(models, "base_part_files", lambda: (parts, side))
    with pytest.raises(models.ModelError, match="corrupt"):
        models.multilingual_whisper_model(tmp_path / "cache")
    assert not (tmp_path / "cache" / "model.bin").exists()
    with pytest.raises(asr.AsrError, match="corrupt"):
        asr.WhisperRecognizer(lang="zh", cache_dir=tmp_path / "cache")


# -- recognition --------------------------------------------------------------------


def test_cer_normalises_punctuation_numerals_and_script():
    assert wer.normalize_zh("1-2线城市，虽然也處於調整中。") == "一二线城市虽然也处于调整中"
    assert wer.cer(["付二十八块"], ["付28块。"]) == 0.0
    assert wer.cer(["甚至出现交易几乎停滞的情况"], ["甚至出现交易几乎停制的情况"]) == pytest.approx(1 / 13)
    assert asr.to_simplified("開車去機場") == "开车去机场"


def test_real_mandarin_is_recognised_in_simplified_script(multilingual):
    refs, hyps = [], []
    for name, ref in REAL.items():
        for lang in ("zh", "auto"):
            res = multilingual.transcribe(read_audio(FIXTURES / name), lang)
            assert res.lang == "zh" and res.lang_prob > 0.9
            assert asr.to_simplified(res.text) == res.text
            refs.append(ref)
            hyps.append(res.text)
    assert wer.cer(refs, hyps) <= 0.2  # measured about 4 %; docs/voice.md


def test_auto_detects_english_and_uses_the_english_model(multilingual, repo_root):
    assert multilingual.english is not None  # tiny.en, the faster English path
    res = multilingual.transcribe(read_audio(repo_root / "assets" / "audio" / "what_is_this.wav"), "auto")
    assert res.lang == "en" and wer.normalize(res.text) == "what is this"


def test_translate_task_gives_english(multilingual):
    name = next(iter(REAL))
    res = multilingual.transcribe(read_audio(FIXTURES / name), "zh", task="translate")
    assert res.text and not asr.CJK_END.search(res.text) and any(c.isascii() and c.isalpha() for c in res.text)
    with pytest.raises(ValueError):
        multilingual.transcribe(np.zeros(16000, np.float32), "zh", task="summarise")


def test_silence_and_noise_give_no_text(multilingual):
    rng = np.random.default_rng(3)
    for x in (np.zeros(16000 * 4, np.float32), 0.01 * rng.standard_normal(16000 * 4).astype(np.float32)):
        assert multilingual.transcribe(x, "auto").text == ""


# -- glasses transcribe -------------------------------------------------------------


def test_transcribe_zh_and_auto_print_the_english_lines_fields(repo_root, capsys):
    files = [str(FIXTURES / n) for n in REAL]
    english = str(repo_root / "assets" / "audio" / "airport.wav")
    assert main(["transcribe", "--lang", "zh", *files]) == 0
    zh = lines(capsys)
    assert main(["transcribe", "--lang", "auto", *files, english]) == 0
    auto = lines(capsys)
    for line in zh + auto:
        assert set(line) >= {"file", "text", "lang", "audio_s", "latency_ms", "engine"}
    assert [o["lang"] for o in zh] == ["zh", "zh"] and [o["lang"] for o in auto] == ["zh", "zh", "en"]
    assert wer.cer(list(REAL.values()), [o["text"] for o in zh]) <= 0.2
    assert wer.normalize(auto[2]["text"]) == "take me to the airport"


def test_transcribe_reports_bad_audio_and_keeps_going(tmp_path, capsys):
    huge = tmp_path / "one_huge_sample.wav"
    x = np.zeros(16000 * 2, np.float32)
    x[8000] = 1e30
    sf.write(huge, x, 16000, subtype="FLOAT")
    cut = tmp_path / "cut_off.wav"
    sf.write(cut, np.zeros(16000 * 3, np.int16), 16000)
    os.truncate(cut, 44 + 16000 * 2)  # the header still promises 3 s
    nan = tmp_path / "nan.wav"
    x = np.zeros(16000, np.float32)
    x[100] = np.nan
    sf.write(nan, x, 16000, subtype="FLOAT")
    good = FIXTURES / next(iter(REAL))
    assert main(["transcribe", "--lang", "auto", str(huge), str(cut), str(nan), str(good)]) == 1
    out = lines(capsys)
    assert "far beyond full scale" in out[0]["error"] and "text" not in out[0]
    assert "truncated" in out[1]["error"] and "promises" in out[1]["error"]
    assert "non-finite" in out[2]["error"]
    assert out[3]["lang"] == "zh" and "error" not in out[3]


def test_long_silence_is_streamed_filtered_and_capped(tmp_path, capsys):
    silence = tmp_path / "silence.flac"
    sf.write(silence, np.zeros(16000 * 90, np.int16), 16000)
    assert main(["transcribe", "--max-duration", "60", str(silence)]) == 1
    (line,) = lines(capsys)
    assert "over the 60 s limit" in line["error"]
    assert main(["transcribe", "--lang", "auto", "--max-duration", "120", str(silence)]) == 0
    (line,) = lines(capsys)
    assert line["text"] == "" and line["utterances"] == 0 and line["audio_s"] == pytest.approx(90.0, abs=0.05)


def test_audio_file_reads_in_blocks_and_checks_its_header(tmp_path):
    path = tmp_path / "tone_48k.wav"
    t = np.arange(48000 * 25) / 48000
    sf.write(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 48000)
    audio = AudioFile(path)
    blocks = list(audio.blocks(block_s=10.0))
    assert len(blocks) == 3 and max(b.size for _, b in blocks) <= 16000 * 10 + 16000
    assert sum(b.size for _, b in blocks) == pytest.approx(16000 * 25, abs=64)
    with pytest.raises(AudioTooLong):
        AudioFile(path, max_duration_s=20.0)
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, np.int16), 16000)
    with pytest.raises(AudioReadError):
        AudioFile(empty)


# -- speech out ---------------------------------------------------------------------


def test_mixed_text_is_spoken_as_money_and_latin_words_in_english():
    assert tts.spoken_form("付款 12.50 CNY", "zh") == "付款 十二点五元"
    assert tts.spoken_form("已向星光咖啡支付80.40 CNY。", "zh") == "已向星光咖啡支付八十点四元。"
    assert tts.spoken_form("Pay 12.50 USD to Kevin", "en") == "Pay 12 dollars 50 to Kevin"
    assert tts.spoken_form("Volume 20", "en") == "Volume 20"
    assert tts.script_runs("向Cafe Lumi支付十二点五元", "zh") == [
        ("zh", "向"), ("en", "Cafe Lumi"), ("zh", "支付十二点五元")
    ]  # fmt: skip
    assert tts.script_runs("Pay Cafe Lumi", "en") == [("en", "Pay Cafe Lumi")]


def test_chinese_speech_out_is_mandarin_and_mixed_text_works():
    assert tts.espeak_available(), "espeak-ng is not installed: `make` installs it (Debian package espeak-ng)"
    synth = tts.Synthesizer(rate=16000)
    assert synth.engine_for("zh") == "espeak"
    x, rate = synth.synthesize("付款 12.50 CNY", "zh")
    assert rate == 16000 and x.size > 16000 * 0.8 and np.max(np.abs(x)) > 0.05
    mixed, _ = synth.synthesize("向Cafe Lumi支付12.50 CNY", "zh")
    assert mixed.size > x.size
    with pytest.raises(tts.TtsError, match="no voice"):
        tts.Synthesizer(engine="espeak", espeak_voice="xx-nonexistent").engine_for("zh")


# -- HUD ----------------------------------------------------------------------------


def test_lines_break_between_chinese_characters_not_before_punctuation():
    fits = lambda line: len(line) <= 8  # noqa: E731
    out = wrap_text("向星光咖啡支付十二元五角？点头、双击或说确认。", fits)
    assert "".join(out) == "向星光咖啡支付十二元五角？点头、双击或说确认。"
    assert all(line[0] not in "，。、？" for line in out) and len(out) >= 3
    assert wrap_text("Pay 12.50 CNY to Cafe Lumi", lambda line: len(line) <= 14) == ["Pay 12.50 CNY", "to Cafe Lumi"]
    assert wrap_text("付款 Cafe Lumi", lambda line: len(line) <= 8) == ["付款 Cafe", "Lumi"]


def test_hud_draws_chinese_glyphs_not_missing_glyph_boxes():
    renderer = CardRenderer()
    assert renderer.cjk, "no CJK font: `make` installs fonts-noto-cjk"

    def drawn(title: str) -> np.ndarray:
        card = ev.Card(stamp=0.0, card_id="c", kind="info", title=title, lang="zh")
        return renderer.render(card)[:70]

    pay, shop, tofu = drawn("付款"), drawn("比价"), drawn("\uffff\uffff")
    assert (pay > 0).sum() > 200 and (shop > 0).sum() > 200
    assert not np.array_equal(pay, shop)  # each character has its own glyph...
    assert not np.array_equal(pay, tofu)  # ...and it is not the missing-glyph box
    # without a CJK font both would be the same box
    latin_only = CardRenderer(font_path=str(Path(__import__("matplotlib").get_data_path()) / "fonts/ttf/DejaVuSans.ttf"))
    assert not latin_only.cjk


def test_g1_speaks_a_chinese_card_as_chinese_sentences():
    from glasses_bringup.drivers.sensors.display import spoken_text

    card = ev.Card(stamp=0.0, card_id="c", kind="info", title="已支付 12.50 CNY", body="收款方：星光咖啡", lang="zh")
    assert spoken_text(card) == "已支付 12.50 CNY。收款方：星光咖啡。"
    assert tts.spoken_form(spoken_text(card), "zh") == "已支付 十二点五元。收款方：星光咖啡。"


def test_streaming_lang_auto_probes_once_and_decodes_each_language_right(multilingual, repo_root):
    # real Mandarin, then an English command: each utterance's language comes from its
    # probe, and its final decode reuses it instead of detecting again
    gap = np.zeros(16000, np.float32)
    zh_name, zh_ref = next(iter(REAL.items()))
    x = np.concatenate([gap, read_audio(FIXTURES / zh_name), gap,
                        read_audio(repo_root / "assets" / "audio" / "what_is_this.wav"), gap])  # fmt: skip
    tr = asr.Transcriber(multilingual, asr.UtteranceStream(always_listen=True, probe_after_s=0.8), partials=False)
    finals = [r for i in range(0, x.size, 320) for r in tr.feed(x[i : i + 320], i / 16000) if r.final]
    assert [f.lang for f in finals] == ["zh", "en"]
    assert wer.cer([zh_ref], [finals[0].text]) <= 0.2
    assert wer.normalize(finals[1].text) == "what is this"
    assert tr.languages.reused >= 2  # at least each final decode skipped detection


def test_a_given_language_skips_the_multilingual_encoder_for_english(multilingual, repo_root, monkeypatch):
    encoded = []
    real = multilingual._encode
    def spy(model, x, *window):
        encoded.append(model)
        return real(model, x, *window)

    monkeypatch.setattr(multilingual, "_encode", spy)
    x = read_audio(repo_root / "assets" / "audio" / "what_is_this.wav")
    assert wer.normalize(multilingual.transcribe(x, "en").text) == "what is this"
    assert encoded and set(encoded) == {multilingual.english}  # tiny.en only (one or two passes)
    encoded.clear()
    assert multilingual.transcribe(x, "auto").lang == "en"
    # detection needs the multilingual pass, then tiny.en
    assert encoded[0] is multilingual.main and encoded[1:] and set(encoded[1:]) == {multilingual.english}
