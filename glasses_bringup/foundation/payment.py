"""Payment payload and money: the one place amounts, currencies and payment codes are defined.

Money
    Amounts are integer *minor units* of their currency, with the number of decimals
    ISO 4217 gives it (CNY and USD 2, JPY 0, BHD and KWD 3). ``to_minor`` converts
    exactly or refuses (12.345 CNY cannot be paid; nothing is ever rounded silently);
    ``round_minor`` is the one rounding rule, half up, for amounts the stack computes
    itself (a taxi fare from a distance). Cards show ``format_money`` of the same
    integer that is charged, so the card and the charge cannot differ.

Payment codes
    ``parse_payment(text)`` returns None for a payload that is not a payment, a
    ``PaymentRequest`` for a valid one, and raises ``PaymentPayloadError`` (never
    anything else) for one that claims to be a payment but cannot be trusted:

    - ``glasspay://pay?payee=..&name=..&amount=..&currency=..&ref=..``, the sandbox's
      own scheme (``amount`` may be absent: the wearer states it; ``currency`` may be
      absent: the agent applies its default), parsed fully and strictly;
    - EMVCo merchant-presented QR (starts ``000201``): TLV parsed, CRC checked, the
      merchant account, name, amount, currency and reference taken;
    - WeChat Pay (``wxp://``) and Alipay (``https://qr.alipay.com/``): recognised as
      payments; their contents are opaque tokens.

    The ``payee`` is what is charged; ``name`` is whatever the code claims and is
    never verified, so the agent shows the payee (see ``payee_label``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import parse_qs, urlsplit

from iso4217 import Currency

from glasses_bringup.foundation.errors import ReasonError

GLASSPAY_PREFIX = "glasspay://"
EMV_PREFIX = "000201"
WECHAT_PREFIX = "wxp://"
ALIPAY_PREFIX = "https://qr.alipay.com/"

MAX_AMOUNT = Decimal("1000000")  # anything larger is a corrupt or hostile code, not a purchase
MAX_NAME_CHARS = 40  # a payee name longer than this is cut (with "…") before it reaches the HUD or speech
_PAYEE_RE = re.compile(r"[A-Za-z0-9._\-]{1,64}")
_EMV_PAYEE_RE = re.compile(r"[!-~]{1,64}")  # printable ASCII without spaces: what EMVCo ids are made of
_AMOUNT_RE = re.compile(r"[0-9]{1,9}(\.[0-9]{1,4})?")  # ASCII digits only: '١٢' or '１２' are not amounts
_TLV_HEAD_RE = re.compile(r"[0-9]{4}")
# ISO 4217 entries without minor units are not money a shop can ask for: no currency, testing, metals, SDR
_EXPONENT = {c.code: c.exponent for c in Currency if c.exponent is not None}
_BY_NUMBER = {f"{c.number:03d}": c.code for c in Currency if c.exponent is not None}
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})  # controls, bidi, zero-width, unassigned


class MoneyError(ReasonError, ValueError):
    """An amount or currency that cannot be paid exactly; ``reason`` is countable."""


class PaymentPayloadError(MoneyError):
    """A payload that claims to be a payment but cannot be trusted."""


# -- money ------------------------------------------------------------------------------


def minor_digits(currency: str) -> int:
    """ISO 4217 minor-unit digits of a payable currency; MoneyError("bad_currency") otherwise."""
    try:
        return _EXPONENT[currency]
    except (KeyError, TypeError):
        raise MoneyError("bad_currency", f"not a payable ISO 4217 code: {currency!r}"[:60]) from None


def currency_code(value: str) -> str:
    """A payable ISO 4217 alphabetic code (upper-cased); PaymentPayloadError otherwise."""
    code = str(value).strip().upper()
    if code not in _EXPONENT:
        raise PaymentPayloadError("bad_currency", f"unknown ISO 4217 code {value!r}"[:60])
    return code


def as_decimal(value) -> Decimal:
    """An amount from a parser (float, int, Decimal or str) as a finite Decimal, via its text.

    Strings must be plain ASCII decimals ("12.50"); MoneyError("bad_amount") for anything else.
    """
    if isinstance(value, bool) or value is None:
        raise MoneyError("bad_amount", repr(value))
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
            raise MoneyError("bad_amount", repr(value)[:40])
    else:
        text = str(value)
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise MoneyError("bad_amount", repr(value)[:40]) from None
    if not amount.is_finite():
        raise MoneyError("bad_amount", repr(value)[:40])
    return amount


def to_minor(amount, currency: str, positive: bool = True) -> int:
    """Exact integer minor units of an amount (positive unless ``positive`` is False, e.g. a limit
    of 0); MoneyError if it has more decimals than the currency has."""
    digits = minor_digits(currency)
    value = as_decimal(amount)
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise MoneyError("bad_amount", f"{value} has more decimals than {currency} has ({digits})")
    minor = int(scaled)
    if minor <= 0 if positive else minor < 0:
        raise MoneyError("bad_amount", f"amount must be positive, got {value}")
    if value > MAX_AMOUNT:
        raise MoneyError("bad_amount", f"amount {value} above {MAX_AMOUNT}")
    return minor


def round_minor(amount, currency: str) -> int:
    """The one rounding rule (half up) for amounts the stack computes, e.g. fare = base + per_km × km."""
    scaled = as_decimal(amount).scaleb(minor_digits(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_minor(minor: int, currency: str) -> Decimal:
    """The Decimal amount of ``minor`` units, with exactly the currency's decimals (12.50, 500, 1.250)."""
    digits = minor_digits(currency)
    return Decimal(int(minor)).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def format_money(minor: int, currency: str) -> str:
    """Display form: "12.50 CNY", "500 JPY", "1.250 BHD"."""
    return f"{from_minor(minor, currency)} {currency}"


# -- names shown to the wearer ----------------------------------------------------------


def clean_text(text, cap: int | None = None) -> str:
    """Text safe to show or speak: NFC, without control, format (bidi override, zero-width) or
    unassigned characters, whitespace collapsed, at most ``cap`` characters (cut with "…")."""
    text = unicodedata.normalize("NFC", str(text))
    kept = "".join(" " if ch.isspace() else ch for ch in text if unicodedata.category(ch) not in _DROPPED_CATEGORIES
                   or ch in "\t\n\r")  # fmt: skip
    out = " ".join(kept.split())
    if cap is not None and len(out) > cap:
        out = out[: cap - 1].rstrip() + "…"
    return out


def _folded(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def payee_label(payee: str, name: str | None) -> tuple[str, str]:
    """(who is shown as the payee, the code's unverified name or "").

    The payee id is what is charged, so it is always what the card names; the code's
    ``name`` replaces it only when it spells the same id ("Cafe Lumi" for cafe-lumi), and
    is otherwise shown apart, marked unverified (payee=attacker-42&name=Cafe Lumi)."""
    shown_payee = clean_text(payee, 64)
    claimed = clean_text(name or "", MAX_NAME_CHARS)
    if not claimed or _folded(claimed) == _folded(shown_payee):
        return (claimed or shown_payee), ""
    return shown_payee, claimed


# -- payment codes ----------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentRequest:
    """What a payment code asks for. ``amount`` None means the wearer states it."""

    scheme: str  # glasspay, emvco, wechat, alipay
    payee: str | None
    name: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    ref: str | None = None
    country: str | None = None
    city: str | None = None
    raw: str = ""

    def as_dict(self) -> dict:
        """JSON-friendly fields (amount as a decimal string, so no float rounding)."""
        doc = asdict(self)
        doc["amount"] = None if self.amount is None else format(self.amount, "f")
        return doc


def looks_like_payment(text: str) -> bool:
    """True when the payload uses one of the payment schemes (valid or not)."""
    if not isinstance(text, str):
        return False
    t = text.strip()
    lower = t.lower()
    return (lower.startswith(GLASSPAY_PREFIX) or t.startswith(EMV_PREFIX) or lower.startswith(WECHAT_PREFIX)
            or lower.startswith(ALIPAY_PREFIX))  # fmt: skip


def parse_payment(text: str) -> PaymentRequest | None:
    """PaymentRequest for a payment payload, None for anything else; PaymentPayloadError if malformed.

    No other exception leaves this function: a parser bug on a hostile code is reported as
    ``malformed`` rather than crashing the code reader or the agent."""
    if not isinstance(text, str):
        return None
    try:
        return _parse(text)
    except PaymentPayloadError:
        raise
    except MoneyError as exc:
        raise PaymentPayloadError(exc.reason, exc.detail) from None
    except Exception as exc:  # defensive: every input must end in a request, None or a reason
        raise PaymentPayloadError("malformed", type(exc).__name__) from None


def _parse(text: str) -> PaymentRequest | None:
    t = text.strip()
    lower = t.lower()
    if lower.startswith(GLASSPAY_PREFIX):
        return _parse_glasspay(t)
    if t.startswith(EMV_PREFIX):
        return _parse_emv(t)
    if lower.startswith(WECHAT_PREFIX):
        token = t[len(WECHAT_PREFIX) :]
        if not token:
            raise PaymentPayloadError("missing_token", "wxp:// without a payment token")
        return PaymentRequest(scheme="wechat", payee=None, ref=token, raw=t)
    if lower.startswith(ALIPAY_PREFIX):
        token = t[len(ALIPAY_PREFIX) :].strip("/")
        if not token:
            raise PaymentPayloadError("missing_token", "qr.alipay.com URL without a payment token")
        return PaymentRequest(scheme="alipay", payee=None, ref=token, raw=t)
    return None


def parse_amount(value: str, currency: str | None = None) -> Decimal:
    """A positive ASCII decimal amount written with no more decimals than ``currency`` has (at
    most 4 when the currency is not known yet); PaymentPayloadError otherwise."""
    v = value.strip()
    if not _AMOUNT_RE.fullmatch(v):
        raise PaymentPayloadError("bad_amount", repr(value)[:40])
    decimals = len(v.partition(".")[2])
    if currency is not None and decimals > minor_digits(currency):
        raise PaymentPayloadError("bad_amount", f"{v}: {currency} has {minor_digits(currency)} decimals")
    amount = Decimal(v)
    if amount <= 0:
        raise PaymentPayloadError("bad_amount", f"amount must be positive, got {value!r}")
    if amount > MAX_AMOUNT:
        raise PaymentPayloadError("bad_amount", f"amount {value} above {MAX_AMOUNT}")
    if currency is not None:
        to_minor(amount, currency)  # 12.345 CNY or 100.5 JPY: refused, never rounded
    return amount


def _parse_glasspay(text: str) -> PaymentRequest:
    parts = urlsplit(text)
    if parts.netloc.lower() != "pay":
        raise PaymentPayloadError("bad_url", f"expected glasspay://pay?..., got host {parts.netloc!r}"[:80])
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise PaymentPayloadError("bad_url", str(exc)[:80]) from None
    repeated = [k for k, v in query.items() if len(v) > 1]
    if repeated:
        # two amounts or two payees in one code is ambiguous: refuse rather than pick one
        raise PaymentPayloadError("repeated_field", ", ".join(sorted(repeated))[:80])
    fields = {k: v[0] for k, v in query.items()}
    payee = fields.get("payee", "").strip()
    if not payee:
        raise PaymentPayloadError("missing_payee")
    if not _PAYEE_RE.fullmatch(payee):
        raise PaymentPayloadError("bad_payee", repr(payee)[:40])
    currency = currency_code(fields["currency"]) if fields.get("currency", "") != "" else None
    amount = parse_amount(fields["amount"], currency) if fields.get("amount", "") != "" else None
    name = clean_text(fields.get("name") or "", MAX_NAME_CHARS) or None
    ref = clean_text(fields.get("ref") or "", 64) or None
    return PaymentRequest(scheme="glasspay", payee=payee, name=name, amount=amount, currency=currency,
                          ref=ref, raw=text)  # fmt: skip


# -- EMVCo merchant-presented mode ------------------------------------------------------


def emv_tlv(payload: str) -> list[tuple[str, str]]:
    """Split an EMVCo QR payload into (tag, value) pairs; PaymentPayloadError when broken."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(payload):
        head = payload[i : i + 4]
        if not _TLV_HEAD_RE.fullmatch(head):  # ASCII digits only: '①'.isdigit() is True
            raise PaymentPayloadError("bad_tlv", f"bad tag/length at offset {i}")
        tag, length = head[:2], int(head[2:])
        value = payload[i + 4 : i + 4 + length]
        if len(value) != length:
            raise PaymentPayloadError("bad_tlv", f"tag {tag} runs past the end")
        out.append((tag, value))
        i += 4 + length
    return out


def _unique(fields: list[tuple[str, str]], where: str) -> dict[str, str]:
    tags = [tag for tag, _ in fields]
    repeated = sorted({tag for tag in tags if tags.count(tag) > 1})
    if repeated:
        # a second amount or payee tag must not silently win over the first
        raise PaymentPayloadError("repeated_field", f"{where} tag {', '.join(repeated)}"[:80])
    return dict(fields)


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), the checksum EMVCo QR codes carry."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _parse_emv(text: str) -> PaymentRequest:
    fields = emv_tlv(text)
    if fields[-1][0] != "63" or len(fields[-1][1]) != 4:
        raise PaymentPayloadError("bad_crc", "no CRC (tag 63) at the end")
    expected = crc16_ccitt(text[:-4].encode("utf-8"))
    if f"{expected:04X}" != fields[-1][1].upper():
        raise PaymentPayloadError("bad_crc", f"CRC {fields[-1][1]!r} != {expected:04X}")
    tags = _unique(fields, "EMV")
    # merchant account information lives in tags 02-51; keep the first globally unique id
    payee = None
    for tag, value in fields:
        if 26 <= int(tag) <= 51:
            try:
                sub = _unique(emv_tlv(value), f"EMV {tag}")
            except PaymentPayloadError as exc:
                if exc.reason == "repeated_field":
                    raise
                sub = {}
            payee = sub.get("01") or sub.get("00") or value
            break
        if 2 <= int(tag) <= 25 and payee is None:
            payee = value
    if payee is not None and not _EMV_PAYEE_RE.fullmatch(payee):
        raise PaymentPayloadError("bad_payee", repr(payee)[:40])
    currency = None
    if "53" in tags:
        currency = _BY_NUMBER.get(tags["53"])
        if currency is None:
            raise PaymentPayloadError("bad_currency", f"unknown ISO 4217 numeric code {tags['53']!r}"[:60])
    amount = parse_amount(tags["54"], currency) if "54" in tags else None
    ref = None
    if "62" in tags:
        try:
            extra = _unique(emv_tlv(tags["62"]), "EMV 62")
        except PaymentPayloadError as exc:
            if exc.reason == "repeated_field":
                raise
            extra = {}
        ref = extra.get("05") or extra.get("01")
    name = clean_text(tags["59"], MAX_NAME_CHARS) if "59" in tags else None
    return PaymentRequest(scheme="emvco", payee=payee, name=name or None, amount=amount, currency=currency,
                          ref=clean_text(ref, 64) if ref else None, country=clean_text(tags.get("58", ""), 3) or None,
                          city=clean_text(tags.get("60", ""), MAX_NAME_CHARS) or None, raw=text)  # fmt: skip
