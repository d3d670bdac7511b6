"""加价 bids: priced by the server under the listing lock, never above the bidder's limit."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import httpx
import pytest


pytestmark = pytest.mark.stack

START, STEP = Decimal("1000000.00"), Decimal("10000.00")


async def _two_bidders(world, **kw):
    listing_id = await world.listing(**kw)
    await world.bidder(listing_id, "bidder.a")
    await world.bidder(listing_id, "bidder.b")
    return listing_id


async def test_a_raise_is_priced_from_the_price_at_the_lock(world):
    listing_id = await _two_bidders(world)
    first = await world.raise_bid(listing_id, "bidder.a", 1, "2000000.00")
    assert first.status_code == 201, first.text
    assert first.json()["amount"] == "1000000.00" and first.json()["seq"] == 1  # one step = the start price
    second = await world.raise_bid(listing_id, "bidder.b", 3, "2000000.00")
    assert second.status_code == 201 and second.json()["amount"] == "1030000.00"
    own = await world.raise_bid(listing_id, "bidder.b", 1, "2000000.00")
    assert own.status_code == 409 and own.json()["code"] == "bid.already_leading"
    over = await world.raise_bid(listing_id, "bidder.a", 2, "1045000.00")
    problem = over.json()
    assert over.status_code == 409 and problem["code"] == "bid.over_limit", over.text
    assert (problem["current_price"], problem["priced_amount"], problem["max_amount"]) == (
        "1030000.00", "1050000.00", "1045000.00")
    assert "1050000.00" in problem["detail"] and "1045000.00" in problem["detail"]
    exact = await world.raise_bid(listing_id, "bidder.a", 2, "1050000.00")  # the limit itself is fine
    assert exact.status_code == 201 and exact.json()["amount"] == "1050000.00"
    listing = await world.get(listing_id, admin=False)
    assert listing["current_price"] == "1050000.00" and listing["last_seq"] == 3
    events = await world.events(listing_id, "transactions.bid.accepted.v1")
    assert [(e["data"]["seq"], e["data"]["amount"]) for e in events] == [
        (1, "1000000.00"), (2, "1030000.00"), (3, "1050000.00")]


@pytest.mark.parametrize("payload, code", [
    ({"raise_steps": 1}, "request.invalid"),                                     # no limit
    ({"raise_steps": 0, "max_amount": "2000000.00"}, "request.invalid"),
    ({"raise_steps": 101, "max_amount": "2000000.00"}, "request.invalid"),
    ({"raise_steps": 1.5, "max_amount": "2000000.00"}, "request.invalid"),
    ({"raise_steps": 1, "max_amount": 2000000.5}, "request.invalid"),            # a float
    ({"amount": "1000000.00", "raise_steps": 1, "max_amount": "2000000.00"}, "request.invalid"),
    ({"amount": "1000000.00", "max_amount": "2000000.00"}, "request.invalid"),
    ({"raise_steps": 1, "max_amount": "-1.00"}, "bid.invalid_amount"),
    ({"raise_steps": 1, "max_amount": "2000000.001"}, "bid.invalid_amount"),
])
async def test_malformed_raises_are_refused_without_change(world, payload, code):
    listing_id = await _two_bidders(world)
    r = await world.client.post(f"/api/v1/listings/{listing_id}/bids", json=payload, headers=world.h("bidder.a"))
    assert r.status_code == 422 and r.json()["code"] == code, r.text
    assert (await world.get(listing_id))["last_seq"] == 0


async def test_a_raise_below_the_start_price_limit_is_over_limit(world):
    listing_id = await _two_bidders(world)
    r = await world.raise_bid(listing_id, "bidder.a", 1, "999999.99")
    assert r.status_code == 409 and r.json()["code"] == "bid.over_limit"
    assert r.json()["priced_amount"] == "1000000.00" and (await world.get(listing_id))["last_seq"] == 0


async def test_a_retried_raise_is_accepted_once(world):
    listing_id = await _two_bidders(world)
    results = await asyncio.gather(*(world.raise_bid(listing_id, "bidder.a", 2, "1500000.00", key="r-1")
                                     for _ in range(5)))
    assert sorted(r.status_code for r in results) == [200, 200, 200, 200, 201]
    assert {(r.json()["seq"], r.json()["amount"]) for r in results} == {(1, "1010000.00")}
    # a limit below what the key already bought is another request, not a retry
    lower = await world.raise_bid(listing_id, "bidder.a", 2, "1005000.00", key="r-1")
    assert lower.status_code == 422 and lower.json()["code"] == "bid.idempotency_key_reused"
    assert (await world.get(listing_id))["last_seq"] == 1


async def test_tenders_take_no_raises(world):
    listing_id = await _two_bidders(world, method="tender")
    r = await world.raise_bid(listing_id, "bidder.a", 1, "2000000.00")
    assert r.status_code == 422 and r.json()["code"] == "bid.raise_not_for_tender", r.text
    assert (await world.get(listing_id))["last_seq"] == 0


def _comparable(status, body):
    keep = ("code", "current_price", "priced_amount", "max_amount", "seq", "amount")
    return status, {k: body.get(k) for k in keep if k in body}


async def test_function_and_python_path_price_raises_alike(world):
    fast, ref = await _two_bidders(world), await _two_bidders(world)
    steps = [
        ("bidder.a", 1, "999999.00"),    # over the limit at the start price
        ("bidder.a", 2, "1500000.00"),   # first bid: start + 1 increment
        ("bidder.a", 1, "1500000.00"),   # already leading
        ("bidder.b", 5, "1030000.00"),   # over the limit (unlocked refusal)
        ("bidder.b", 1, "-5.00"),        # invalid limit
        ("bidder.b", 3, "1040000.00"),
        ("bidder.a", 1, "1050000.00"),
    ]
    for username, n, limit in steps:
        r = await world.raise_bid(fast, username, n, limit)
        got = _comparable(r.status_code, r.json())
        assert got == _comparable(*await world.python_bid(ref, username, limit, steps=n)), (username, n, limit, r.text)


async def test_concurrent_raises_all_land_in_one_gap_free_increasing_order(world, bidder_pool):
    listing_id = await world.listing()
    names = bidder_pool[:20]
    for name in names:
        await world.bidder(listing_id, name)
    path = f"/api/v1/listings/{listing_id}/bids"
    before = _batching((await world.client.get("/metrics")).text)
    responses = await asyncio.gather(*(
        world.client.post(path, json={"raise_steps": 1, "max_amount": "99999999.00"},
                          headers=world.h(names[i % 20], **{"Idempotency-Key": uuid.uuid4().hex}))
        for i in range(200)))
    codes = [r.status_code for r in responses]
    assert set(codes) <= {201, 409}, [r.text for r in responses if r.status_code not in (201, 409)]
    # A raise can only be refused because its bidder was leading when the lock admitted it.
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {"bid.already_leading"}
    accepted = [r.json() for r in responses if r.status_code == 201]
    assert len(accepted) >= 100, codes
    rows = (await world.sql("SELECT seq, amount FROM transactions.bids WHERE listing_id = :id ORDER BY seq",
                            id=listing_id)).all()
    assert [s for s, _ in rows] == list(range(1, len(rows) + 1)) and len(rows) == len(accepted)
    # Each raise of one step lands exactly one increment over the bid before it.
    assert [a for _, a in rows] == [START + STEP * i for i in range(len(rows))]
    assert sorted((b["seq"], b["amount"]) for b in accepted) == [(s, f"{a:.2f}") for s, a in rows]
    # They were admitted in batches (group commit), not one transaction per bid.
    calls, bids = (after - was for after, was in zip(_batching((await world.client.get("/metrics")).text), before))
    assert bids == 200 and calls < 200, (calls, bids)


def _batching(metrics: str) -> tuple[float, float]:
    """(place_bid(s) calls, bids they carried) so far, from the batch-size histogram."""
    values = {line.split(" ")[0]: float(line.split(" ")[1]) for line in metrics.splitlines()
              if line.startswith("transactions_bid_batch_size_")}
    return values.get("transactions_bid_batch_size_count", 0.0), values.get("transactions_bid_batch_size_sum", 0.0)


async def test_fast_path_answers_raises_as_the_route(world, route_only_app):
    listing_id = await _two_bidders(world)
    path = f"/api/v1/listings/{listing_id}/bids"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=route_only_app), base_url="http://test") as route:
        assert (await world.raise_bid(listing_id, "bidder.a", 1, "2000000.00")).status_code == 201
        for payload in ({"raise_steps": 9, "max_amount": "1050000.00"}, {"raise_steps": 1},
                        {"raise_steps": 1, "max_amount": "-1"}):
            fast = await world.client.post(path, json=payload, headers=world.h("bidder.b"))
            slow = await route.post(path, json=payload, headers=world.h("bidder.b"))
            fast_body, slow_body = fast.json(), slow.json()
            for body in (fast_body, slow_body):
                body.pop("trace_id", None)
            assert (fast.status_code, fast_body) == (slow.status_code, slow_body), payload
