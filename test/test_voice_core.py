"""Voice cores without ROS: audio helpers, WER, VAD, wake words, ASR streaming, TTS."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st
from transcripts import assert_transcript, assert_transcripts

from glasses_bringup.foundation.audio_io import AudioReadError, add_noise, read_audio, resample
from glasses_perception.voice import asr, wer
from glasses_perception.voice.vad import DemandedDetector, VadConfig, VoiceActivityDetector, segments
from glasses_perception.voice.wake import ListenGate, WakeWordDetector, detect_in

RATE = 16000


def clip(repo_root, name: str) -> np.ndarray:
    return read_audio(repo_root / "assets" / "audio" / f"{name}.wav")


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.float32)


def feed_chunks(target, x: np.ndarray, stamp: float = 0.0, chunk: int = 320) -> list:
    out = []
    for i in range(0, x.size, chunk):
        out += target.feed(x[i : i + chunk], stamp + i / RATE)
    return out


def feed_with_wake(transcriber, stream, audio, wake_stamp, stamp=10.0):
    """Feed 20 ms chunks from ``stamp``; the wake word opens listening in the chunk that holds it."""
    results = []
    for i in range(0, audio.size, 320):
        t = stamp + i / RATE
        if t <= wake_stamp < t + 0.02:
            stream.listen(wake_stamp, "wake_word")
        results += transcriber.feed(audio[i : i + 320], t)
    return results


@pytest.fixture(scope="module")
def whisper():
    return asr.WhisperRecognizer()


# --- audio helpers -------------------------------------------------------------------


def test_read_audio_downmixes_and_resamples_any_file(tmp_path):
    t = np.arange(44100) / 44100
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.zeros_like(t)], axis=1) * 0.5
    sf.write(tmp_path / "tone.flac", stereo, 44100)
    x = read_audio(tmp_path / "tone.flac")
    assert x.dtype == np.float32 and abs(x.size - RATE) <= 2
    assert 0.2 < np.max(np.abs(x)) < 0.3  # mean of the two channels


def test_read_audio_rejects_unreadable_files(tmp_path):
    bad = tmp_path / "not_audio.wav"
    bad.write_bytes(b"RIFF garbage")
    with pytest.raises(AudioReadError):
        read_audio(bad)
    with pytest.raises(AudioReadError):
        read_audio(tmp_path / "missing.wav")


def test_resample_keeps_duration():
    x = np.random.default_rng(1).standard_normal(48000).astype(np.float32)
    assert resample(x, 48000, RATE).size == RATE
    assert resample(x, RATE, RATE) is not None and resample(x, RATE, RATE).size == 48000


@pytest.mark.parametrize("snr_db", [20.0, 10.0, 5.0])
def test_add_noise_reaches_the_requested_snr(snr_db):
    rng = np.random.default_rng(3)
    speech = (0.3 * np.sin(np.arange(RATE) * 0.05)).astype(np.float32)
    mixed = add_noise(speech, snr_db, rng)
    noise = mixed - speech
    measured = 10 * np.log10(np.mean(speech**2) / np.mean(noise**2))
    assert abs(measured - snr_db) < 0.5


# --- word error rate -----------------------------------------------------------------


def test_wer_normalises_numbers_and_punctuation():
    assert wer.word_errors("go forward ten meters", "Go forward 10 meters.") == (0, 4)
    assert wer.word_errors("pay", "Hey.") == (1, 1)
    assert wer.wer(["a b c", "d"], ["a b", "d e"]) == pytest.approx(0.5)
    assert wer.number_words(1250) == "one thousand two hundred fifty"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["pay", "confirm", "the", "train", "station", "7", "beef"]), min_size=1, max_size=8))
def test_wer_is_zero_on_identical_text_and_positive_when_a_word_is_dropped(words):
    text = " ".join(words)
    assert wer.wer([text], [text]) == 0.0
    assert wer.wer([text], [" ".join(words[1:])]) > 0.0


# --- VAD -----------------------------------------------------------------------------


def test_vad_finds_the_spoken_command_with_audio_stamps(repo_root):
    x = np.concatenate([silence(1.0), clip(repo_root, "navigate_train_station"), silence(1.0)])
    found = segments(x, stamp=50.0)
    assert len(found) == 1
    start, end = found[0]
    # speech in the clip runs from about 0.5 s to 2.2 s after its own start (1.0 s in)
    assert 51.3 < start < 51.6 and 52.9 < end < 53.4


def test_vad_ignores_silence_and_steady_noise():
    rng = np.random.default_rng(0)
    assert segments(silence(3.0)) == []
    assert segments((0.01 * rng.standard_normal(3 * RATE)).astype(np.float32)) == []


def test_vad_result_does_not_depend_on_chunk_size(repo_root):
    x = np.concatenate([silence(0.5), clip(repo_root, "what_is_this"), silence(0.6)])
    runs = []
    for chunk in (160, 320, 1600, 777):
        vad = VoiceActivityDetector()
        runs.append([(t.state, round(t.speech_start, 3)) for t in feed_chunks(vad, x, 10.0, chunk)])
    assert runs[0] and all(r == runs[0] for r in runs)


def test_vad_speech_survives_5db_noise(repo_root):
    x = add_noise(clip(repo_root, "airport"), 5.0, np.random.default_rng(5))
    assert len(segments(np.concatenate([x, silence(0.5)]))) == 1


def test_vad_gap_closes_an_open_segment(repo_root):
    vad = VoiceActivityDetector()
    x = clip(repo_root, "order_noodles")[: int(2.0 * RATE)]  # cut in the middle of speech
    events = feed_chunks(vad, x)
    assert [e.state for e in events] == ["start"]
    closed = vad.flush_gap(5.0)
    assert [e.state for e in closed] == ["end"] and closed[0].speech_end == pytest.approx(2.0, abs=0.04)
    assert not vad.in_speech


def test_demanded_vad_scores_nothing_idle_and_catches_up_on_demand(repo_root):
    speech = clip(repo_root, "navigate_train_station")
    x = np.concatenate([silence(2.0), speech, silence(1.0)])
    idle = DemandedDetector(VoiceActivityDetector(), history_s=1.0)
    assert feed_chunks(idle, x, 10.0, 320) == [] and idle.vad.windows == 0  # nobody asked: no model windows
    assert idle.skipped_s == pytest.approx(x.size / RATE, abs=0.03)

    # held (the assistant speaking) from the start: the same start and end as an always-on detector
    always = feed_chunks(VoiceActivityDetector(), x, 10.0, 320)
    held = DemandedDetector(VoiceActivityDetector())
    held.hold(True)
    assert [(t.state, t.speech_start) for t in feed_chunks(held, x, 10.0, 320)] == \
        [(t.state, t.speech_start) for t in always]  # fmt: skip

    # asked in the middle of the speech (a wake event): the history puts the detector in speech, so the
    # end comes with the real start; the start itself, decided before anyone asked, is not sent late
    late = DemandedDetector(VoiceActivityDetector(), history_s=1.0)
    n = 320
    mid = int((2.0 + 1.2) * RATE) // n * n
    assert feed_chunks(late, x[:mid], 10.0, n) == []
    late.want(10.0 + mid / RATE + 6.0)
    got = feed_chunks(late, x[mid:], 10.0 + mid / RATE, n)
    assert [t.state for t in got] == ["end"] and late.catch_ups == 1
    assert got[0].speech_end == pytest.approx(always[1].speech_end, abs=0.07)


def test_vad_config_is_validated():
    with pytest.raises(ValueError):
        VadConfig(threshold=1.5)
    with pytest.raises(ValueError):
        VadConfig(hangover_ms=-1)


# --- wake word -----------------------------------------------------------------------


@pytest.mark.parametrize("name, phrase", [("hey_jarvis", "hey jarvis"), ("okay_nabu", "okay nabu")])
def test_wake_word_clip_fires_once_near_its_end(repo_root, name, phrase):
    x = np.concatenate([clip(repo_root, name), silence(1.0)])
    hits = detect_in(x, WakeWordDetector(), stamp=100.0)
    assert [h.phrase for h in hits] == [phrase]
    assert 100.8 < hits[0].stamp < 101.8 and hits[0].score > 0.5


def test_commands_do_not_wake(repo_root):
    detector = WakeWordDetector()
    x = np.concatenate([clip(repo_root, n) for n in ("navigate_train_station", "order_noodles", "compare_prices")])
    assert detect_in(x, detector) == []


def test_wake_detector_needs_a_model():
    with pytest.raises(ValueError):
        WakeWordDetector(models=[], keyphrases=[])
    with pytest.raises(ValueError):
        WakeWordDetector(models=["no_such_model"])


def test_listen_gate_window_speech_and_follow_up():
    gate = ListenGate(window_s=5.0, follow_up_s=2.0)
    assert not gate.speech_started(1.0)
    gate.open(10.0, "wake_word")
    assert gate.speech_started(14.0)
    assert gate.is_open(30.0)  # speaking keeps it open past the window
    gate.speech_ended()
    assert not gate.is_open(30.1)
    gate.open(40.0, "follow_up")
    assert not gate.speech_started(42.5)  # follow-up window is shorter


# --- ASR -----------------------------------------------------------------------------


def test_whisper_transcribes_commands_in_a_stream(repo_root, whisper):
    x = np.concatenate([clip(repo_root, "navigate_train_station"), silence(0.5), clip(repo_root, "order_noodles")])
    tr = asr.Transcriber(whisper)
    results = feed_chunks(tr, x, stamp=200.0) + tr.finish()
    finals = [r for r in results if r.final]
    assert_transcripts(
        [r.text for r in finals],
        ["navigate to the train station", "order a large beef noodle from the usual place"],
    )
    assert finals[0].audio_start >= 200.0 and finals[0].audio_end < finals[1].audio_start
    assert all(r.latency_ms > 0 and r.engine == "whisper" for r in finals)
    partials = [r for r in results if not r.final]
    assert partials and all(p.utterance_id in (1, 2) for p in partials)


class LoopingWhisper(asr.WhisperRecognizer):
    """A recognizer double: the greedy decode loops, a penalised one does not.

    Real int8 kernels differ by CPU, so whether a given clip loops is not a stable
    oracle; this double makes the guard's control flow deterministic.
    """

    def __init__(self):  # no model: only the decode is replaced
        self.multilingual, self.lang, self.english, self.main = False, "en", None, None
        self.no_speech_threshold, self.loops_retried = 0.6, 0
        self.first_pass_window_s = asr.MAX_WINDOW_S  # one stock pass
        self.calls: list[dict] = []

    def _encode(self, model, x):
        return None

    def _generate(self, model, encoded, lang, task, max_new, **options):
        self.calls.append({"max_new_tokens": max_new, **options})
        if "repetition_penalty" in options:
            return asr.Decoded("Send 10 dollars to Kevin.", [1] * 8, 1.1, -0.2, 0.01)
        return asr.Decoded("10" + ".000" * 100, [2] * max_new, 9.0, -0.1, 0.01)


class TwoPassWhisper(asr.WhisperRecognizer):
    """A double of the two-pass English decode: the first pass's sureness is set by the test."""

    def __init__(self, first_logprob: float, first_text: str = "play some jazz", looped: bool = False):
        self.multilingual, self.lang, self.english = False, "en", None
        self.main = SimpleNamespace(multilingual=False, min_window_s=asr.MAX_WINDOW_S)
        self.no_speech_threshold, self.loops_retried = 0.6, 0
        self.first_pass_window_s, self.first_pass_min_logprob = 20.0, -0.5
        self.first_pass_taken = self.second_passes = 0
        self.first = (first_text, first_logprob, looped)
        self.windows: list[float | None] = []

    def _encode(self, model, x, min_window_s=None):
        self.windows.append(min_window_s)
        return min_window_s

    def _generate(self, model, encoded, lang, task, max_new, **options):
        if encoded == 20.0:
            text, logprob, looped = self.first
            return asr.Decoded(text, [1] * (max_new if looped and not options else 4), 1.1, logprob, 0.01)
        return asr.Decoded("Play some jazz.", [1] * 4, 1.1, -0.2, 0.01)


def test_two_pass_english_takes_a_sure_first_pass_and_redoes_an_unsure_one():
    heard = []
    sure = TwoPassWhisper(first_logprob=-0.3)
    result = sure.recognize(np.zeros(RATE, np.float32), on_first_pass=heard.append)
    assert (result.text, result.passes, sure.windows) == ("play some jazz", 1, [20.0])  # no stock pass
    assert heard == [] and (sure.first_pass_taken, sure.second_passes) == (1, 0)  # taken: the result says it

    unsure = TwoPassWhisper(first_logprob=-0.9, first_text="play sum jars")
    result = unsure.recognize(np.zeros(RATE, np.float32), on_first_pass=heard.append)
    assert (result.text, result.passes, unsure.windows) == ("Play some jazz.", 2, [20.0, None])
    assert heard == ["play sum jars"]  # the early text was out before the stock pass decided
    assert (unsure.first_pass_taken, unsure.second_passes) == (0, 1)

    looped = TwoPassWhisper(first_logprob=-0.1, looped=True)  # sure but looping: not taken
    assert looped.recognize(np.zeros(RATE, np.float32)).passes == 2

    single = TwoPassWhisper(first_logprob=-0.1)
    single.first_pass_window_s = asr.MAX_WINDOW_S
    assert single.recognize(np.zeros(RATE, np.float32), on_first_pass=heard.append).passes == 1
    assert single.windows == [None] and heard[-1] == "play sum jars"  # no first pass, no early text
    with pytest.raises(ValueError, match="first_pass_window_s"):
        asr.WhisperRecognizer(first_pass_window_s=0.5)


def test_two_pass_on_the_real_model(repo_root, whisper):
    stock = asr.WhisperRecognizer(first_pass_window_s=asr.MAX_WINDOW_S)
    for name, said in (("play_jazz", "play some jazz"), ("compare_prices", "compare prices"),
                       ("navigate_train_station", "navigate to the train station")):  # fmt: skip
        x = clip(repo_root, name)
        heard = []
        two = whisper.recognize(x, on_first_pass=heard.append)
        one = stock.recognize(x)
        assert two.passes in (1, 2) and one.passes == 1 and len(heard) == two.passes - 1
        assert_transcript(two.text, said)
        assert_transcript(one.text, said)


def test_decode_budget_grows_with_audio_and_is_capped():
    assert asr.decode_budget(0) == asr.MAX_TOKENS_BASE
    assert asr.decode_budget(3 * RATE) == asr.MAX_TOKENS_BASE + 3 * asr.MAX_TOKENS_PER_S
    assert asr.decode_budget(600 * RATE) == 220


def test_decode_looped_on_budget_or_compression():
    ok = SimpleNamespace(tokens=[0] * 5, compression_ratio=1.2)
    assert not asr.decode_looped([ok], budget=34)
    assert asr.decode_looped([ok, SimpleNamespace(tokens=[0] * 34, compression_ratio=1.2)], budget=34)
    assert asr.decode_looped([SimpleNamespace(tokens=[0] * 5, compression_ratio=3.0)], budget=34)


def test_whisper_repetition_loop_is_cut_and_redone():
    rec = LoopingWhisper()
    result = rec.recognize(np.zeros(3 * RATE, np.float32))
    assert rec.loops_retried == 1 and len(rec.calls) == 2
    assert rec.calls[0]["max_new_tokens"] == asr.decode_budget(3 * RATE)
    assert "repetition_penalty" not in rec.calls[0]
    assert rec.calls[1]["repetition_penalty"] > 1.0 and rec.calls[1]["no_repeat_ngram_size"] >= 2
    assert result.text == "Send 10 dollars to Kevin."


def test_whisper_real_loop_prone_clip_stays_short(repo_root, whisper):
    """On some CPUs greedy tiny.en loops on this clip ("10.000.000..."); whatever it does, the
    budget keeps the answer short. Whether the retry ran depends on the CPU's int8 kernels."""
    x = read_audio(repo_root / "test" / "fixtures" / "voice" / "loop_prone_send_ten_dollars.flac")
    result = whisper.recognize(x)
    # the words themselves depend on those kernels too ("Send 10 dollars to Kevin." on most, "10. 10. Not
    # worth a caving." on one): what must hold everywhere is a short answer that is not a loop
    words = result.text.lower().split()
    assert len(result.text) < 60 and len(set(words)) >= 3, result.text


def test_gate_closed_means_no_transcript_until_listening(repo_root, whisper):
    stream = asr.UtteranceStream(always_listen=False)
    tr = asr.Transcriber(whisper, stream, partials=False)
    assert feed_chunks(tr, np.concatenate([clip(repo_root, "what_is_this"), silence(0.5)])) == []
    assert stream.vad.windows == 0  # nobody listened: the VAD did not run
    # wake word, then the command after a short pause: only the command is transcribed
    wake = clip(repo_root, "hey_jarvis")
    detector = WakeWordDetector()
    hit = detect_in(np.concatenate([wake, silence(0.3)]), detector, stamp=10.0)[0]
    stream2 = asr.UtteranceStream(always_listen=False)
    tr2 = asr.Transcriber(whisper, stream2, partials=False)
    audio = np.concatenate([wake, clip(repo_root, "what_is_this"), silence(0.6)])
    results = feed_with_wake(tr2, stream2, audio, hit.stamp)
    assert_transcripts([r.text for r in results], ["what is this"])
    assert stream2.caught_up == 1 and stream2.vad.windows > 0  # the wake ran it over the history first


def test_english_only_model_refuses_other_languages():
    with pytest.raises(asr.AsrError, match="English-only"):
        asr.WhisperRecognizer(asr.default_whisper_model(), lang="zh")
    with pytest.raises(asr.AsrError):
        asr.WhisperRecognizer(model_path="/nonexistent/model")


def test_grammar_recognizer_on_commands(repo_root):
    grammar = asr.GrammarRecognizer()
    for name, text in [("navigate_train_station", "navigate to the train station"), ("what_is_this", "what is this")]:
        assert_transcript(grammar.recognize(clip(repo_root, name)).text, text)
    with pytest.raises(asr.AsrError):
        asr.GrammarRecognizer("/nonexistent.gram")


# --- TTS -----------------------------------------------------------------------------


def test_tts_speaks_english_and_rejects_empty_text():
    from glasses_bringup.drivers.speech import tts

    samples, rate = tts.synthesize("confirm", rate=RATE)
    assert rate == RATE and samples.dtype == np.float32 and 0.3 * RATE < samples.size < 3 * RATE
    assert np.max(np.abs(samples)) > 0.1
    with pytest.raises(tts.TtsError):
        tts.synthesize("   ")


@pytest.mark.skipif(not __import__("shutil").which("espeak-ng"), reason="espeak-ng not installed")
def test_tts_falls_back_to_espeak_for_other_languages():
    from glasses_bringup.drivers.speech import tts

    synth = tts.Synthesizer()
    assert synth.engine_for("zh") == "espeak" and synth.engine_for("en") == "piper"
    samples, rate = synth.synthesize("你好", lang="zh")
    assert samples.size > 0.2 * rate


def test_tts_cache_replays_a_repeated_reply_and_keeps_only_what_fits():
    from glasses_bringup.drivers.speech import tts

    synth = tts.Synthesizer(cache_s=30.0)
    made = []
    real = synth._synthesized

    def counted(text, lang):
        made.append(text)
        yield from real(text, lang)

    synth._synthesized = counted
    first = list(synth.stream("Cancelled.", "en"))
    again = list(synth.stream("Cancelled.", "en"))
    assert made == ["Cancelled."] and (synth.cache_hits, synth.cache_misses) == (1, 1)
    assert all(np.array_equal(a, b) and ra == rb for (a, ra), (b, rb) in zip(first, again, strict=True))
    assert not again[0][0].flags.writeable  # shared by every replay: nobody may change it
    list(synth.stream("Cancelled.", "zh"))  # another language is another reply
    assert made[-1] == "Cancelled." and synth.cache_misses == 2
    # a reply cut short (barge-in) is not kept
    chunks = synth.stream("Look at the payment code. Then nod.", "en")
    next(chunks)
    chunks.close()
    list(synth.stream("Look at the payment code. Then nod.", "en"))
    assert made.count("Look at the payment code. Then nod.") == 2

    small = tts.Synthesizer(cache_s=0.2)  # shorter than any reply: nothing kept, no error
    small._synthesized = counted
    list(small.stream("Cancelled.", "en"))
    list(small.stream("Cancelled.", "en"))
    assert small.cache_hits == 0 and small.cache_misses == 2
    off = tts.Synthesizer()
    list(off.stream("Cancelled.", "en"))
    assert (off.cache_hits, off.cache_misses) == (0, 0)
    with pytest.raises(ValueError):
        tts.Synthesizer(cache_s=-1.0)


def test_wake_word_inside_an_open_utterance_is_not_transcribed(repo_root, whisper):
    # follow-up window or always_listen: the wearer says the wake word anyway
    wake = clip(repo_root, "hey_jarvis")
    hit = detect_in(np.concatenate([wake, silence(0.3)]), WakeWordDetector(), stamp=10.0)[0]
    stream = asr.UtteranceStream(always_listen=True)
    tr = asr.Transcriber(whisper, stream, partials=False)
    audio = np.concatenate([wake, clip(repo_root, "what_is_this"), silence(0.6)])
    results = feed_with_wake(tr, stream, audio, hit.stamp)
    assert_transcripts([r.text for r in results], ["what is this"])
    assert stream.dropped_short == 1


def test_custom_keyphrase_is_spotted_by_pocketsphinx():
    from glasses_bringup.drivers.speech import tts

    speech, _ = tts.synthesize("hey glasses, what is this", rate=RATE)
    x = np.concatenate([silence(0.5), speech, silence(0.5)])
    hits = detect_in(x, WakeWordDetector(models=[], keyphrases=["hey glasses"]))
    assert [(h.phrase, h.detector) for h in hits] == [("hey glasses", "keyphrase")]
    assert (
        detect_in(
            np.concatenate([silence(0.5), tts.synthesize("compare prices", rate=RATE)[0]]),
            WakeWordDetector(models=[], keyphrases=["hey glasses"]),
        )
        == []
    )


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=2000), min_size=1, max_size=30),
    st.floats(min_value=0.0, max_value=1.0),
    st.integers(min_value=0, max_value=2**16),
)
def test_vad_and_stream_accept_any_chunking_of_any_finite_audio(sizes, level, seed):
    rng = np.random.default_rng(seed)
    stream = asr.UtteranceStream(always_listen=True)
    t = 0.0
    states = []
    for n in sizes:
        x = (level * rng.uniform(-1, 1, n)).astype(np.float32)
        transitions, requests = stream.feed(x, t)
        states += [tr.state for tr in transitions]
        assert all(r.audio.dtype == np.float32 and r.audio_end >= r.audio_start for r in requests)
        t += n / RATE
    # transitions alternate start, end, start, ...
    assert all(s == ("start" if i % 2 == 0 else "end") for i, s in enumerate(states))


# --- language of an utterance, detected once (lang auto) ------------------------------


def test_utterance_languages_keep_only_sure_detections_of_recent_utterances():
    langs = asr.UtteranceLanguages(min_prob=0.9, keep=3)
    langs.learn(1, "zh", 0.6)  # unsure: the next decode detects again
    assert langs.lang_for(1) is None
    langs.learn(1, "en", 0.97)
    langs.learn(1, "zh", 0.99)  # the first sure answer stands for the utterance
    assert langs.lang_for(1) == "en" and langs.reused == 1
    for uid in (2, 3, 4):
        langs.learn(uid, "zh", 0.95)
    assert langs.lang_for(1) is None and langs.lang_for(4) == "zh"  # only the last three are kept


class LanguageDouble:
    """A recognizer double for lang auto: detection and decodes are recorded, text is fixed."""

    engine = "whisper"
    lang = "auto"

    def __init__(self, detected=("zh", 0.98)):
        self.detected = detected
        self.detections: list[int] = []
        self.decodes: list[str | None] = []

    def detect_language(self, samples):
        self.detections.append(samples.size)
        return self.detected

    def recognize(self, samples, lang=None):
        self.decodes.append(lang)
        found = lang or self.detected[0]
        prob = 1.0 if lang else self.detected[1]
        return asr.Recognition("付款" if found == "zh" else "pay", found, "whisper", 1.0, prob)


def test_a_language_probe_early_in_the_utterance_spares_detection_in_its_final_decode(repo_root):
    x = np.concatenate([silence(0.5), clip(repo_root, "navigate_train_station"), silence(0.8)])
    stream = asr.UtteranceStream(always_listen=True, probe_after_s=0.8, partial_interval_s=0.0)
    double = LanguageDouble()
    tr = asr.Transcriber(double, stream)
    results = feed_chunks(tr, x) + tr.finish()
    finals = [r for r in results if r.final]
    assert len(finals) == 1 and finals[0].lang == "zh"
    # one probe of about the first 0.8 s of speech (plus the lead-in), then decodes told the language
    assert len(double.detections) == 1 and 0.8 * RATE <= double.detections[0] <= 1.3 * RATE
    assert double.decodes and all(lang == "zh" for lang in double.decodes)


def test_no_probe_when_disabled_short_or_unsure(repo_root):
    pay = np.concatenate([silence(0.5), clip(repo_root, "pay"), silence(0.8)])
    stream = asr.UtteranceStream(always_listen=True, probe_after_s=0.0, partial_interval_s=0.0)
    _, requests = zip(*[stream.feed(pay[i : i + 320], i / RATE) for i in range(0, pay.size, 320)], strict=True)
    assert not any(r.probe for batch in requests for r in batch)
    # an unsure probe leaves detection to each decode
    double = LanguageDouble(detected=("en", 0.6))
    nav = np.concatenate([silence(0.5), clip(repo_root, "navigate_train_station"), silence(0.8)])
    tr = asr.Transcriber(double, asr.UtteranceStream(always_listen=True, probe_after_s=0.8, partial_interval_s=0.0))
    feed_chunks(tr, nav)
    assert len(double.detections) == 1 and double.decodes and all(lang is None for lang in double.decodes)


class SlowVoice:
    """A synthesizer double: a long sentence in 0.1 s blocks, so close() lands mid-sentence."""

    def warm_up(self):
        pass

    def stream(self, text, lang):
        for _ in range(50):
            yield np.zeros(1600, np.float32), RATE


def test_player_reports_nothing_after_close_even_mid_sentence():
    import threading

    from glasses_bringup.drivers.speech.playback import NullSink, SpeechPlayer

    states, speaking = [], threading.Event()

    def on_state(state, text, request):
        states.append(state)
        if state == "speaking":
            speaking.set()

    player = SpeechPlayer(SlowVoice(), NullSink(RATE), on_state)
    assert player.say("a long answer")
    assert speaking.wait(5)
    player.close()  # the owner's publishers go away right after this
    n = len(states)
    player._thread.join(2)
    assert not player._thread.is_alive() and states == ["speaking"] and len(states) == n


def test_partials_start_only_once_an_utterance_is_long(repo_root):
    x = np.concatenate([silence(0.5), clip(repo_root, "what_is_this"), silence(0.3),
                        clip(repo_root, "order_noodles"), silence(0.8)])  # fmt: skip

    def partial_utterances(first_partial_s):
        stream = asr.UtteranceStream(always_listen=True, partial_interval_s=0.5, first_partial_s=first_partial_s)
        got = []
        for i in range(0, x.size, 320):
            got += [r for r in stream.feed(x[i : i + 320], i / RATE)[1] if not (r.final or r.tentative or r.probe)]
        return {r.utterance_id for r in got}, got

    ids, got = partial_utterances(2.0)
    assert ids == {2} and all(r.audio_end - r.audio_start >= 2.0 for r in got)  # the 1 s command: no partial
    assert partial_utterances(None)[0] == {1, 2}  # one interval in, as before


def test_warm_up_runs_each_english_pass_and_counts_no_decode(whisper):
    taken, second = whisper.first_pass_taken, whisper.second_passes
    assert whisper.warm_up() > 0.0
    assert (whisper.first_pass_taken, whisper.second_passes) == (taken, second)
