"""Sealed 招标 bids: AES-256-GCM under a per-listing key, opened only at the opening time."""

# The key is derived (HKDF-SHA256) from the server secret and the listing id, so a leaked
# listing key exposes one listing and no key is stored. Only ciphertext is stored until the
# opening. The calling service must not unseal before the opening time (it passes its
# authoritative clock as `now`; `unseal` and `open_tender` refuse an early `now` as a second
# line). Whoever holds the server secret can derive every key, so the secret lives in the
# service settings, never in the database that holds the sealed bids.

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from natres_platform.errors import Conflict, PlatformError

from transactions.bidding.rules import Bid, BidInvalidAmount, Outcome, tender_outcome
from transactions.listings.terms import money_problem

NONCE_BYTES = 12  # the AES-GCM standard nonce; random per bid, never reused under one key
MIN_SECRET_BYTES = 32
# Every amount is padded to one width: GCM ciphertext length would otherwise reveal
# how many digits a bid has, i.e. its order of magnitude.
_PLAINTEXT_BYTES = 32
_KDF_SALT = b"natres/tender-bid/v1"
_AAD_PREFIX = b"natres/tender-bid/v1\n"


class TenderStillSealed(Conflict):
    code = "bid.sealed"
    title = "未到开标时间，投标报价不能开启"


class SealedBidCorrupt(PlatformError):
    status_code = 500
    code = "bid.seal_invalid"
    title = "密封报价无法解密或已被篡改"


@dataclass(frozen=True)
class SealedBid:
    """A stored tender bid: `sealed` is nonce ‖ ciphertext ‖ tag."""

    sequence: int
    bidder_number: str
    sealed: bytes
    placed_at: datetime


def derive_tender_key(*, server_secret: bytes, listing_id: str | UUID) -> bytes:
    """The 32-byte AES key for one listing's sealed bids."""
    if len(server_secret) < MIN_SECRET_BYTES:
        raise ValueError(f"server secret must be at least {MIN_SECRET_BYTES} bytes")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_KDF_SALT, info=str(listing_id).encode())
    return hkdf.derive(server_secret)


def seal(*, amount: Decimal, bidder_number: str, nonce: bytes, key: bytes) -> bytes:
    """Encrypt a bid amount bound to its bidder number; pass a fresh random 12-byte nonce."""
    problem = money_problem(amount)
    if problem:
        raise BidInvalidAmount(problem)
    if len(nonce) != NONCE_BYTES:
        raise ValueError(f"nonce must be {NONCE_BYTES} bytes")
    text = f"{amount:f}".encode("ascii")
    if len(text) > _PLAINTEXT_BYTES:
        raise BidInvalidAmount("报价金额位数过多")
    padded = text.ljust(_PLAINTEXT_BYTES, b" ")
    return nonce + AESGCM(key).encrypt(nonce, padded, _aad(bidder_number))


def unseal(*, sealed: bytes, bidder_number: str, key: bytes, now: datetime, opens_at: datetime) -> Decimal:
    """Decrypt a bid at or after the opening time; a bid moved to another bidder fails."""
    if now < opens_at:
        raise TenderStillSealed(opens_at=opens_at.isoformat())
    nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    try:
        text = AESGCM(key).decrypt(nonce, body, _aad(bidder_number)).decode("ascii").strip()
        return Decimal(text)
    except (InvalidTag, ValueError, InvalidOperation):
        raise SealedBidCorrupt(bidder_number=bidder_number) from None


def open_tender(
    *, sealed_bids: Iterable[SealedBid], key: bytes, now: datetime, opens_at: datetime, reserve_price: Decimal | None
) -> tuple[Outcome, tuple[Bid, ...]]:
    """Unseal every bid at the opening and decide the tender; returns the outcome and the bids."""
    bids = tuple(
        Bid(
            sequence=s.sequence,
            bidder_number=s.bidder_number,
            amount=unseal(sealed=s.sealed, bidder_number=s.bidder_number, key=key, now=now, opens_at=opens_at),
            placed_at=s.placed_at,
        )
        for s in sealed_bids
    )
    return tender_outcome(bids=bids, reserve_price=reserve_price), bids


def _aad(bidder_number: str) -> bytes:
    # Binding the bidder number stops a stored ciphertext being swapped onto another bidder.
    return _AAD_PREFIX + bidder_number.encode("utf-8")
