"""Anonymous bidder numbers: stable, 6 digits, keyed, collision retry."""

from __future__ import annotations

import pytest

from transactions.bidders.numbers import BidderNumberUnavailable, allocate_bidder_number, bidder_number

KEY = b"k" * 32


def test_number_is_six_digits_and_stable():
    first = bidder_number(key=KEY, listing_id="L1", registration_id="R1")
    assert len(first) == 6 and first.isdigit()
    assert first == bidder_number(key=KEY, listing_id="L1", registration_id="R1")


def test_number_depends_on_key_listing_and_registration():
    base = bidder_number(key=KEY, listing_id="L1", registration_id="R1")
    assert base != bidder_number(key=b"j" * 32, listing_id="L1", registration_id="R1")
    assert base != bidder_number(key=KEY, listing_id="L2", registration_id="R1")
    assert base != bidder_number(key=KEY, listing_id="L1", registration_id="R2")


def test_numbers_do_not_follow_registration_order():
    numbers = [bidder_number(key=KEY, listing_id="L1", registration_id=f"R{i}") for i in range(50)]
    assert numbers != sorted(numbers) and len(set(numbers)) == 50


def test_allocation_skips_taken_numbers():
    first = bidder_number(key=KEY, listing_id="L1", registration_id="R1")
    second = allocate_bidder_number(key=KEY, listing_id="L1", registration_id="R1", taken=lambda n: n == first)
    assert second == bidder_number(key=KEY, listing_id="L1", registration_id="R1", attempt=1) != first


def test_allocation_gives_up_after_max_attempts():
    with pytest.raises(BidderNumberUnavailable) as info:
        allocate_bidder_number(key=KEY, listing_id="L1", registration_id="R1", taken=lambda n: True, max_attempts=3)
    assert info.value.status_code == 409 and info.value.extensions["attempts"] == 3


def test_short_key_and_negative_attempt_are_refused():
    with pytest.raises(ValueError):
        bidder_number(key=b"short", listing_id="L1", registration_id="R1")
    with pytest.raises(ValueError):
        bidder_number(key=KEY, listing_id="L1", registration_id="R1", attempt=-1)
