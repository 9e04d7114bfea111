"""Word error rate with the text normalisation speech benchmarks use (jiwer underneath).

Both sides are lower-cased, stripped of punctuation, and numbers written as digits
become words ("10" -> "ten"), so "Go forward 10 meters." matches "go forward ten
meters". Without this, formatting differences would count as recognition errors.
"""

from __future__ import annotations

import re

import jiwer

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    """English words for 0..999999; larger numbers are read digit by digit."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    if n < 1_000_000:
        rest = n % 1000
        return number_words(n // 1000) + " thousand" + ("" if rest == 0 else " " + number_words(rest))
    return " ".join(_ONES[int(d)] for d in str(n))


def normalize(text: str) -> str:
    t = text.lower().replace("%", " percent")
    t = re.sub(r"(?<=\d),(?=\d{3})", "", t)  # 1,000 -> 1000
    t = re.sub(r"\d+", lambda m: " " + number_words(int(m.group())) + " ", t)
    t = re.sub(r"[^\w\s']", " ", t)  # punctuation (keeps apostrophes inside words)
    t = re.sub(r"(?<!\w)'|'(?!\w)", " ", t)
    return " ".join(t.split())


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(substitutions + deletions + insertions, reference word count) after normalising."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    n_ref = len(ref.split())
    if n_ref == 0:
        return len(hyp.split()), 0
    if not hyp:
        return n_ref, n_ref
    out = jiwer.process_words(ref, hyp)
    return out.substitutions + out.deletions + out.insertions, n_ref


def _corpus_rate(references: list[str], hypotheses: list[str], errors_of, unit: str) -> float:
    """Total errors / total reference units over a corpus; ``errors_of(ref, hyp)`` -> (errors, units)."""
    if len(references) != len(hypotheses):
        raise ValueError("references and hypotheses differ in length")
    errors = units = 0
    for ref, hyp in zip(references, hypotheses, strict=True):
        e, n = errors_of(ref, hyp)
        errors += e
        units += n
    if units == 0:
        raise ValueError(f"no reference {unit}")
    return errors / units


def wer(references: list[str], hypotheses: list[str]) -> float:
    """Corpus word error rate (total errors / total reference words), 0..inf."""
    return _corpus_rate(references, hypotheses, word_errors, "words")


# --- Chinese: character error rate ---------------------------------------------------

_DIGITS = re.compile(r"\d+(?:\.\d+)?")


def normalize_zh(text: str) -> str:
    """Chinese text for CER: simplified script, numerals in Chinese ("12" -> "十二"),
    no punctuation or spaces, Latin letters lower-cased."""
    import cn2an

    from glasses_perception.voice.asr import to_simplified

    t = to_simplified(text).lower()
    t = re.sub(r"(?<=\d),(?=\d{3})", "", t)
    t = _DIGITS.sub(lambda m: cn2an.an2cn(m.group()), t)
    return "".join(ch for ch in t if ch.isalnum())


def char_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(character edits, reference characters) after ``normalize_zh``."""
    ref, hyp = normalize_zh(reference), normalize_zh(hypothesis)
    if not ref:
        return len(hyp), 0
    if not hyp:
        return len(ref), len(ref)
    out = jiwer.process_characters(ref, hyp)
    return out.substitutions + out.deletions + out.insertions, len(ref)


def cer(references: list[str], hypotheses: list[str]) -> float:
    """Corpus character error rate (total edits / total reference characters)."""
    return _corpus_rate(references, hypotheses, char_errors, "characters")
