"""Closing: 挂牌 deadline, 限时竞价 and 拍卖 countdowns, sealed 招标, 流拍, mining minimum, restarts."""

from __future__ import annotations

import asyncio
import pytest

from transactions.closing.service import run_due
from transactions.trading import Trading

from ..conftest import make_settings

pytestmark = pytest.mark.stack


async def _qualified(world, listing_id, *names):
    return {n: (await world.bidder(listing_id, n))["bidder_number"] for n in names}


async def test_listing_deadline_awards_the_highest_quote(world):
    listing_id = await world.listing()
    numbers = await _qualified(world, listing_id, "bidder.a", "bidder.b")
    assert (await world.bid(listing_id, "bidder.a", "1040000.00")).status_code == 201
    assert (await world.bid(listing_id, "bidder.b", "1060000.00")).status_code == 201
    await world.due(listing_id, close=True)
    closed = await world.until(listing_id, "concluded", "failed")
    assert closed["state"] == "concluded" and closed["final_price"] == "1060000.00"
    public = await world.get(listing_id, admin=False)
    assert public["reserve_price"] == "1050000.00"  # no longer secret
    [deal] = await world.events(listing_id, "transactions.deal.concluded.v1")
    assert deal["data"]["price"] == "1060000.00" and deal["data"]["bidder_number"] == numbers["bidder.b"]
    assert deal["data"]["winner"]["name"] and deal["data"]["unit_code"] == closed["unit_code"]


async def test_below_reserve_fails_and_refunds_every_deposit(world):
    listing_id = await world.listing()
    await _qualified(world, listing_id, "bidder.a", "bidder.b")
    assert (await world.bid(listing_id, "bidder.a", "1000000.00")).status_code == 201
    await world.due(listing_id, close=True)
    closed = await world.until(listing_id, "concluded", "failed")
    assert closed["state"] == "failed" and closed["outcome_reason"] == "below_reserve"
    [failed] = await world.events(listing_id, "transactions.listing.failed.v1")
    assert failed["data"]["reason"] == "below_reserve" and failed["data"]["reserve_price"] == "1050000.00"
    refunds = await world.events(listing_id, "transactions.deposit.refunded.v1")
    assert len(refunds) == 2 and {r["data"]["reason"] for r in refunds} == {"failed"}


async def test_timed_bidding_countdown_restarts_on_every_bid(world):
    listing_id = await world.listing()
    numbers = await _qualified(world, listing_id, "bidder.a", "bidder.b")
    assert (await world.bid(listing_id, "bidder.a", "1050000.00")).status_code == 201
    for name in ("bidder.a", "bidder.b"):
        r = await world.client.post(f"/api/v1/listings/{listing_id}/continue", headers=world.h(name))
        assert r.status_code == 200, r.text
    await world.due(listing_id, close=True)
    timed = await world.until(listing_id, "timed_bidding")
    [started] = await world.events(listing_id, "transactions.listing.timed_bidding_started.v1")
    assert sorted(started["data"]["continuing_bidders"]) == sorted(numbers.values())
    deadlines = []
    for name, amount in (("bidder.b", "1060000.00"), ("bidder.a", "1070000.00"), ("bidder.b", "1080000.00")):
        await asyncio.sleep(0.6)
        r = await world.bid(listing_id, name, amount)
        assert r.status_code == 201, r.text
        deadlines.append(r.json()["closes_at"])
    assert deadlines == sorted(deadlines) and deadlines[0] > timed["closes_at"]
    await asyncio.sleep(2.2)  # the 2-second test countdown runs out with no new bid
    closed = await world.until(listing_id, "concluded")
    assert closed["final_price"] == "1080000.00"
    late = await world.bid(listing_id, "bidder.a", "1090000.00")
    assert late.status_code == 409


async def test_auction_runs_on_the_countdown(world):
    listing_id = await world.listing(method="auction")
    await _qualified(world, listing_id, "bidder.a", "bidder.b")
    opened = await world.open_bidding(listing_id)
    assert opened["state"] == "bidding" and opened["closes_at"] is not None
    assert (await world.bid(listing_id, "bidder.a", "1000000.00")).status_code == 201
    assert (await world.bid(listing_id, "bidder.b", "1100000.00")).status_code == 201
    await asyncio.sleep(2.2)
    closed = await world.until(listing_id, "concluded")
    assert closed["final_price"] == "1100000.00"
    alerts = (await world.client.get(f"/api/v1/supervision/alerts?listing_id={listing_id}",
                                     headers=world.h("supervisor.li"))).json()
    assert "supervision.late_bid" not in {a["rule"] for a in alerts}  # late window is 1 s in tests


async def test_sealed_tender_is_unreadable_until_the_opening_and_ties_go_to_the_earlier_bid(world, su_engine):
    listing_id = await world.listing(method="tender")
    numbers = await _qualified(world, listing_id, "bidder.a", "bidder.b")
    await world.open_bidding(listing_id)
    assert (await world.bid(listing_id, "bidder.a", "1200000.00")).status_code == 201
    r = await world.bid(listing_id, "bidder.b", "1200000.00")
    assert r.status_code == 201 and r.json()["amount"] is None and r.json()["sealed"] is True
    again = await world.bid(listing_id, "bidder.b", "1300000.00")
    assert again.status_code == 409 and again.json()["code"] == "bid.tender_already_submitted"
    assert (await world.client.get(f"/api/v1/listings/{listing_id}/bids")).json() == []
    stored = (await world.sql("SELECT amount, sealed FROM transactions.bids WHERE listing_id = :id", id=listing_id)).all()
    assert all(a is None and b"1200000" not in bytes(s) for a, s in stored)
    events = await world.events(listing_id, "transactions.bid.accepted.v1")
    assert all(e["data"]["amount"] is None for e in events)
    await world.due(listing_id, close=True)
    closed = await world.until(listing_id, "concluded")
    assert closed["final_price"] == "1200000.00"
    [deal] = await world.events(listing_id, "transactions.deal.concluded.v1")
    assert deal["data"]["bidder_number"] == numbers["bidder.a"]  # same amount: the earlier bid wins
    board = (await world.client.get(f"/api/v1/listings/{listing_id}/bids")).json()
    assert [b["amount"] for b in board] == ["1200000.00", "1200000.00"]


async def test_mining_auction_needs_three_qualified_bidders(world):
    listing_id = await world.listing(method="auction", right_type="mining_right")
    await _qualified(world, listing_id, "bidder.a", "bidder.b")
    failed = await world.open_bidding(listing_id)
    assert failed["state"] == "failed" and failed["outcome_reason"] == "too_few_bidders"
    [event] = await world.events(listing_id, "transactions.listing.failed.v1")
    assert event["data"]["qualified_count"] == 2 and event["data"]["required"] == 3
    assert len(await world.events(listing_id, "transactions.deposit.refunded.v1")) == 2


async def test_a_fresh_scheduler_process_closes_what_the_old_one_left(world):
    listing_id = await world.listing()
    await _qualified(world, listing_id, "bidder.a")
    assert (await world.bid(listing_id, "bidder.a", "1050000.00")).status_code == 201
    await world.due(listing_id, close=True)
    # A new process: its own engine and state, nothing but the database in common.
    fresh = Trading.build(make_settings())
    try:
        for _ in range(50):
            await run_due(trading=fresh)
            if (await world.get(listing_id))["state"] == "concluded":
                break
            await asyncio.sleep(0.1)
    finally:
        await fresh.aclose()
    assert (await world.get(listing_id))["final_price"] == "1050000.00"
