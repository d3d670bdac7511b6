"""Supervision alerts: single bidder, late bids, premium rate, shared network address."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from transactions.bidding.rules import Bid
from transactions.listings.rules import TradingRules
from transactions.supervision.rules import (
    AlertRule,
    Severity,
    high_premium,
    late_bid,
    network_key,
    premium_rate,
    shared_address,
    single_bidder,
)

CLOSE = datetime(2026, 10, 15, 7, 0, tzinfo=UTC)


def bid_at(seconds_before: float) -> Bid:
    placed_at = CLOSE - timedelta(seconds=seconds_before)
    return Bid(sequence=7, bidder_number="123456", amount=Decimal("1000"), placed_at=placed_at)


def test_single_bidder_alerts_only_for_exactly_one():
    [alert] = single_bidder(qualified_count=1)
    assert alert.rule is AlertRule.SINGLE_BIDDER and alert.severity is Severity.WARNING
    assert single_bidder(qualified_count=0) == [] and single_bidder(qualified_count=2) == []


def test_late_bid_window_boundaries():
    assert late_bid(bid=bid_at(30), closes_at=CLOSE)[0].details["seconds_before_close"] == 30
    assert late_bid(bid=bid_at(0.5), closes_at=CLOSE)
    assert late_bid(bid=bid_at(30.001), closes_at=CLOSE) == []
    assert late_bid(bid=bid_at(0), closes_at=CLOSE) == []  # at the close it was refused anyway
    assert late_bid(bid=bid_at(50), closes_at=CLOSE, rules=TradingRules(late_bid_window=timedelta(minutes=1)))


def test_premium_rate_threshold_is_strict():
    assert premium_rate(final_price=Decimal("150"), start_price=Decimal("100")) == Decimal("0.5")
    assert high_premium(final_price=Decimal("150"), start_price=Decimal("100")) == []
    [alert] = high_premium(final_price=Decimal("150.01"), start_price=Decimal("100"))
    assert alert.details["premium_rate"] == "0.5001" and alert.details["final_price"] == "150.01"
    assert "50.01%" in alert.message


def test_premium_rate_undefined_for_zero_start():
    assert premium_rate(final_price=Decimal("1"), start_price=Decimal("0")) is None
    assert high_premium(final_price=Decimal("1"), start_price=Decimal("0")) == []


def test_shared_address_groups_bidders():
    alerts = shared_address(registrations=[
        ("111111", "203.0.113.7"), ("222222", "203.0.113.7"), ("333333", "198.51.100.1"),
        ("444444", "2001:db8:1:2::10"), ("555555", "2001:db8:1:2:abcd::1"), ("666666", "::ffff:198.51.100.1"),
        ("111111", "203.0.113.7"),
    ])
    by_address = {a.details["address"]: a.details["bidder_numbers"] for a in alerts}
    assert by_address == {
        "203.0.113.7": ["111111", "222222"],
        "198.51.100.1": ["333333", "666666"],
        "2001:db8:1:2::/64": ["444444", "555555"],
    }
    assert all(a.severity is Severity.HIGH for a in alerts)


def test_one_bidder_from_one_address_raises_nothing():
    assert shared_address(registrations=[("111111", "203.0.113.7"), ("111111", "203.0.113.7")]) == []


def test_network_key_keeps_unparseable_values():
    assert network_key(" not-an-ip ") == "not-an-ip"


def test_alerts_serialise_to_json():
    alerts = single_bidder(qualified_count=1) + late_bid(bid=bid_at(1), closes_at=CLOSE)
    alerts += high_premium(final_price=Decimal("300"), start_price=Decimal("100"))
    alerts += shared_address(registrations=[("1", "10.0.0.1"), ("2", "10.0.0.1")])
    json.dumps([a.as_dict() for a in alerts], ensure_ascii=False)
