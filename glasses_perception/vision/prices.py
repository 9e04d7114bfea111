"""Prices with their currency in OCR'd text: "$3.99", "¥12.50", "12.50元", "€2,49", "RMB 8.8".

``find_prices(line)`` returns every price in one line of text. A number counts as a
price only next to a currency sign, word or ISO code (a bare "500" on a tag is
more often a weight or volume); ``bare_currency`` opts in to treating a lone
decimal such as "12.50" as a price. The amount itself is read by price-parser,
which knows decimal commas and thousands separators ("€2,49", "1.299,00 €").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import pycountry
from price_parser import parse_price

# sign or word -> ISO 4217; "$" and "¥" are ambiguous and resolved by parameters
SIGNS = {
    "US$": "USD", "HK$": "HKD", "NT$": "TWD", "S$": "SGD", "A$": "AUD", "C$": "CAD", "NZ$": "NZD",
    "€": "EUR", "£": "GBP", "₩": "KRW", "₹": "INR", "₽": "RUB", "₺": "TRY", "฿": "THB", "₫": "VND",
    "元": "CNY", "块": "CNY", "圆": "CNY", "人民币": "CNY", "RMB": "CNY", "円": "JPY",
}
DOLLAR_SIGNS = ("$", "＄")
YEN_SIGNS = ("¥", "￥")

_NUMBER = r"\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_PREFIX_WORDS = sorted([k for k in SIGNS if not k.isalpha() or k.isascii()], key=len, reverse=True)
_PREFIX = "|".join(re.escape(s) for s in _PREFIX_WORDS + list(DOLLAR_SIGNS) + list(YEN_SIGNS)) + r"|[A-Z]{3}"
_SUFFIX = "|".join(re.escape(s) for s in sorted(SIGNS, key=len, reverse=True) + list(DOLLAR_SIGNS) + list(YEN_SIGNS)) + r"|[A-Z]{3}\b"
_PRICE_RE = re.compile(
    rf"(?P<pre>{_PREFIX})\s?(?P<num1>{_NUMBER})(?:\s?(?P<post1>元|块))?"
    rf"|(?P<num2>{_NUMBER})\s?(?P<post2>{_SUFFIX})"
)
_BARE_RE = re.compile(r"(?<![\d.,])(\d{1,6}[.,]\d{2})(?![\d.,])")


@dataclass(frozen=True)
class FoundPrice:
    amount: Decimal
    currency: str
    text: str

    def as_dict(self) -> dict:
        return {"amount": float(self.amount), "currency": self.currency, "text": self.text}


def currency_of(sign: str, dollar: str = "USD", yen: str = "CNY") -> str | None:
    """ISO 4217 code of a currency sign, word or code; None when it is not a currency."""
    s = sign.strip()
    if s in DOLLAR_SIGNS:
        return dollar
    if s in YEN_SIGNS:
        return yen
    if s in SIGNS:
        return SIGNS[s]
    if len(s) == 3 and s.isalpha() and s.isupper() and pycountry.currencies.get(alpha_3=s) is not None:
        return s
    return None


def _amount(number: str) -> Decimal | None:
    price = parse_price(number, decimal_separator=None)
    if price.amount is None:
        return None
    # "12,5" / "2,49": a comma followed by 1-2 digits is a decimal comma
    m = re.fullmatch(r"(\d+)[,](\d{1,2})", number.strip())
    if m:
        return Decimal(f"{m.group(1)}.{m.group(2)}")
    return price.amount


def find_prices(line: str, dollar: str = "USD", yen: str = "CNY", bare_currency: str | None = None) -> list[FoundPrice]:
    """Every price in a line of text, in order of appearance."""
    found: list[FoundPrice] = []
    taken: list[tuple[int, int]] = []
    for m in _PRICE_RE.finditer(line):
        sign = m.group("pre") or m.group("post2") or ""
        number = m.group("num1") or m.group("num2")
        currency = currency_of(sign, dollar, yen)
        if currency is None:
            continue
        amount = _amount(number)
        if amount is None:
            continue
        found.append(FoundPrice(amount, currency, m.group(0).strip()))
        taken.append(m.span())
    if bare_currency:
        for m in _BARE_RE.finditer(line):
            if any(a <= m.start() < b for a, b in taken):
                continue
            amount = _amount(m.group(1))
            if amount is not None:
                found.append(FoundPrice(amount, bare_currency, m.group(1)))
    return found


def find_prices_in_lines(lines: list[str], **kwargs) -> list[FoundPrice]:
    """Prices over several OCR lines, also joining a sign split from its number ("¥" / "12.50")."""
    out: list[FoundPrice] = []
    for i, line in enumerate(lines):
        prices = find_prices(line, **kwargs)
        if not prices and i + 1 < len(lines) and currency_of(line, kwargs.get("dollar", "USD"),
                                                              kwargs.get("yen", "CNY")):
            prices = find_prices(line.strip() + lines[i + 1].strip(), **kwargs)
        out.extend(prices)
    return out
