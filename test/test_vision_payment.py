"""Payment payload parsing: the sandbox glasspay URL, EMVCo, WeChat / Alipay, and malformed codes."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glasses_perception.vision.payment import (
    PaymentPayloadError,
    crc16_ccitt,
    looks_like_payment,
    parse_payment,
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
