"""The foundation's money rules: exact ISO 4217 minor units, one rounding rule, clean names."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glasses_bringup.foundation.payment import (
    MoneyError,
    as_decimal,
    clean_text,
    format_money,
    from_minor,
    minor_digits,
    payee_label,
    round_minor,
    to_minor,
)

PAYABLE = ["CNY", "USD", "EUR", "JPY", "KRW", "BHD", "KWD", "TND", "CLF", "ISK"]


def test_minor_digits_follow_iso_4217():
    assert [minor_digits(c) for c in ("CNY", "JPY", "BHD", "CLF")] == [2, 0, 3, 4]
    for not_money in ("XAU", "XXX", "XTS", "XDR", "ZZZ", "cny", ""):
        with pytest.raises(MoneyError):
            minor_digits(not_money)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PAYABLE), st.integers(1, 10**6))
def test_minor_units_round_trip_and_display_the_same_integer(currency, minor):
    amount = from_minor(minor, currency)
    assert to_minor(amount, currency) == minor == to_minor(str(amount), currency)
    assert format_money(minor, currency) == f"{amount} {currency}"
    assert -amount.as_tuple().exponent == minor_digits(currency)


@pytest.mark.parametrize("value, currency", [("12.345", "CNY"), (Decimal("0.001"), "USD"), (0.5, "JPY"),
                                             ("1.2345", "BHD"), (0.1 + 0.2, "CNY"), ("0", "CNY"), ("-1", "CNY"),
                                             (Decimal("NaN"), "CNY"), (float("inf"), "CNY"), ("１２", "CNY"),
                                             ("1e3", "CNY"), (True, "CNY"), (None, "CNY"), ("2000000", "CNY")])  # fmt: skip
def test_amounts_that_cannot_be_paid_exactly_are_refused(value, currency):
    with pytest.raises(MoneyError) as err:
        to_minor(value, currency)
    assert err.value.reason == "bad_amount"


def test_parser_outputs_of_every_type_convert_through_their_text():
    assert [to_minor(v, "CNY") for v in (12.5, Decimal("12.50"), "12.5", 12.50)] == [1250] * 4
    assert to_minor(12, "CNY") == 1200
    assert as_decimal(12.3) == Decimal("12.3")  # not 12.300000000000000710542735760100185871124267578125


def test_one_rounding_rule_half_up():
    assert [round_minor(Decimal(x), "CNY") for x in ("12.345", "12.335", "12.344", "0.005")] == [1235, 1234, 1234, 1]
    assert round_minor(Decimal("2.5"), "JPY") == 3 and round_minor(Decimal("1.0005"), "BHD") == 1001


@pytest.mark.parametrize("text, cap, expected", [
    ("Cafe\u202eimuL", None, "CafeimuL"), ("a\u200bb\u200dc\ufeff", None, "abc"), ("x\x07\x1b[31my\n z", None, "x[31my z"),
    ("A" * 50, 10, "AAAAAAAAA…"), ("  spaced\tout  ", None, "spaced out"), ("e\u0301", None, "é"),
])  # fmt: skip
def test_clean_text(text, cap, expected):
    assert clean_text(text, cap) == expected


def test_payee_label_shows_the_charged_payee_unless_the_name_spells_it():
    assert payee_label("cafe-lumi", "Cafe Lumi") == ("Cafe Lumi", "")
    assert payee_label("attacker-42", "Cafe Lumi") == ("attacker-42", "Cafe Lumi")
    assert payee_label("cafe-lumi", "Cafе Lumi") == ("cafe-lumi", "Cafе Lumi")  # a Cyrillic е is another name
    assert payee_label("kiosk", None) == ("kiosk", "")


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="utf-8"), max_size=300))
def test_clean_text_never_lets_a_control_or_format_character_through(text):
    import unicodedata

    out = clean_text(text, 40)
    assert len(out) <= 40
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") for ch in out)
    assert out == out.strip() and "  " not in out
