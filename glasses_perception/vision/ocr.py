"""Text in camera frames (price tags, labels, signs) with rapidocr and onnxruntime.

The PP-OCR detection, recognition and orientation models ship inside the
rapidocr wheel; every model path is a constructor argument (a node parameter),
empty meaning "the model in the wheel". Nothing is downloaded at run time: a
missing model file is an error at load time, not a silent fetch.

``OcrEngine.read(image)`` returns lines with their box and score;
``read_text`` adds the prices found in them (prices.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from glasses_perception.vision.prices import FoundPrice, find_prices_in_lines

DEFAULT_MODELS = {
    "det": "PP-OCRv6_det_small.onnx",
    "rec": "PP-OCRv6_rec_small.onnx",
    "cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}


class OcrError(RuntimeError):
    """The OCR engine could not be loaded or failed on an image."""


def wheel_model(kind: str) -> Path:
    """Path of a model shipped in the rapidocr wheel (det, rec or cls)."""
    import rapidocr

    return Path(rapidocr.__file__).resolve().parent / "models" / DEFAULT_MODELS[kind]


@dataclass
class OcrLine:
    text: str
    box: list[tuple[float, float]]
    score: float


@dataclass
class OcrResult:
    lines: list[OcrLine]
    prices: list[FoundPrice] = field(default_factory=list)
    latency_ms: float = 0.0


class OcrEngine:
    """PP-OCR through rapidocr; load() once (slow), then read() per image."""

    def __init__(self, det_model_path: str = "", rec_model_path: str = "", cls_model_path: str = "",
                 rec_keys_path: str = "", use_cls: bool = False, threads: int = 1, min_score: float = 0.5,
                 channel_order: str = "rgb"):
        self.paths = {
            "det": Path(det_model_path) if det_model_path else wheel_model("det"),
            "rec": Path(rec_model_path) if rec_model_path else wheel_model("rec"),
            "cls": Path(cls_model_path) if cls_model_path else wheel_model("cls"),
        }
        self.rec_keys_path = rec_keys_path
        self.use_cls = use_cls
        self.threads = threads
        self.min_score = min_score
        self.channel_order = channel_order
        self._engine = None

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    def load(self) -> None:
        for kind, path in self.paths.items():
            if (kind != "cls" or self.use_cls) and not path.is_file():
                raise OcrError(f"{kind} model not found: {path}")
        from rapidocr import RapidOCR

        params = {
            "Global.log_level": "error",
            "Global.use_cls": self.use_cls,
            "Global.text_score": self.min_score,
            "Det.model_path": str(self.paths["det"]),
            "Rec.model_path": str(self.paths["rec"]),
            "Cls.model_path": str(self.paths["cls"]),
            "EngineConfig.onnxruntime.intra_op_num_threads": int(self.threads),
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        if self.rec_keys_path:
            params["Rec.rec_keys_path"] = self.rec_keys_path
        try:
            self._engine = RapidOCR(params=params)
        except Exception as exc:
            raise OcrError(f"cannot load OCR models: {exc}") from exc

    def unload(self) -> None:
        self._engine = None

    def read(self, image: np.ndarray) -> list[OcrLine]:
        """Text lines in an RGB (or BGR / gray) uint8 image, top to bottom."""
        if self._engine is None:
            self.load()
        if image.dtype != np.uint8 or image.ndim not in (2, 3):
            raise OcrError(f"expected a uint8 image, got {image.dtype} {image.shape}")
        if image.ndim == 2:
            bgr = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        elif self.channel_order == "rgb":
            bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)  # rapidocr works on OpenCV's BGR order
        else:
            bgr = image
        out = self._engine(bgr)
        if out is None or out.txts is None or out.boxes is None:
            return []
        lines = []
        for text, box, score in zip(out.txts, out.boxes, out.scores, strict=False):
            if float(score) < self.min_score or not str(text).strip():
                continue
            lines.append(OcrLine(str(text), [(float(x), float(y)) for x, y in np.asarray(box)], float(score)))
        lines.sort(key=lambda ln: (min(y for _, y in ln.box), min(x for x, _ in ln.box)))
        return lines

    def read_text(self, image: np.ndarray, dollar: str = "USD", yen: str = "CNY",
                  bare_currency: str | None = None) -> OcrResult:
        """Lines plus the prices in them, with the time spent."""
        start = time.perf_counter()
        lines = self.read(image)
        prices = find_prices_in_lines([ln.text for ln in lines], dollar=dollar, yen=yen,
                                      bare_currency=bare_currency)
        return OcrResult(lines, prices, (time.perf_counter() - start) * 1000.0)
