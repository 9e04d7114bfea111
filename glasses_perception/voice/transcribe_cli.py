"""`glasses transcribe FILE... [--lang en|zh|auto] [--model PATH] [--grammar F]`: ASR for testers.

Reads wav/flac/ogg at any rate and channel count (downmixed, resampled to 16 kHz)
in blocks, so a long file never sits in memory whole. The same VAD as the asr node
cuts it into utterances (silence never reaches the recognizer: no "you" from
Whisper on an hour of nothing), each is recognised with the node's recognizers,
and one JSON line per file is printed: file, text, lang, audio_s, latency_ms
(decode time), engine, utterances. A file that cannot be read (unreadable,
truncated, corrupt samples, longer than --max-duration) gives a line with "error";
the exit code is then 1, after every other file was done.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from glasses_bringup.foundation.audio_io import AudioFile, AudioReadError
from glasses_perception.voice import asr

DEFAULT_MAX_DURATION_S = 1800.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="audio files (wav, flac, ogg; any rate and channels)")
    parser.add_argument(
        "--lang", default="en", choices=asr.LANGS,
        help="en (tiny.en), zh or auto (multilingual Whisper base, detected per utterance); default en",
    )  # fmt: skip
    parser.add_argument("--model", default="", help="Whisper CTranslate2 model directory (default: shipped model)")
    parser.add_argument(
        "--grammar",
        nargs="?",
        const="default",
        default=None,
        metavar="F",
        help="use the pocketsphinx JSGF grammar recognizer (F = .gram file; alone: the shipped command grammar)",
    )
    parser.add_argument("--prompt", default=None, help="Whisper vocabulary prompt ('' for none; default per language)")
    parser.add_argument("--beam-size", type=int, default=1, help="Whisper beam size (default 1)")
    parser.add_argument(
        "--max-duration", type=float, default=DEFAULT_MAX_DURATION_S, metavar="S",
        help=f"refuse files longer than S seconds (default {DEFAULT_MAX_DURATION_S:g})",
    )  # fmt: skip


def transcribe_file(recognizer, path: str, lang: str, max_duration_s: float | None) -> dict:
    """One file -> the JSON line's fields (raises AudioReadError on bad audio)."""
    audio = AudioFile(path, max_duration_s=max_duration_s)
    transcriber = asr.Transcriber(recognizer, asr.UtteranceStream(always_listen=True, partial_interval_s=0.0),
                                  partials=False, speculative=False)  # fmt: skip
    results: list[asr.TranscriptResult] = []
    end = 0.0
    for start, x in audio.blocks():
        results += [r for r in transcriber.feed(x, start) if r.final]
        end = start + x.size / asr.ASR_RATE
    results += [r for r in transcriber.finish() if r.final]
    spoken = [r for r in results if r.text]
    langs = Counter()
    for r in spoken:
        langs[r.lang] += r.audio_end - r.audio_start
    lang_out = langs.most_common(1)[0][0] if langs else ("en" if lang == "auto" else lang)
    text = ""
    for r in spoken:  # no space between two Chinese utterances, one before a non-Chinese one
        joiner = "" if not text or (r.lang == "zh" and asr.CJK_END.search(text)) else " "
        text += joiner + r.text
    line = {
        "text": text,
        "lang": lang_out,
        "audio_s": round(end, 3),
        "latency_ms": round(sum(r.decode_ms for r in results), 1),
        "engine": recognizer.engine,
        "utterances": len(spoken),
    }
    if len(langs) > 1:
        line["langs"] = sorted(langs)
    return line


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
    max_duration = args.max_duration if args.max_duration and args.max_duration > 0 else None
    for path in args.files:
        line: dict = {"file": path}
        try:
            line.update(transcribe_file(recognizer, path, args.lang, max_duration))
        except AudioReadError as exc:
            line["error"] = str(exc)
        except Exception as exc:  # one bad file must not stop the batch
            line["error"] = f"{type(exc).__name__}: {exc}"
        failed += "error" in line
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return 1 if failed else 0
