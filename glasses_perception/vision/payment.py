"""Payment QR payloads: recognise them and parse them into a PaymentRequest.

Recognised:

- the sandbox's own ``glasspay://pay?payee=..&name=..&amount=..&currency=..&ref=..``
  (``amount`` may be absent: the wearer then states it; ``currency`` may be absent:
  the agent then applies its default), parsed fully and strictly;
- EMVCo merchant-presented QR (starts ``000201``): TLV parsed, CRC checked, the
  merchant name, amount, currency and reference taken where present;
- WeChat Pay (``wxp://``) and Alipay (``https://qr.alipay.com/``) codes: recognised
  as payments; their contents are opaque tokens, so only the scheme and token are kept.

``parse_payment(text)`` returns None for a payload that is not a payment, and
raises PaymentPayloadError for one that claims to be a payment but is malformed
(bad or negative amount, missing payee, unknown currency, broken TLV or CRC), so a
corrupt code can never turn into a payment with wrong fields. The agent validates
again with the same function before it asks the wearer to confirm.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, urlsplit

import pycountry

GLASSPAY_PREFIX = "glasspay://"
EMV_PREFIX = "000201"
WECHAT_PREFIX = "wxp://"
ALIPAY_PREFIX = "https://qr.alipay.com/"

MAX_AMOUNT = Decimal("1000000")  # anything larger is a corrupt or hostile code, not a purchase
_PAYEE_RE = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
_AMOUNT_RE = re.compile(r"^\d{1,9}(\.\d{1,4})?$")
# ISO 4217 entries that are not money a shop can ask for: no currency, testing, metals, bond units
NOT_PAYABLE = frozenset({"XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XDR", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA"})


class PaymentPayloadError(ValueError):
    """A payload that claims to be a payment but cannot be trusted; ``reason`` is countable."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


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
    t = text.strip()
    return (
        t.lower().startswith(GLASSPAY_PREFIX)
        or t.startswith(EMV_PREFIX)
        or t.lower().startswith(WECHAT_PREFIX)
        or t.lower().startswith(ALIPAY_PREFIX)
    )


def parse_payment(text: str) -> PaymentRequest | None:
    """PaymentRequest for a payment payload, None for anything else; PaymentPayloadError if malformed."""
    if not isinstance(text, str):
        return None
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


def parse_amount(value: str) -> Decimal:
    """A positive decimal amount with at most 4 decimals; PaymentPayloadError otherwise."""
    v = value.strip()
    if not _AMOUNT_RE.match(v):
        raise PaymentPayloadError("bad_amount", repr(value)[:40])
    try:
        amount = Decimal(v)
    except InvalidOperation:
        raise PaymentPayloadError("bad_amount", repr(value)[:40]) from None
    if not amount.is_finite() or amount <= 0:
        raise PaymentPayloadError("bad_amount", f"amount must be positive, got {value!r}")
    if amount > MAX_AMOUNT:
        raise PaymentPayloadError("bad_amount", f"amount {value} above {MAX_AMOUNT}")
    return amount


def currency_code(value: str) -> str:
    """A known ISO 4217 alphabetic code (upper-cased); PaymentPayloadError otherwise."""
    code = value.strip().upper()
    if (len(code) != 3 or not code.isalpha() or code in NOT_PAYABLE
            or pycountry.currencies.get(alpha_3=code) is None):
        raise PaymentPayloadError("bad_currency", f"unknown ISO 4217 code {value!r}"[:60])
    return code


def _parse_glasspay(text: str) -> PaymentRequest:
    parts = urlsplit(text)
    if parts.netloc.lower() != "pay":
        raise PaymentPayloadError("bad_url", f"expected glasspay://pay?..., got host {parts.netloc!r}")
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise PaymentPayloadError("bad_url", str(exc)[:80]) from None
    repeated = [k for k, v in query.items() if len(v) > 1]
    if repeated:
        # two amounts or two payees in one code is ambiguous: refuse rather than pick one
        raise PaymentPayloadError("repeated_field", ", ".join(sorted(repeated)))
    fields = {k: v[0] for k, v in query.items()}
    payee = fields.get("payee", "").strip()
    if not payee:
        raise PaymentPayloadError("missing_payee")
    if not _PAYEE_RE.match(payee):
        raise PaymentPayloadError("bad_payee", repr(payee)[:40])
    amount = parse_amount(fields["amount"]) if fields.get("amount", "") != "" else None
    currency = currency_code(fields["currency"]) if fields.get("currency", "") != "" else None
    name = fields.get("name") or None
    ref = fields.get("ref") or None
    return PaymentRequest(scheme="glasspay", payee=payee, name=name, amount=amount, currency=currency,
                          ref=ref, raw=text)


# -- EMVCo merchant-presented mode ------------------------------------------------------


def emv_tlv(payload: str) -> list[tuple[str, str]]:
    """Split an EMVCo QR payload into (tag, value) pairs; PaymentPayloadError when broken."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(payload):
        head = payload[i : i + 4]
        if len(head) < 4 or not head.isdigit():
            raise PaymentPayloadError("bad_tlv", f"bad tag/length at offset {i}")
        tag, length = head[:2], int(head[2:])
        value = payload[i + 4 : i + 4 + length]
        if len(value) != length:
            raise PaymentPayloadError("bad_tlv", f"tag {tag} runs past the end")
        out.append((tag, value))
        i += 4 + length
    return out


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
    tags = dict(fields)
    if fields[-1][0] != "63" or len(fields[-1][1]) != 4:
        raise PaymentPayloadError("bad_crc", "no CRC (tag 63) at the end")
    expected = crc16_ccitt(text[:-4].encode("utf-8"))
    if f"{expected:04X}" != fields[-1][1].upper():
        raise PaymentPayloadError("bad_crc", f"CRC {fields[-1][1]} != {expected:04X}")
    # merchant account information lives in tags 02-51; keep the first globally unique id
    payee = None
    for tag, value in fields:
        if 26 <= int(tag) <= 51:
            try:
                sub = dict(emv_tlv(value))
            except PaymentPayloadError:
                sub = {}
            payee = sub.get("01") or sub.get("00") or value
            break
        if 2 <= int(tag) <= 25 and payee is None:
            payee = value
    amount = parse_amount(tags["54"]) if "54" in tags else None
    currency = None
    if "53" in tags:
        found = pycountry.currencies.get(numeric=tags["53"])
        if found is None or found.alpha_3 in NOT_PAYABLE:
            raise PaymentPayloadError("bad_currency", f"unknown ISO 4217 numeric code {tags['53']!r}")
        currency = found.alpha_3
    ref = None
    if "62" in tags:
        try:
            extra = dict(emv_tlv(tags["62"]))
        except PaymentPayloadError:
            extra = {}
        ref = extra.get("05") or extra.get("01")
    return PaymentRequest(scheme="emvco", payee=payee, name=tags.get("59"), amount=amount, currency=currency,
                          ref=ref, country=tags.get("58"), city=tags.get("60"), raw=text)
