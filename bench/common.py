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


def percentile(values, q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def write_result(name: str, figures: dict) -> Path:
    """Write bench/results/<name>.json: figures plus machine and date; prints it too."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    doc = {**{k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()}}
    doc["machine"] = machine()
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
