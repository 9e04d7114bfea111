"""Price parsing of OCR'd price tags (English and Chinese conventions)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glasses_perception.vision.prices import currency_of, find_prices, find_prices_in_lines


@pytest.mark.parametrize(
    "line, amount, currency",
    [
        ("$3.99", "3.99", "USD"),
        ("¥12.50", "12.50", "CNY"),
        ("￥8.80", "8.80", "CNY"),
        ("12.50元", "12.50", "CNY"),
        ("特价 9.9元", "9.9", "CNY"),
        ("RMB 12.5", "12.5", "CNY"),
        ("€2,49", "2.49", "EUR"),
        ("2,49 €", "2.49", "EUR"),
        ("1.234,56 €", "1234.56", "EUR"),
        ("4,99€/kg", "4.99", "EUR"),
        ("£1.20", "1.20", "GBP"),
        ("HK$ 35", "35", "HKD"),
        ("USD 3.99", "3.99", "USD"),
        ("3.99 USD", "3.99", "USD"),
        ("¥1,299", "1299", "CNY"),
    ],
)
def test_single_prices(line, amount, currency):
    (price,) = find_prices(line)
    assert price.amount == Decimal(amount)
    assert price.currency == currency


@pytest.mark.parametrize("line", ["Oolong Tea 500 ml", "Jasmine Rice 1 kg", "12.50", "TEA 3.99", "A5 Notebook", ""])
def test_no_price_without_a_currency(line):
    assert find_prices(line) == []


def test_several_prices_and_options():
    prices = find_prices("was $4.99 now $3.49")
    assert [p.amount for p in prices] == [Decimal("4.99"), Decimal("3.49")]
    assert find_prices("¥500", yen="JPY")[0].currency == "JPY"
    assert find_prices("$5", dollar="SGD")[0].currency == "SGD"
    assert find_prices("12.50", bare_currency="CNY")[0].currency == "CNY"
    # OCR may split the sign from the number into two lines
    assert find_prices_in_lines(["¥", "12.50"])[0].amount == Decimal("12.50")
    assert currency_of("EUR") == "EUR" and currency_of("ABC") is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_gives_valid_prices(text):
    for price in find_prices(text, bare_currency="CNY"):
        assert price.amount >= 0
        assert len(price.currency) == 3 and price.currency.isupper()
