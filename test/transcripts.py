"""Checks on model output that hold across CPUs.

Whisper's and CTranslate2's int8 kernels, onnxruntime's OCR and pocketsphinx differ in
their last bits between instruction sets and thread counts, so an exact string is not a
stable oracle. These checks compare normalised text with a small error budget instead.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from glasses_perception.voice import wer


def word_error_budget(reference: str, fraction: float = 0.15) -> int:
    """Word errors tolerated against ``reference``: 15 % of its words, at least one."""
    return max(1, round(fraction * len(wer.normalize(reference).split())))


def assert_transcript(hypothesis: str, reference: str) -> None:
    errors, _ = wer.word_errors(reference, hypothesis)
    assert errors <= word_error_budget(reference), f"{hypothesis!r} is {errors} word errors from {reference!r}"


def assert_transcripts(hypotheses: list[str], references: list[str]) -> None:
    assert len(hypotheses) == len(references), f"{hypotheses!r} vs {references!r}"
    for hyp, ref in zip(hypotheses, references, strict=True):
        assert_transcript(hyp, ref)


def assert_line_read(expected: str, lines: list[str], min_ratio: float = 90.0) -> None:
    """An OCR line close to ``expected`` (rapidfuzz ratio, 0-100) is among ``lines``."""
    best = max((fuzz.ratio(expected, ln) for ln in lines), default=0.0)
    assert best >= min_ratio, f"no line like {expected!r} in {lines!r} (best ratio {best:.0f})"


def char_error_budget(reference: str, fraction: float = 0.2) -> int:
    """Character errors tolerated against a Chinese ``reference``: 20 % of its characters, at least one."""
    return max(1, round(fraction * len(wer.normalize_zh(reference))))


def assert_transcript_zh(hypothesis: str, reference: str) -> None:
    errors, _ = wer.char_errors(reference, hypothesis)
    assert errors <= char_error_budget(reference), f"{hypothesis!r} is {errors} character errors from {reference!r}"


def assert_english(text: str) -> None:
    """Text in Latin script (a translation into English): words, and not a Chinese character."""
    assert re.search(r"[A-Za-z]{2,}", text) and not re.search(r"[\u3400-\u9fff]", text), f"not English: {text!r}"


def key_words_found(text: str, words: tuple[str, ...]) -> list[str]:
    """The ``words`` (stems, lower case) that occur in ``text``: a translation is judged by its content words."""
    low = text.lower()
    return [w for w in words if w in low]
