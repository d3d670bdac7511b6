"""200 concurrent bids from 20 bidders on one listing: ordered, gap-free, nothing lost, all explained."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal

import pytest

pytestmark = pytest.mark.stack


async def test_200_concurrent_bids_from_20_bidders(world, bidder_pool):
    listing_id = await world.listing()
    numbers = {}
    for name in bidder_pool:
        numbers[name] = (await world.bidder(listing_id, name))["bidder_number"]
    start, step = Decimal("1000000.00"), Decimal("10000.00")
    requests = [(name, start + step * (j * len(bidder_pool) + i))
                for i, name in enumerate(bidder_pool) for j in range(10)]
    random.Random(4).shuffle(requests)
    for name in bidder_pool:
        world.tokens(name)  # warm the token cache outside the race

    responses = await asyncio.gather(*(world.bid(listing_id, name, f"{amount:.2f}") for name, amount in requests))

    accepted = {}
    for (name, amount), r in zip(requests, responses, strict=True):
        assert r.status_code in (201, 409), r.text
        body = r.json()
        if r.status_code == 201:
            assert Decimal(body["amount"]) == amount and body["bidder_number"] == numbers[name]
            accepted[body["seq"]] = (body["bidder_number"], amount)
        else:  # every refusal says why and what the price is
            assert body["code"] in ("bid.too_low", "bid.already_leading"), body
            assert body["current_price"] is not None and body["type"].startswith("urn:natres:problem:")
    assert len(accepted) >= 2

    stored = (await world.client.get(f"/api/v1/supervision/listings/{listing_id}/bids",
                                     headers=world.h("supervisor.li"))).json()
    assert [b["seq"] for b in stored] == list(range(1, len(stored) + 1))  # gap-free
    amounts = [Decimal(b["amount"]) for b in stored]
    assert all(x < y for x, y in zip(amounts, amounts[1:]))  # strictly increasing
    assert {b["seq"]: (b["bidder_number"], Decimal(b["amount"])) for b in stored} == accepted  # nothing lost
    listing = await world.get(listing_id)
    assert listing["last_seq"] == len(stored) and Decimal(listing["current_price"]) == amounts[-1]
    events = await world.events(listing_id, "transactions.bid.accepted.v1")
    assert [e["data"]["seq"] for e in events] == list(range(1, len(stored) + 1))
    feed = (await world.sql("SELECT count(*) FROM transactions.feed_items WHERE listing_id = :id AND kind = 'bid'",
                            id=listing_id)).scalar()
    assert feed == len(stored)
