"""`glasses scan`: one JSON line per code, codes: 0 for none, error for unreadable files."""

import json
from pathlib import Path

import cv2
import numpy as np
import zxingcpp

from glasses_bringup.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "vision"
PAY = "glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=T1001"


def run_scan(capsys, *argv) -> tuple[int, list[dict]]:
    rc = main(["scan", *map(str, argv)])
    out = capsys.readouterr().out
    return rc, [json.loads(line) for line in out.splitlines()]


def test_scan_mixed_batch(tmp_path, capsys):
    pay = tmp_path / "pay.png"
    cv2.imwrite(str(pay), np.asarray(zxingcpp.create_barcode(PAY, zxingcpp.BarcodeFormat.QRCode).to_image(scale=4)))
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((120, 160, 3), 200, np.uint8))
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"\x00not an image at all")
    missing = tmp_path / "missing.png"
    rc, lines = run_scan(capsys, pay, FIXTURES / "ean13-1_1.jpg", blank, garbage, missing)
    assert rc == 1  # some files were unreadable
    assert [line["file"] for line in lines] == [str(p) for p in (pay, FIXTURES / "ean13-1_1.jpg", blank, garbage, missing)]
    first, ean, none, bad, gone = lines
    assert first["symbology"] == "QR_CODE" and first["kind"] == "payment" and first["text"] == PAY
    assert first["payment"]["amount"] == "12.50" and len(first["corners"]) == 4 and first["latency_ms"] >= 0
    assert (ean["symbology"], ean["text"], ean["kind"]) == ("EAN_13", "8413000065504", "product")
    assert none["codes"] == 0
    assert "error" in bad and "error" in gone


def test_scan_ok_exit_status_and_bad_formats(capsys):
    rc, lines = run_scan(capsys, FIXTURES / "qrcode-1_13.jpg")
    assert rc == 0 and lines[0]["kind"] == "other"
    rc, lines = run_scan(capsys, "--no-fallback", FIXTURES / "ean13-1_34.jpg")
    assert rc == 0 and lines == [{"file": str(FIXTURES / "ean13-1_34.jpg"), "codes": 0,
                                  "latency_ms": lines[0]["latency_ms"]}]
    assert main(["scan", "--formats", "NoSuchFormat", str(FIXTURES / "qrcode-1_13.jpg")]) == 2
