"""`glasses transcribe FILE... [--lang L] [--model PATH] [--grammar F]`: ASR for testers.

Reads wav/flac/ogg at any rate and channel count (downmixed, resampled to 16 kHz),
runs the same recognizers as the asr node on the whole file, and prints one JSON
line per file: file, text, lang, audio_s, latency_ms (decode time), engine.
A file that cannot be read or recognised gives a line with "error"; the exit
code is then 1, after every other file was done.
"""

from __future__ import annotations

import argparse
import json
import sys

from glasses_perception.voice import asr
from glasses_perception.voice.audio_io import ASR_RATE, AudioReadError, read_audio


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="audio files (wav, flac, ogg; any rate and channels)")
    parser.add_argument("--lang", default="en", help="language code, or 'auto' with a multilingual model (default en)")
    parser.add_argument("--model", default="", help="Whisper CTranslate2 model directory (default: shipped tiny.en)")
    parser.add_argument(
        "--grammar",
        nargs="?",
        const="default",
        default=None,
        metavar="F",
        help="use the pocketsphinx JSGF grammar recognizer (F = .gram file; alone: the shipped command grammar)",
    )
    parser.add_argument("--prompt", default=asr.DEFAULT_PROMPT, help="Whisper vocabulary prompt ('' for none)")
    parser.add_argument("--beam-size", type=int, default=1, help="Whisper beam size (default 1)")


def run(args: argparse.Namespace) -> int:
    try:
        if args.grammar is not None:
            recognizer = asr.GrammarRecognizer(None if args.grammar == "default" else args.grammar, lang=args.lang)
        else:
            recognizer = asr.WhisperRecognizer(
                args.model or None, lang=args.lang, prompt=args.prompt, beam_size=args.beam_size
            )
    except (asr.AsrError, ValueError, RuntimeError) as exc:
        print(f"glasses transcribe: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for path in args.files:
        line: dict = {"file": path}
        try:
            samples = read_audio(path)
            result = recognizer.recognize(samples, args.lang)
            line.update(
                text=result.text,
                lang=result.lang,
                audio_s=round(samples.size / ASR_RATE, 3),
                latency_ms=round(result.decode_ms, 1),
                engine=result.engine,
            )
        except AudioReadError as exc:
            line["error"] = str(exc)
        except Exception as exc:  # one bad file must not stop the batch
            line["error"] = f"{type(exc).__name__}: {exc}"
        failed += "error" in line
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return 1 if failed else 0
