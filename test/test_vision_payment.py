"""Payment payload parsing: the sandbox glasspay URL, EMVCo, WeChat / Alipay, and malformed codes."""

from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glasses_bringup.foundation.payment import (
    PaymentPayloadError,
    clean_text,
    crc16_ccitt,
    looks_like_payment,
    parse_payment,
    to_minor,
)

EXAMPLE = "glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=T1001"


def emv(fields: list[tuple[str, str]]) -> str:
    body = "".join(f"{tag}{len(value):02d}{value}" for tag, value in fields) + "6304"
    return body + f"{crc16_ccitt(body.encode()):04X}"


def test_glasspay_example():
    req = parse_payment(EXAMPLE)
    assert req.scheme == "glasspay"
    assert req.payee == "cafe-lumi"
    assert req.name == "Cafe Lumi"
    assert req.amount == Decimal("12.50")
    assert req.currency == "CNY"
    assert req.ref == "T1001"
    assert req.as_dict()["amount"] == "12.50"


def test_glasspay_without_amount_lets_the_wearer_state_it():
    req = parse_payment("glasspay://pay?payee=kiosk-7&name=Kiosk&currency=EUR")
    assert req.amount is None and req.currency == "EUR"


@pytest.mark.parametrize(
    "payload, reason",
    [
        ("glasspay://pay?name=Cafe&amount=1.00&currency=CNY", "missing_payee"),
        ("glasspay://pay?payee=&amount=1.00&currency=CNY", "missing_payee"),
        ("glasspay://pay?payee=a%20b&amount=1.00&currency=CNY", "bad_payee"),
        ("glasspay://pay?payee=cafe&amount=-3.00&currency=CNY", "bad_amount"),
        ("glasspay://pay?payee=cafe&amount=NaN&currency=CNY", "bad_amount"),
        ("glasspay://pay?payee=cafe&amount=1e3&currency=CNY", "bad_amount"),
        ("glasspay://pay?payee=cafe&amount=0&currency=CNY", "bad_amount"),
        ("glasspay://pay?payee=cafe&amount=12.505001&currency=CNY", "bad_amount"),
        ("glasspay://pay?payee=cafe&amount=99999999&currency=CNY", "bad_amount"),
        ("glasspay://pay?payee=cafe&amount=1.00&currency=XYZ", "bad_currency"),
        ("glasspay://pay?payee=cafe&amount=1.00&currency=yuan", "bad_currency"),
        ("glasspay://pay?payee=cafe&amount=1.00&amount=100.00&currency=CNY", "repeated_field"),
        ("glasspay://refund?payee=cafe&amount=1.00", "bad_url"),
    ],
)
def test_malformed_glasspay_is_refused(payload, reason):
    assert looks_like_payment(payload)
    with pytest.raises(PaymentPayloadError) as err:
        parse_payment(payload)
    assert err.value.reason == reason


@pytest.mark.parametrize("text", ["https://example.com/pay", "6901234567892", "MEBKM:URL:x;;", "", "glasspay"])
def test_other_payloads_are_not_payments(text):
    assert not looks_like_payment(text)
    assert parse_payment(text) is None


def test_emvco_merchant_presented():
    payload = emv([("00", "01"), ("01", "12"), ("26", "0010com.alipay0108M1234567"), ("52", "5812"),
                   ("53", "156"), ("54", "23.80"), ("58", "CN"), ("59", "Noodle House"), ("60", "Hangzhou"),
                   ("62", "0505R-778")])
    req = parse_payment(payload)
    assert req.scheme == "emvco"
    assert req.payee == "M1234567"
    assert req.name == "Noodle House"
    assert req.amount == Decimal("23.80") and req.currency == "CNY"
    assert req.ref == "R-778" and req.country == "CN" and req.city == "Hangzhou"


def test_emvco_corrupt_crc_and_tlv_are_refused():
    payload = emv([("00", "01"), ("53", "156"), ("54", "5.00"), ("59", "Shop")])
    tampered = payload.replace("5.00", "9.00")
    with pytest.raises(PaymentPayloadError) as err:
        parse_payment(tampered)
    assert err.value.reason == "bad_crc"
    with pytest.raises(PaymentPayloadError) as err:
        parse_payment("000201" + "5999Shop")
    assert err.value.reason == "bad_tlv"
    with pytest.raises(PaymentPayloadError) as err:
        parse_payment(emv([("00", "01"), ("53", "999"), ("59", "Shop")]))
    assert err.value.reason == "bad_currency"


def test_wallet_schemes_are_payments_with_opaque_tokens():
    assert parse_payment("wxp://f2f0abcDEF123").scheme == "wechat"
    alipay = parse_payment("https://qr.alipay.com/fkx18291xyz")
    assert alipay.scheme == "alipay" and alipay.ref == "fkx18291xyz" and alipay.payee is None
    with pytest.raises(PaymentPayloadError):
        parse_payment("wxp://")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes(text):
    for candidate in (text, "glasspay://pay?" + text, "000201" + text, "wxp://" + text):
        try:
            result = parse_payment(candidate)
        except PaymentPayloadError as exc:
            assert exc.reason
            continue
        assert result is None or result.scheme in ("glasspay", "emvco", "wechat", "alipay")


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999"), places=2))
def test_valid_amounts_round_trip(amount):
    req = parse_payment(f"glasspay://pay?payee=shop-1&amount={amount}&currency=USD")
    assert req.amount == amount and req.amount > 0


# -- fuzz: hostile payloads (Unicode and raw bytes) end in a request, None or a counted reason --------

HOSTILE_CHARS = st.characters(codec="utf-8")  # every code point, including bidi, zero-width, controls, digits
ASCII_DIGITS = set("0123456789")


def check_parsed(payload: str) -> None:
    try:
        request = parse_payment(payload)
    except PaymentPayloadError as exc:  # the only exception the parser may raise
        assert exc.reason and " " not in exc.reason
        return
    if request is None:
        return
    assert request.scheme in ("glasspay", "emvco", "wechat", "alipay")
    if request.amount is not None:
        assert request.amount > 0 and request.amount.is_finite()
        if request.currency:
            assert to_minor(request.amount, request.currency) > 0  # exactly payable, never rounded
    shown = [request.name, request.city] + ([request.ref] if request.scheme in ("glasspay", "emvco") else [])
    for text in (t or "" for t in shown):  # wallet tokens stay opaque: those codes are refused with a card
        assert clean_text(text) == text and len(text) <= 64  # what reaches a card is already clean
    if request.payee is not None and request.scheme in ("glasspay", "emvco"):
        assert request.payee.isascii() and request.payee.isprintable() and " " not in request.payee


@settings(max_examples=400, deadline=None)
@given(st.text(HOSTILE_CHARS, max_size=120), st.sampled_from(["", "glasspay://pay?", "000201", "wxp://",
                                                              "https://qr.alipay.com/"]))  # fmt: skip
def test_fuzz_any_unicode_payload(text, prefix):
    check_parsed(prefix + text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=160))
def test_fuzz_raw_bytes_as_a_scanner_would_decode_them(data):
    for text in (data.decode("latin-1"), data.decode("utf-8", "replace"), "000201" + data.decode("latin-1")):
        check_parsed(text)


@st.composite
def glasspay_urls(draw):
    """Well-formed glasspay URLs whose fields are drawn from hostile text: names, refs, digits."""
    fields = {"payee": draw(st.one_of(st.from_regex(r"[a-z0-9\-]{1,12}", fullmatch=True), st.text(HOSTILE_CHARS, max_size=8))),
              "name": draw(st.text(HOSTILE_CHARS, max_size=60)),
              "amount": draw(st.one_of(st.decimals(allow_nan=True, allow_infinity=True).map(str),
                                       st.text(st.characters(categories=["Nd"]) | st.just("."), max_size=8))),
              "currency": draw(st.sampled_from(["CNY", "JPY", "BHD", "USD", "XAU", "XXX", "cny", "ZZZ", ""]))}  # fmt: skip
    order = draw(st.permutations(list(fields)))
    return "glasspay://pay?" + urlencode([(k, fields[k]) for k in order])


@settings(max_examples=400, deadline=None)
@given(glasspay_urls())
def test_fuzz_glasspay_fields(url):
    check_parsed(url)
    try:
        request = parse_payment(url)
    except PaymentPayloadError:
        return
    amount = parse_qs(urlsplit(url).query, keep_blank_values=True)["amount"][0]
    assert set(amount) <= ASCII_DIGITS | {"."}  # '１２', '١٢', '①' never pass as amounts
    assert (request.amount is None) == (amount == "")


@st.composite
def emv_payloads(draw):
    """EMVCo payloads with a valid CRC and drawn tags: unicode values, repeated tags, odd currencies."""
    tags = draw(st.lists(st.sampled_from(["00", "01", "26", "52", "53", "54", "58", "59", "60", "62"]), max_size=9))
    values = {"53": st.sampled_from(["156", "392", "048", "959", "999", "1５6"]),
              "54": st.one_of(st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,4})?", fullmatch=True),
                              st.text(HOSTILE_CHARS, max_size=6)),
              "26": st.sampled_from(["0010com.alipay0108M1234567", "0108M\u202e1234", "01①①"])}  # fmt: skip
    fields = [(t, draw(values.get(t, st.text(HOSTILE_CHARS, max_size=20)))) for t in tags]
    body = "".join(f"{t}{len(v):02d}{v}" for t, v in fields if len(v) < 100) + "6304"
    return "000201" + body + f"{crc16_ccitt(('000201' + body).encode()):04X}"


@settings(max_examples=400, deadline=None)
@given(emv_payloads())
def test_fuzz_emv_payloads(payload):
    check_parsed(payload)
