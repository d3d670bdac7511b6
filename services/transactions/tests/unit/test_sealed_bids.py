"""Sealed tender bids: per-listing keys, fixed-size ciphertext, no opening before time."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from transactions.bidding.rules import BidInvalidAmount, OutcomeStatus
from transactions.bidding.sealed import (
    NONCE_BYTES,
    SealedBid,
    SealedBidCorrupt,
    TenderStillSealed,
    derive_tender_key,
    open_tender,
    seal,
    unseal,
)

SECRET = b"s" * 32
KEY = derive_tender_key(server_secret=SECRET, listing_id="7d4c0b5e-0000-4000-8000-000000000001")
OPENS = datetime(2026, 10, 15, 7, 0, tzinfo=UTC)


def sealed(amount: str, number: str = "123456") -> bytes:
    return seal(amount=Decimal(amount), bidder_number=number, nonce=os.urandom(NONCE_BYTES), key=KEY)


def test_round_trip_at_the_opening_time():
    token = sealed("15000000.50")
    assert unseal(sealed=token, bidder_number="123456", key=KEY, now=OPENS, opens_at=OPENS) == Decimal("15000000.50")


def test_unseal_before_opening_is_refused():
    with pytest.raises(TenderStillSealed) as info:
        unseal(sealed=sealed("1"), bidder_number="123456", key=KEY, now=OPENS - timedelta(seconds=1), opens_at=OPENS)
    assert info.value.status_code == 409 and info.value.code == "bid.sealed"


def test_ciphertext_length_does_not_reveal_magnitude():
    assert len(sealed("1")) == len(sealed("99999999999.99"))


def test_bid_moved_to_another_bidder_or_listing_fails():
    token = sealed("1000")
    with pytest.raises(SealedBidCorrupt):
        unseal(sealed=token, bidder_number="654321", key=KEY, now=OPENS, opens_at=OPENS)
    other = derive_tender_key(server_secret=SECRET, listing_id="another")
    with pytest.raises(SealedBidCorrupt):
        unseal(sealed=token, bidder_number="123456", key=other, now=OPENS, opens_at=OPENS)


def test_tampered_ciphertext_fails():
    token = bytearray(sealed("1000"))
    token[-1] ^= 1
    with pytest.raises(SealedBidCorrupt):
        unseal(sealed=bytes(token), bidder_number="123456", key=KEY, now=OPENS, opens_at=OPENS)


def test_keys_differ_per_listing_and_short_secrets_are_refused():
    one, two = (derive_tender_key(server_secret=SECRET, listing_id=x) for x in ("a", "b"))
    assert one != two
    with pytest.raises(ValueError):
        derive_tender_key(server_secret=b"short", listing_id="a")


def test_seal_refuses_invalid_amount_and_bad_nonce():
    with pytest.raises(BidInvalidAmount):
        sealed("0")
    with pytest.raises(BidInvalidAmount):
        sealed("1" * 40)
    with pytest.raises(ValueError):
        seal(amount=Decimal("1"), bidder_number="1", nonce=b"x", key=KEY)


def test_open_tender_highest_wins_tie_to_earlier_sequence():
    bids = [
        SealedBid(1, "111111", sealed("900", "111111"), OPENS - timedelta(hours=3)),
        SealedBid(2, "222222", sealed("1000", "222222"), OPENS - timedelta(hours=2)),
        SealedBid(3, "333333", sealed("1000", "333333"), OPENS - timedelta(hours=1)),
    ]
    result, opened = open_tender(sealed_bids=bids, key=KEY, now=OPENS, opens_at=OPENS, reserve_price=Decimal("1000"))
    assert result.status is OutcomeStatus.CONCLUDED and result.winning_bid.bidder_number == "222222"
    assert [b.amount for b in opened] == [Decimal("900"), Decimal("1000"), Decimal("1000")]
    with pytest.raises(TenderStillSealed):
        early = OPENS - timedelta(microseconds=1)
        open_tender(sealed_bids=bids, key=KEY, now=early, opens_at=OPENS, reserve_price=None)
