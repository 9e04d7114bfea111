"""Code reading core: symbologies, classification, corners, real photos, de-duplication."""

from pathlib import Path

import cv2
import numpy as np
import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st

from glasses_perception.vision.codes import (
    CodeReader,
    CodeTracker,
    Decoded,
    classify,
    gtin_check_ok,
    symbology_name,
)

FIXTURES = Path(__file__).parent / "fixtures" / "vision"
PAY = "glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=T1001"


def on_canvas(fmt, text: str, scale: int = 3, offset=(60, 40), size=(480, 640)) -> np.ndarray:
    """A code drawn by zxing-cpp, pasted on a grey RGB canvas."""
    code = np.asarray(zxingcpp.create_barcode(text, fmt).to_image(scale=scale, add_quiet_zones=True))
    canvas = np.full(size, 120, np.uint8)
    y, x = offset
    canvas[y : y + code.shape[0], x : x + code.shape[1]] = code
    return cv2.cvtColor(canvas, cv2.COLOR_GRAY2RGB)


@pytest.fixture(scope="module")
def reader():
    return CodeReader()


def test_symbology_names():
    assert symbology_name(zxingcpp.BarcodeFormat.QRCode) == "QR_CODE"
    assert symbology_name(zxingcpp.BarcodeFormat.EAN13) == "EAN_13"
    assert symbology_name(zxingcpp.BarcodeFormat.UPCA) == "UPC_A"
    assert symbology_name(zxingcpp.BarcodeFormat.DataMatrix) == "DATA_MATRIX"
    assert symbology_name(zxingcpp.BarcodeFormat.Code128) == "CODE_128"


def test_gtin_and_classification():
    for good in ("6901234567892", "4006381333931", "9780201379624", "012345678905"):
        assert gtin_check_ok(good)
    assert not gtin_check_ok("6901234567893")
    assert classify("QR_CODE", PAY) == "payment"
    assert classify("QR_CODE", "wxp://f2f0xyz") == "payment"
    assert classify("EAN_13", "6901234567892") == "product"
    assert classify("QR_CODE", "6901234567892") == "other"
    assert classify("QR_CODE", "https://example.com") == "other"


def test_payment_qr(reader):
    (code,) = reader.decode(on_canvas(zxingcpp.BarcodeFormat.QRCode, PAY, scale=4))
    assert code.symbology == "QR_CODE" and code.kind == "payment"
    assert code.payment["payee"] == "cafe-lumi" and code.payment["amount"] == "12.50"
    assert code.payment_error is None
    # corners: the quad of the symbol itself, inside the pasted image
    xs, ys = zip(*code.corners, strict=True)
    assert 40 < min(xs) < max(xs) < 640 and 60 < min(ys) < max(ys) < 480


def test_malformed_payment_is_flagged_not_dropped(reader):
    (code,) = reader.decode(on_canvas(zxingcpp.BarcodeFormat.QRCode, "glasspay://pay?payee=x&amount=-5&currency=CNY"))
    assert code.kind == "payment" and code.payment is None and code.payment_error == "bad_amount"


def test_product_codes(reader):
    (ean,) = reader.decode(on_canvas(zxingcpp.BarcodeFormat.EAN13, "6901234567892"))
    assert (ean.symbology, ean.text, ean.kind, ean.gtin) == ("EAN_13", "6901234567892", "product", "6901234567892")
    (upc,) = reader.decode(on_canvas(zxingcpp.BarcodeFormat.UPCA, "012345678905"))
    assert (upc.symbology, upc.text, upc.kind, upc.gtin) == ("UPC_A", "012345678905", "product", "0012345678905")


def test_two_codes_in_one_frame(reader):
    frame = on_canvas(zxingcpp.BarcodeFormat.QRCode, PAY, scale=3, offset=(20, 20))
    other = on_canvas(zxingcpp.BarcodeFormat.EAN13, "4006381333931", offset=(300, 300))
    frame[280:, 280:] = other[280:, 280:]
    kinds = sorted(c.kind for c in reader.decode(frame))
    assert kinds == ["payment", "product"]


def test_empty_and_bad_inputs(reader):
    assert reader.decode(np.full((480, 640, 3), 128, np.uint8)) == []
    assert reader.decode(np.zeros((480, 640), np.uint8)) == []
    with pytest.raises(ValueError):
        reader.decode(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(ValueError):
        reader.decode(np.zeros((10, 10, 2), np.uint8))


@pytest.mark.parametrize(
    "name, expected, plain_reads",
    [
        ("qrcode-1_13.jpg", "http://google.com/gwt/n?u=bluenile.com", True),
        ("ean13-1_1.jpg", "8413000065504", True),
        ("ean13-1_34.jpg", "9781558604971", False),  # soft focus: only the upscaled 1D pass reads it
    ],
)
def test_real_photos(name, expected, plain_reads):
    rgb = cv2.cvtColor(cv2.imread(str(FIXTURES / name)), cv2.COLOR_BGR2RGB)
    for reader in (CodeReader(), CodeReader(fallback=True)):  # the node's default, and glasses scan's
        assert [c.gtin or c.text for c in reader.decode(rgb)] == [expected]
    assert bool(CodeReader(fallback_1d=False).decode(rgb)) == plain_reads


def code(text: str) -> Decoded:
    return Decoded("QR_CODE", text, "other", [(0, 0)] * 4)


def test_tracker_reports_a_code_once_while_in_view():
    tracker = CodeTracker(hold_s=1.0)
    assert [c.text for c in tracker.update(10.0, [code("a")])] == ["a"]
    for i in range(1, 20):  # stays in view for 2 s at 10 fps
        assert tracker.update(10.0 + 0.1 * i, [code("a")]) == []
    assert tracker.suppressed == 19
    # brief occlusion shorter than hold_s: still the same sighting
    assert tracker.update(12.5, [code("a")]) == []
    # gone for longer than hold_s: reported again
    assert [c.text for c in tracker.update(14.0, [code("a"), code("b")])] == ["a", "b"]
    assert sorted(t for _, t in tracker.in_view()) == ["a", "b"]


def test_tracker_repeat_and_time_going_back():
    tracker = CodeTracker(hold_s=1.0, repeat_s=0.5)
    assert len(tracker.update(0.0, [code("a")])) == 1
    assert tracker.update(0.3, [code("a")]) == []
    assert len(tracker.update(0.6, [code("a")])) == 1
    # a replayed bag restarts its clock: the code counts as new
    assert len(tracker.update(-5.0, [code("a")])) == 1
    tracker.reset()
    assert len(tracker.update(0.0, [code("a")])) == 1


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=120))
def test_any_qr_payload_round_trips_with_a_consistent_kind(text):
    (found,) = CodeReader().decode(on_canvas(zxingcpp.BarcodeFormat.QRCode, text, scale=3, offset=(10, 10)))
    assert found.text == text and found.symbology == "QR_CODE"
    assert found.kind == classify("QR_CODE", text)
    # a payment is either parsed or refused with a reason, never both and never neither
    if found.kind == "payment":
        assert (found.payment is None) != (found.payment_error is None)
    else:
        assert found.payment is None and found.payment_error is None


@settings(max_examples=30, deadline=None)
@given(st.from_regex(r"\A[0-9]{12}\Z"))
def test_any_ean13_round_trips_as_a_product(body):
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    number = body + str((10 - total % 10) % 10)
    (found,) = CodeReader().decode(on_canvas(zxingcpp.BarcodeFormat.EAN13, number))
    assert found.kind == "product" and found.gtin == number
    expected = ("UPC_A", number[1:]) if number.startswith("0") else ("EAN_13", number)
    assert (found.symbology, found.text) == expected


@settings(max_examples=25, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=60),
       st.sampled_from(["000201", "glasspay://pay?", "wxp://", ""]))  # fmt: skip
def test_a_hostile_qr_beside_a_pay_code_never_hides_it(text, prefix):
    """Any Unicode payload (a scheme prefix and drawn text) in a QR beside a valid pay code: both are read."""
    canvas = np.full((420, 860), 255, np.uint8)
    for i, payload in enumerate([prefix + text, PAY]):
        code = np.asarray(zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode).to_image(scale=3,
                                                                                                   add_quiet_zones=True))  # fmt: skip
        canvas[20 : 20 + code.shape[0], 20 + 430 * i : 20 + 430 * i + code.shape[1]] = code
    found = {c.text: c for c in CodeReader().decode(cv2.cvtColor(canvas, cv2.COLOR_GRAY2RGB))}
    assert found[PAY].payment["payee"] == "cafe-lumi"
    hostile = found.get(prefix + text)
    if hostile is not None and hostile.kind == "payment":
        assert (hostile.payment is None) != (hostile.payment_error is None)


def test_a_code_that_cannot_be_converted_is_counted_not_fatal(monkeypatch):
    """Every decoder result is converted on its own: one that raises is counted, the rest are reported."""
    frame = on_canvas(zxingcpp.BarcodeFormat.QRCode, PAY)
    real = zxingcpp.read_barcodes(np.ascontiguousarray(frame[:, :, 0]))

    class Broken:
        valid = True

        @property
        def format(self):
            raise RuntimeError("decoder returned garbage")

    monkeypatch.setattr(zxingcpp, "read_barcodes", lambda *a, **k: [Broken(), *real, Broken()])
    reader = CodeReader()
    found = reader.decode(frame)
    assert [c.text for c in found] == [PAY] and reader.convert_errors == 2
