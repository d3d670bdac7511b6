"""Bid admission and close outcomes: boundaries on price, time, ties and reserve."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from transactions.bidding.rules import (
    Bid,
    BidAlreadyLeading,
    BidClosed,
    BidderNotQualified,
    BidInvalidAmount,
    BidNotOpen,
    BidTooLow,
    FailureReason,
    OutcomeStatus,
    auction_close_outcome,
    check_bid,
    highest_bid,
    listing_close_outcome,
    minimum_next,
    outcome,
    tender_outcome,
    timed_bidding_outcome,
    timed_deadline,
)
from transactions.listings.rules import Method
from transactions.listings.states import ListingState

NOW = datetime(2026, 10, 15, 6, 0, tzinfo=UTC)
CLOSE = NOW + timedelta(minutes=1)


def bid(**overrides) -> None:
    args = dict(
        method=Method.LISTING, phase=ListingState.BIDDING, amount=Decimal("1100"), current=Decimal("1000"),
        start_price=Decimal("500"), increment=Decimal("100"), now=NOW, closes_at=CLOSE, bidder_qualified=True,
    )
    args.update(overrides)
    check_bid(**args)


def b(seq: int, number: str, amount: str, minute: int = 0) -> Bid:
    return Bid(sequence=seq, bidder_number=number, amount=Decimal(amount), placed_at=NOW + timedelta(minutes=minute))


def test_minimum_next():
    assert minimum_next(current=None, start_price=Decimal("500"), increment=Decimal("100")) == Decimal("500")
    assert minimum_next(current=Decimal("800"), start_price=Decimal("500"), increment=Decimal("100")) == Decimal("900")


def test_first_bid_exactly_at_start_price_is_accepted():
    bid(current=None, amount=Decimal("500"))


def test_first_bid_below_start_price_is_too_low():
    with pytest.raises(BidTooLow) as info:
        bid(current=None, amount=Decimal("499.99"))
    assert info.value.extensions == {"current_price": None, "minimum_next": "500"}


def test_bid_exactly_current_plus_increment_is_accepted():
    bid(amount=Decimal("1100.00"))


def test_bid_one_cent_short_is_too_low_with_prices():
    with pytest.raises(BidTooLow) as info:
        bid(amount=Decimal("1099.99"))
    body = info.value.to_problem()
    assert body["status"] == 409 and body["code"] == "bid.too_low"
    assert body["current_price"] == "1000" and body["minimum_next"] == "1100"


def test_bid_at_the_closing_instant_is_closed_and_just_before_is_accepted():
    bid(now=CLOSE - timedelta(microseconds=1))
    with pytest.raises(BidClosed) as info:
        bid(now=CLOSE)
    assert info.value.extensions["closes_at"] == "2026-10-15T06:01:00Z"


def test_bid_before_opening_or_in_a_closed_phase_is_not_open():
    with pytest.raises(BidNotOpen):
        bid(opens_at=NOW + timedelta(seconds=1))
    bid(opens_at=NOW)
    for phase in (ListingState.REGISTRATION, ListingState.CONCLUDED, ListingState.SUSPENDED):
        with pytest.raises(BidNotOpen):
            bid(phase=phase)


def test_tender_takes_no_timed_bidding_and_ignores_current_price():
    with pytest.raises(BidNotOpen):
        bid(method=Method.TENDER, phase=ListingState.TIMED_BIDDING)
    bid(method=Method.TENDER, amount=Decimal("500"), current=Decimal("1000"), is_current_leader=True)


def test_unqualified_bidder_is_refused_first():
    with pytest.raises(BidderNotQualified) as info:
        bid(bidder_qualified=False, amount=Decimal("-1"), phase=ListingState.DRAFT)
    assert info.value.status_code == 403 and info.value.code == "bid.not_qualified"


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-100"), Decimal("1100.001"), Decimal("NaN"), 1100.0])
def test_invalid_amounts(amount):
    with pytest.raises(BidInvalidAmount) as info:
        bid(amount=amount)
    assert info.value.status_code == 422 and info.value.code == "bid.invalid_amount"


def test_leader_cannot_raise_own_quote():
    with pytest.raises(BidAlreadyLeading):
        bid(is_current_leader=True)


def test_auction_bids_during_timed_bidding():
    bid(method=Method.AUCTION, phase=ListingState.TIMED_BIDDING)


def test_timed_deadline_restarts_from_last_bid():
    assert timed_deadline(last_bid_at=NOW, countdown=timedelta(minutes=4)) == NOW + timedelta(minutes=4)


def test_tie_goes_to_the_earlier_sequence():
    bids = [b(3, "222222", "1000"), b(2, "111111", "1000"), b(1, "333333", "900")]
    assert highest_bid(bids).bidder_number == "111111"
    assert tender_outcome(bids=bids, reserve_price=None).winning_bid.sequence == 2


def test_reserve_equal_to_highest_bid_wins():
    result = outcome(bids=[b(1, "111111", "900"), b(2, "222222", "1000")], reserve_price=Decimal("1000"))
    assert result.status is OutcomeStatus.CONCLUDED and result.winning_bid.amount == Decimal("1000")


def test_highest_below_reserve_fails():
    result = auction_close_outcome(bids=[b(1, "111111", "999.99")], reserve_price=Decimal("1000"))
    assert result.status is OutcomeStatus.FAILED and result.reason is FailureReason.BELOW_RESERVE
    assert result.winning_bid is None


def test_no_reserve_sells_to_any_bid():
    result = outcome(bids=[b(1, "111111", "500")], reserve_price=None)
    assert result.status is OutcomeStatus.CONCLUDED


def test_no_bids_fails():
    result = outcome(bids=[], reserve_price=None)
    assert result.status is OutcomeStatus.FAILED and result.reason is FailureReason.NO_BIDS


def test_listing_close_goes_to_timed_bidding_with_two_distinct_bidders():
    result = listing_close_outcome(
        bids=[b(1, "111111", "1000")], continue_requests=["222222", "111111", "222222"], reserve_price=None
    )
    assert result.status is OutcomeStatus.TIMED_BIDDING
    assert result.continuing_bidders == ("111111", "222222") and result.winning_bid is None


def test_listing_close_with_one_continuer_closes_on_quotes():
    bids = [b(1, "111111", "1000"), b(2, "222222", "1100")]
    result = listing_close_outcome(bids=bids, continue_requests=["222222", "222222"], reserve_price=Decimal("1100"))
    assert result.status is OutcomeStatus.CONCLUDED and result.winning_bid.bidder_number == "222222"


def test_listing_close_single_bidder_below_reserve_fails():
    result = listing_close_outcome(bids=[b(1, "111111", "1000")], continue_requests=[], reserve_price=Decimal("1001"))
    assert result.reason is FailureReason.BELOW_RESERVE


def test_timed_bidding_without_new_quotes_keeps_listing_period_winner():
    result = timed_bidding_outcome(bids=[b(1, "111111", "1000")], reserve_price=Decimal("900"))
    assert result.winning_bid.sequence == 1
