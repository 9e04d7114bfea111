"""Payment QR payloads, as the code reader sees them.

The parser and the money rules live in the foundation (``glasses_bringup.foundation.payment``),
so the code reader and the agent validate a code with the very same function; this
module keeps the vision package's names for them.
"""

from glasses_bringup.foundation.payment import (  # noqa: F401 - re-exported
    MAX_AMOUNT,
    PaymentPayloadError,
    PaymentRequest,
    crc16_ccitt,
    currency_code,
    emv_tlv,
    looks_like_payment,
    parse_amount,
    parse_payment,
)
