"""A simulated wearer reading a script aloud, as the transcript stream ASR would give.

For teleprompter tests and the benchmark: the reader goes through the script line by
line at ``wpm``, skips some lines, repeats a few words (restarts), and a fraction of
words comes out mis-recognised or dropped. Each utterance (one line, or the rest of
it after a restart) yields partial transcripts every ``partial_every`` words and a
final; every update carries the line the reader is on (the ground truth).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

CONFUSIONS = ("the", "a", "and", "uh", "of", "to", "in", "that")


@dataclass(frozen=True)
class Heard:
    t: float  # seconds since the reading began
    text: str
    utterance_id: int
    final: bool
    true_line: int  # line of the last word said


def read_aloud(
    lines: list[str],
    seed: int = 0,
    wpm: float = 140.0,
    skip_lines: tuple[int, ...] = (),
    repeat_prob: float = 0.08,
    error_rate: float = 0.1,
    partial_every: int = 2,
    pause_s: float = 0.4,
) -> list[Heard]:
    rng = random.Random(seed)
    out: list[Heard] = []
    t, utterance = 0.0, 0
    per_word = 60.0 / wpm
    for line_no, line in enumerate(lines):
        if line_no in skip_lines:
            continue
        words = line.split()
        i = 0
        while i < len(words):
            utterance += 1
            said: list[str] = []
            while i < len(words):
                t += per_word
                roll = rng.random()
                if roll < error_rate / 2:
                    said.append(rng.choice(CONFUSIONS))  # substituted
                elif roll >= error_rate:
                    said.append(words[i])
                # else: dropped by the recognizer
                i += 1
                if said and len(said) % partial_every == 0:
                    out.append(Heard(t, " ".join(said), utterance, False, line_no))
                if i < len(words) and rng.random() < repeat_prob:
                    i = max(0, i - rng.randint(1, 3))  # the reader stumbles and restarts a few words back
                    break
            if said:
                t += pause_s
                out.append(Heard(t, " ".join(said), utterance, True, line_no))
    return out
