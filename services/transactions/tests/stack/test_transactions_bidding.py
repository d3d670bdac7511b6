"""Bidding through the API: admission rules, refusals with the current price, idempotency, the close."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.stack


async def _two_bidders(world, **kw):
    listing_id = await world.listing(**kw)
    a = await world.bidder(listing_id, "bidder.a")
    b = await world.bidder(listing_id, "bidder.b")
    return listing_id, a, b


async def test_quotes_rise_by_the_increment_and_get_sequence_numbers(world):
    listing_id, a, b = await _two_bidders(world)
    first = await world.bid(listing_id, "bidder.a", "1000000.00")
    assert first.status_code == 201, first.text
    assert first.json()["seq"] == 1 and first.json()["bidder_number"] == a["bidder_number"]
    low = await world.bid(listing_id, "bidder.b", "1005000.00")
    assert low.status_code == 409
    problem = low.json()
    assert problem["code"] == "bid.too_low" and problem["current_price"] == "1000000.00"
    assert problem["minimum_next"] == "1010000.00"
    second = await world.bid(listing_id, "bidder.b", "1010000.00")
    assert second.status_code == 201 and second.json()["seq"] == 2
    own = await world.bid(listing_id, "bidder.b", "1020000.00")
    assert own.status_code == 409 and own.json()["code"] == "bid.already_leading"
    listing = await world.get(listing_id, admin=False)
    assert listing["current_price"] == "1010000.00" and listing["last_seq"] == 2
    board = (await world.client.get(f"/api/v1/listings/{listing_id}/bids")).json()
    assert [(x["seq"], x["amount"]) for x in board] == [(1, "1000000.00"), (2, "1010000.00")]
    accepted = await world.events(listing_id, "transactions.bid.accepted.v1")
    assert [e["data"]["seq"] for e in accepted] == [1, 2]


@pytest.mark.parametrize("payload, code", [
    ({"amount": "-100.00"}, "bid.invalid_amount"),
    ({"amount": "1000000.001"}, "bid.invalid_amount"),
    ({"amount": 1000000.5}, "request.invalid"),
    ({"amount": "一百万"}, "request.invalid"),
    ({}, "request.invalid"),
    ({"amount": "1000000.00", "bidder_number": "123456"}, "request.invalid"),
])
async def test_bad_amounts_and_fields_are_refused_without_change(world, payload, code):
    listing_id, _, _ = await _two_bidders(world)
    r = await world.client.post(f"/api/v1/listings/{listing_id}/bids", json=payload, headers=world.h("bidder.a"))
    assert r.status_code == 422 and r.json()["code"] == code, r.text
    assert (await world.get(listing_id))["last_seq"] == 0


async def test_unregistered_or_unqualified_bidders_are_refused(world):
    listing_id = await world.listing()
    reg = await world.register(listing_id, "bidder.b")
    r = await world.bid(listing_id, "bidder.b", "1000000.00")
    assert r.status_code == 403 and r.json()["code"] == "bid.not_qualified"
    await world.pay(reg["id"], "bidder.b")
    assert (await world.bid(listing_id, "bidder.b", "1000000.00")).json()["code"] == "bid.not_qualified"
    r = await world.bid(listing_id, "bidder.a", "1000000.00")
    assert r.status_code == 403 and r.json()["code"] == "bid.not_qualified"
    r = await world.client.post(f"/api/v1/listings/{listing_id}/bids", json={"amount": "1000000.00"},
                                headers=world.h("trader.admin"))
    assert r.status_code == 403
    assert (await world.get(listing_id))["last_seq"] == 0


async def test_a_retried_idempotency_key_is_accepted_once(world):
    listing_id, _, _ = await _two_bidders(world)
    results = await asyncio.gather(*(world.bid(listing_id, "bidder.a", "1000000.00", key="k-1") for _ in range(5)))
    assert sorted(r.status_code for r in results) == [200, 200, 200, 200, 201]
    assert {r.json()["seq"] for r in results} == {1}
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in results) == 4
    other = await world.bid(listing_id, "bidder.a", "2000000.00", key="k-1")
    assert other.status_code == 422 and other.json()["code"] == "bid.idempotency_key_reused"
    same_key_other_bidder = await world.bid(listing_id, "bidder.b", "1010000.00", key="k-1")
    assert same_key_other_bidder.status_code == 201 and same_key_other_bidder.json()["seq"] == 2
    assert (await world.get(listing_id))["last_seq"] == 2


async def test_no_bid_is_accepted_after_the_close(world):
    listing_id, _, _ = await _two_bidders(world)
    assert (await world.bid(listing_id, "bidder.a", "1000000.00")).status_code == 201
    await world.due(listing_id, close=True)
    late = await world.bid(listing_id, "bidder.b", "1100000.00")  # deadline passed, scheduler not yet run
    assert late.status_code == 409 and late.json()["code"] == "bid.closed"
    assert late.json()["current_price"] == "1000000.00"
    await world.until(listing_id, "concluded", "failed")
    after = await world.bid(listing_id, "bidder.b", "1100000.00")
    assert after.status_code == 409 and after.json()["code"] == "bid.not_open"
