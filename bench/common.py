"""Shared by the benchmarks: result file writing and percentile helpers."""

import datetime
import json
import os
import platform
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


# Instruction sets that change numeric kernels (CTranslate2 int8, onnxruntime, OpenBLAS):
# figures from machines with different sets are not directly comparable.
SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8")


def cpu() -> dict:
    """CPU model and the SIMD flags of /proc/cpuinfo that matter for model numerics."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model in ("", platform.machine(), platform.processor()):
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
                break
    except OSError:
        pass
    return {"cpu_model": model, "cpu_simd_flags": [f for f in SIMD_FLAGS if f in flags]}


def percentile(values, q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def write_result(name: str, figures: dict) -> Path:
    """Write bench/results/<name>.json: figures plus machine and date; prints it too."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    doc = {**{k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()}}
    doc["machine"] = machine()
    doc.update(cpu())
    doc["date"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(doc, indent=2))
    return path


class SpinThread:
    """Spins an executor on a background thread (spin_once loop) until stop()."""

    def __init__(self, executor):
        import threading

        self.executor = executor
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        while not self._stop.is_set():
            self.executor.spin_once(timeout_sec=0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
