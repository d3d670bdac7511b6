"""Anonymous 竞买号: 6 digits from HMAC(key, listing id, registration id, attempt)."""

# Why HMAC rather than a shuffled sequence: the number is a pure function of the
# registration, so a retried or crashed allocation yields the same number (idempotent, no
# per-listing counter to lock or persist), and without the server key nobody can compute
# anyone's number or learn the order of registration from it. The price is rare collisions
# (about n²/2,000,000 for n bidders in one listing): the database's UNIQUE (listing_id,
# bidder_number) constraint is the arbiter; on a violation the caller retries with the next
# `attempt`, which `allocate_bidder_number` does against the numbers already taken.

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from uuid import UUID

from natres_platform.errors import Conflict

DIGITS = 6
MAX_ATTEMPTS = 32
MIN_KEY_BYTES = 32


class BidderNumberUnavailable(Conflict):
    code = "bidder.number_unavailable"
    title = "无法分配竞买号，请重试"


def bidder_number(*, key: bytes, listing_id: str | UUID, registration_id: str | UUID, attempt: int = 0) -> str:
    """The candidate number for one registration at one attempt (zero-padded, 6 digits)."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"bidder-number key must be at least {MIN_KEY_BYTES} bytes")
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    # Unit separators keep ("ab", "c") and ("a", "bc") from producing the same message.
    msg = f"bidder-number/v1\x1f{listing_id}\x1f{registration_id}\x1f{attempt}".encode()
    value = int.from_bytes(hmac.new(key, msg, hashlib.sha256).digest(), "big")
    # 256 bits reduced mod 10^6: the bias is below 2^-230, i.e. none.
    return f"{value % 10**DIGITS:0{DIGITS}d}"


def allocate_bidder_number(
    *,
    key: bytes,
    listing_id: str | UUID,
    registration_id: str | UUID,
    taken: Callable[[str], bool],
    max_attempts: int = MAX_ATTEMPTS,
) -> str:
    """The first candidate not yet taken in this listing; the DB constraint remains the arbiter."""
    for attempt in range(max_attempts):
        candidate = bidder_number(key=key, listing_id=listing_id, registration_id=registration_id, attempt=attempt)
        if not taken(candidate):
            return candidate
    raise BidderNumberUnavailable(listing_id=str(listing_id), attempts=max_attempts)
