"""A simulated bank for the demo: builds a deposit notice and signs it exactly as a bank would."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from decimal import Decimal

from natres_platform.events import rfc3339, utc_now

from transactions.bidders.bank import sign_callback


def signed_notice(
    *,
    secret: bytes,
    listing_id: str,
    registration_id: str,
    amount: Decimal,
    paid_at: datetime | None = None,
    bank_reference: str | None = None,
    nonce: str | None = None,
    timestamp: datetime | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The callback body and its X-Bank-* headers."""
    body = json.dumps({
        "listing_id": listing_id,
        "bidder_registration_id": registration_id,
        "amount": f"{amount:.2f}",
        "bank_reference": bank_reference or f"SIM{secrets.token_hex(8).upper()}",
        "paid_at": rfc3339(paid_at or utc_now()),
    }).encode()
    headers = sign_callback(body=body, secret=secret, timestamp=timestamp or utc_now(),
                            nonce=nonce or secrets.token_urlsafe(16))
    return body, headers
