"""OCR core on rendered price tags (rapidocr models from the wheel)."""

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from transcripts import assert_line_read

from glasses_bringup.drivers.sim.scenario import Show
from glasses_bringup.drivers.sim.scene import SceneRenderer
from glasses_perception.vision.ocr import OcrEngine, OcrError


@pytest.fixture(scope="module")
def engine():
    e = OcrEngine()
    e.load()
    return e


@pytest.mark.parametrize(
    "tag, line, amount, currency",
    [
        ("Oolong Tea\n$3.99", "Oolong Tea", "3.99", "USD"),
        ("Jasmine Rice 1 kg\n€2,49", "Jasmine Rice 1 kg", "2.49", "EUR"),
        ("A5 Notebook\n¥12.50", "A5 Notebook", "12.50", "CNY"),
    ],
)
def test_price_tags(engine, tag, line, amount, currency):
    frame = SceneRenderer(640, 480, seed=5).render(0.0, [Show(kind="text", text=tag, size=0.45, tilt_deg=12)])
    result = engine.read_text(frame)
    assert_line_read(line, [ln.text for ln in result.lines])
    assert [(p.amount, p.currency) for p in result.prices] == [(Decimal(amount), currency)]
    for ln in result.lines:
        assert len(ln.box) == 4 and 0.5 <= ln.score <= 1.0
    assert result.latency_ms > 0


def test_no_text(engine):
    result = engine.read_text(np.full((240, 320, 3), 90, np.uint8))
    assert result.lines == [] and result.prices == []


def test_bad_inputs_and_missing_model(engine, tmp_path):
    with pytest.raises(OcrError):
        engine.read(np.zeros((10, 10, 3), np.float32))
    missing = OcrEngine(det_model_path=str(tmp_path / "nope.onnx"))
    with pytest.raises(OcrError, match="det model not found"):
        missing.load()


@pytest.mark.parametrize(
    "name, line, amount",
    [
        ("zh_tag_oolong.jpg", "乌龙茶 500ml", "6.50"),
        ("zh_tag_special.jpg", "特价", "12.50"),
        ("zh_tag_rice.jpg", "茉莉香米 1kg", "29.90"),
    ],
)
def test_chinese_price_tags(engine, name, line, amount):
    import cv2

    path = Path(__file__).parent / "fixtures" / "vision" / name
    frame = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    result = engine.read_text(frame)
    assert_line_read(line, [ln.text for ln in result.lines])
    assert [(p.amount, p.currency) for p in result.prices] == [(Decimal(amount), "CNY")]
