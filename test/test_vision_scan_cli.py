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


def png_of_zeros(path: Path, width: int, height: int) -> None:
    """A valid grey PNG written row by row (a huge image in a small file, never held in memory)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte 0 + zero pixels
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def test_a_huge_image_is_refused_from_its_header_before_decoding(tmp_path, capsys):
    bomb = tmp_path / "bomb.png"  # 30000 x 30000 promised by a file of a few hundred bytes
    png_of_zeros(bomb, 30000, 1)
    data = bytearray(bomb.read_bytes())
    data[16:24] = (30000).to_bytes(4, "big") * 2
    import struct
    import zlib

    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    bomb.write_bytes(bytes(data))
    big = tmp_path / "big.png"  # a real 2000 x 2000 image, over a 1 MP cap
    png_of_zeros(big, 2000, 2000)
    rc, lines = run_scan(capsys, bomb, big, "--max-pixels", 1_000_000)
    assert rc == 1
    assert "too large" in lines[0]["error"]
    assert "too large" in lines[1]["error"] and "2000x2000" in lines[1]["error"]
    rc, lines = run_scan(capsys, big)  # under the default cap it is scanned
    assert rc == 0 and lines[0]["codes"] == 0
