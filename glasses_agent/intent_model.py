"""Learned intent classifier: character n-grams and an averaged perceptron, numpy only.

Character n-grams (1-4) suit Chinese without word segmentation and survive ASR
spelling slips in English; word unigrams and bigrams add English context. The model is
an averaged multi-class perceptron trained with integer arithmetic only, so training
is reproducible bit for bit on any machine (no BLAS, no float summation order), and
the serialised model (sorted JSON, gzip with a zero time stamp) is byte-identical for
the same corpus. Confidences are a softmax over the scores with a temperature fitted
on the training corpus.

The corpus (``models/intent_corpus.tsv``) is built from ``models/intent_templates.yaml``
plus the development utterance set, with a fixed seed; ``make intents`` rebuilds the
corpus and the model::

    python -m glasses_agent.intent_model build   # corpus + model
    python -m glasses_agent.intent_model check   # retrain in memory, compare bytes
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import json
import random
import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).resolve().parent / "models"
TEMPLATES_PATH = MODEL_DIR / "intent_templates.yaml"
CORPUS_PATH = MODEL_DIR / "intent_corpus.tsv"
MODEL_PATH = MODEL_DIR / "intent_model.json.gz"
FIXTURES = MODEL_DIR.parents[1] / "test" / "fixtures" / "agent"
DEV_SET_PATH = FIXTURES / "utterances.yaml"
HELDOUT_PATHS = (FIXTURES / "intents_heldout.yaml", FIXTURES / "utterances_heldout.yaml")

FORMAT = "glasses-intent-perceptron/2"
SEED = 20261201
EPOCHS = 12
PER_INTENT = {"en": 80, "zh": 70}
PER_UNKNOWN = {"en": 400, "zh": 370}
TEMPERATURES = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0, 48.0, 64.0)

CJK = re.compile(r"[\u4e00-\u9fff]")
_NON_WORD = re.compile(r"[^\w\u4e00-\u9fff']+")
_DIGITS = re.compile(r"\d")


# ================================================================ features ==========


def normalise(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    t = _NON_WORD.sub(" ", t)
    t = _DIGITS.sub("0", t)
    return " ".join(t.split())


WORD_WEIGHT = 3  # a word counts as much as three character n-grams (words carry English intent)


def features(text: str) -> list[str]:
    """Sorted feature strings of one utterance; word features repeated WORD_WEIGHT times."""
    t = normalise(text)
    if not t:
        return ["<empty>"]
    padded = f" {t} "
    out = {"<bias>"}
    for n in (1, 2, 3, 4):
        for i in range(len(padded) - n + 1):
            gram = padded[i : i + n]
            if gram.strip():
                out.add("c" + gram)
    words = [w for w in t.split() if not CJK.search(w)]
    lexical = {"w" + w for w in words} | {"b" + a + "_" + b for a, b in zip(words, words[1:], strict=False)}
    return sorted(out) + sorted(lexical) * WORD_WEIGHT


# ================================================================ model ==========


@dataclass
class IntentModel:
    classes: list[str]
    index: dict[str, int]  # feature -> row
    weights: np.ndarray  # (features, classes) float32, already divided by the averaging scale
    temperature: float

    @classmethod
    def load(cls, path: str | Path = MODEL_PATH) -> IntentModel:
        with gzip.open(path, "rb") as f:
            doc = json.loads(f.read().decode("utf-8"))
        return cls.from_doc(doc)

    @classmethod
    def from_doc(cls, doc: dict) -> IntentModel:
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} model")
        feats, classes = doc["features"].split("\n"), doc["classes"]
        weights = np.zeros((len(feats), len(classes)), np.float32)
        rows = np.cumsum(np.frombuffer(base64.b64decode(doc["row_deltas"]), "<i4").astype(np.int64))
        cols = np.frombuffer(base64.b64decode(doc["cols"]), "<u1").astype(np.int64)
        values = np.frombuffer(base64.b64decode(doc["values"]), "<i8").astype(np.float64)
        weights[rows, cols] = values / doc["scale"]
        return cls(list(classes), {f: i for i, f in enumerate(feats)}, weights, float(doc["temperature"]))

    def scores(self, text: str) -> np.ndarray:
        rows = [self.index[f] for f in features(text) if f in self.index]
        if not rows:
            return np.zeros(len(self.classes), np.float32)
        return self.weights[rows].sum(axis=0)

    def rank(self, text: str, top: int = 3) -> list[tuple[str, float]]:
        """The ``top`` most likely intents with their probabilities, best first."""
        s = self.scores(text).astype(np.float64) / self.temperature
        p = np.exp(s - s.max())
        p /= p.sum()
        order = np.argsort(-p, kind="stable")[:top]
        return [(self.classes[i], float(p[i])) for i in order]

    def nbytes(self) -> int:
        return int(self.weights.nbytes) + sum(len(f) + 60 for f in self.index)


@lru_cache(maxsize=4)
def load_model(path: str = str(MODEL_PATH)) -> IntentModel:
    return IntentModel.load(path)


# ================================================================ training ==========


def train_scores(samples: list[tuple[str, str]], epochs: int = EPOCHS, seed: int = SEED, margin: int = 3):
    """Averaged perceptron in integers: (classes, features, averaged weights * scale, scale)."""
    classes = sorted({label for _, label in samples})
    class_index = {c: i for i, c in enumerate(classes)}
    feats = [features(text) for text, _ in samples]
    vocab = sorted({f for fs in feats for f in fs})
    findex = {f: i for i, f in enumerate(vocab)}
    rows = [np.asarray([findex[f] for f in fs], np.int64) for fs in feats]
    labels = [class_index[label] for _, label in samples]
    w = np.zeros((len(vocab), len(classes)), np.int64)
    u = np.zeros_like(w)  # sum of update * time, for the averaged weights
    rng = random.Random(seed)
    order = list(range(len(samples)))
    step = 1
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            r, y = rows[i], labels[i]
            s = w[r].sum(axis=0)
            s[y] -= margin * len(r)  # update until the right intent wins by a margin, not just wins
            guess = int(np.argmax(s))
            if guess != y:
                np.add.at(w[:, y], r, 1)
                np.add.at(w[:, guess], r, -1)
                np.add.at(u[:, y], r, step)
                np.add.at(u[:, guess], r, -step)
            step += 1
    return classes, vocab, w * step - u, step


def _model_doc(classes, vocab, averaged, scale, temperature) -> dict:
    nz_rows, nz_cols = np.nonzero(averaged)
    values = averaged[nz_rows, nz_cols]
    keep = np.zeros(len(vocab), bool)
    keep[nz_rows] = True
    kept = np.flatnonzero(keep)
    remap = np.full(len(vocab), -1, np.int64)
    remap[kept] = np.arange(len(kept))
    new_rows = remap[nz_rows]
    return {
        "format": FORMAT,
        "classes": classes,
        "features": "\n".join(vocab[i] for i in kept),
        "scale": int(scale),
        "temperature": temperature,
        # little-endian integer arrays, base64: fast to load, identical bytes on every machine
        "row_deltas": base64.b64encode(np.diff(new_rows, prepend=0).astype("<i4").tobytes()).decode("ascii"),
        "cols": base64.b64encode(nz_cols.astype("<u1").tobytes()).decode("ascii"),
        "values": base64.b64encode(values.astype("<i8").tobytes()).decode("ascii"),
    }


def serialise(doc: dict) -> bytes:
    raw = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as f:
        f.write(raw)
    return buf.getvalue()


def fit_temperature(fit: list[tuple[str, str]], check: list[tuple[str, str]]) -> float:
    """Temperature with the lowest log loss on ``check`` for a model trained on ``fit`` only.

    ``fit`` are the template expansions and ``check`` the development set, written by
    other hands: near-duplicate expansions would make any temperature look right.
    """
    classes, vocab, averaged, scale = train_scores(fit)
    model = IntentModel.from_doc(_model_doc(classes, vocab, averaged, scale, 1.0))
    scored = [(model.scores(text).astype(np.float64), model.classes.index(label)) for text, label in check
              if label in model.classes]  # fmt: skip
    best, best_loss = TEMPERATURES[0], float("inf")
    for t in TEMPERATURES:
        loss = 0.0
        for s, y in scored:
            z = s / t
            z = z - z.max()
            loss -= z[y] - np.log(np.exp(z).sum())
        if loss < best_loss - 1e-12:
            best, best_loss = t, loss
    return best


def train(rows: list[tuple[str, str, str]], temperature: float | None = None) -> bytes:
    """Serialised model trained on (text, intent, source) rows; source "dev" rows calibrate."""
    samples = [(text, intent) for text, intent, _ in rows]
    if temperature is None:
        fit = [(t, i) for t, i, src in rows if src != "dev"]
        check = [(t, i) for t, i, src in rows if src == "dev"]
        temperature = fit_temperature(fit, check) if fit and check else 1.0
    classes, vocab, averaged, scale = train_scores(samples)
    return serialise(_model_doc(classes, vocab, averaged, scale, temperature))


# ================================================================ corpus ==========


def _expand(pattern: str) -> list[str]:
    """All strings of a template: (a|b) alternatives, [x] optional; {slot} kept as is."""

    def seq(s: str, i: int, stop: str) -> tuple[list[str], int]:
        outs, cur = [], [""]
        while i < len(s) and s[i] not in stop:
            ch = s[i]
            if ch in "([":
                close = ")" if ch == "(" else "]"
                alts, i = group(s, i + 1, close)
                if ch == "[" or (i < len(s) and s[i] == "?"):
                    alts = alts + [""]
                    i += int(ch == "(")
                cur = [a + b for a in cur for b in alts]
            else:
                cur = [a + ch for a in cur]
                i += 1
        outs.extend(cur)
        return outs, i

    def group(s: str, i: int, close: str) -> tuple[list[str], int]:
        alts: list[str] = []
        while True:
            part, i = seq(s, i, "|" + close)
            alts.extend(part)
            if i >= len(s) or s[i] == close:
                return alts, i + 1
            i += 1  # skip "|"

    out, _ = seq(pattern, 0, "")
    return [" ".join(x.split()) for x in out]


EN_PREFIXES = ["um ", "uh ", "hey glasses ", "ok glasses ", "please ", "could you ", "can you ", "hmm ", "so ",
               "i'd like to ", "would you ", "erm ", "glasses ", "hey "]  # fmt: skip
EN_SUFFIXES = [" please", " thanks", " now", " for me", " thank you", " ok", " right now"]
ZH_PREFIXES = ["嗯", "帮我", "那个", "麻烦", "请", "你好眼镜", "嘿眼镜", "我想", "能不能", "呃", "眼镜", "嗯那个", "给我"]
ZH_SUFFIXES = ["吧", "一下", "谢谢", "呀", "好吗", "啊", "呢", "可以吗"]
EN_DIGIT_WORDS = {"10": "ten", "20": "twenty", "5": "five", "8": "eight", "7": "seven", "9": "nine", "12": "twelve",
                  "3": "three", "15": "fifteen", "42": "forty two", "50": "fifty", "100": "one hundred"}  # fmt: skip


def _augment(text: str, lang: str, rng: random.Random) -> str:
    if lang == "en":
        if rng.random() < 0.3:
            text = rng.choice(EN_PREFIXES) + text
        if rng.random() < 0.2:
            text = text + rng.choice(EN_SUFFIXES)
        if rng.random() < 0.25:
            text = re.sub(r"\b\d+\b", lambda m: EN_DIGIT_WORDS.get(m.group(0), m.group(0)), text)
        if rng.random() < 0.3:
            text = text[:1].upper() + text[1:] + rng.choice([".", "?", "!", ""])
        return text
    if rng.random() < 0.3:
        text = rng.choice(ZH_PREFIXES) + text
    if rng.random() < 0.2:
        text = text + rng.choice(ZH_SUFFIXES)
    if rng.random() < 0.25:
        text = text + rng.choice(["。", "？", "！", ""])
    if rng.random() < 0.1 and len(text) > 4:
        cut = rng.randrange(1, len(text) - 1)
        text = text[:cut] + "，" + text[cut:]
    return text


def build_corpus(templates: dict, dev_set: list[dict] | None = None, seed: int = SEED,
                 exclude: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, str, str, str]]:  # fmt: skip
    """(text, lang, intent, source) rows: template expansions per intent and language, then the dev set.

    ``exclude`` holds normalised texts that must never be trained on (the held-out splits): an
    expansion or dev utterance equal to one of them is left out, so a held-out figure never
    counts a sentence the model has seen.
    """
    rng = random.Random(seed)
    fillers = templates["fillers"]
    rows: list[tuple[str, str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for intent in sorted(templates["intents"]):
        for lang in ("en", "zh"):
            patterns = templates["intents"][intent].get(lang) or []
            expanded = []
            for p in patterns:
                variants = sorted(set(_expand(p)))
                rng.shuffle(variants)
                expanded.append(variants[:200])
            target = (PER_UNKNOWN if intent == "unknown" else PER_INTENT)[lang]
            made, k, stalls = 0, 0, 0
            while made < target and expanded and stalls < 10 * len(expanded):
                variants = expanded[k % len(expanded)]
                if not variants:
                    k += 1
                    stalls += 1
                    continue
                text = variants[(k // len(expanded)) % len(variants)]  # every variant of a short template in turn
                k += 1
                values = fillers[lang]
                text = re.sub(r"\{(\w+)\}", lambda m, values=values: str(rng.choice(values[m.group(1)])), text)
                text = _augment(text, lang, rng)
                key = (text.lower(), lang)
                if key in seen or normalise(text) in exclude:
                    stalls += 1
                    continue
                seen.add(key)
                rows.append((text, lang, intent, "template"))
                made += 1
    for item in dev_set or []:
        if item["text"].strip() and normalise(item["text"]) not in exclude:
            rows.append((item["text"], item["lang"], item["intent"], "dev"))
    return rows


def write_corpus(rows, path: Path = CORPUS_PATH) -> None:
    lines = ["text\tlang\tintent\tsource"] + ["\t".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_corpus(path: Path = CORPUS_PATH) -> list[tuple[str, str, str]]:
    """(text, intent, source) rows of the corpus file."""
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [(cols[0], cols[2], cols[3]) for cols in (line.split("\t") for line in lines) if len(cols) == 4]


def heldout_texts() -> frozenset[str]:
    """Normalised texts of the held-out splits: read only to keep them out of the corpus."""
    return frozenset(normalise(it["text"]) for p in HELDOUT_PATHS if p.exists() for it in _load_yaml(p) or [])


def _load_yaml(path: Path):
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m glasses_agent.intent_model", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("build", "train", "check"),
                        help="build: corpus and model; train: model from the corpus; check: retrain and compare bytes")  # fmt: skip
    parser.add_argument("--corpus", type=Path, default=CORPUS_PATH)
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    if args.command == "build":
        dev = _load_yaml(DEV_SET_PATH) if DEV_SET_PATH.exists() else []
        write_corpus(build_corpus(_load_yaml(TEMPLATES_PATH), dev, exclude=heldout_texts()), args.corpus)
    blob = train(read_corpus(args.corpus))
    digest = hashlib.sha256(blob).hexdigest()
    if args.command == "check":
        stored = args.model.read_bytes() if args.model.exists() else b""
        same = stored == blob
        print(f"retrained sha256 {digest}; stored {'matches' if same else 'DIFFERS'}")
        return 0 if same else 1
    args.model.write_bytes(blob)
    print(f"{args.corpus.name}: {len(read_corpus(args.corpus))} utterances -> {args.model.name} "
          f"({len(blob)} bytes, sha256 {digest})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
