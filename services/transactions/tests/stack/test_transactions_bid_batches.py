"""place_bids() (migration 0010): a batch is decided as the Python path decides its requests one by one.

The batch function decides every request in PL/pgSQL variables and writes the accepted ones with
one statement per table, so these tests hold it to the references: the Python path's answers,
the events and feed items place_bid() writes for a lone bid, the late-bid rule, the countdown.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from natres_platform.events import SchemaRegistry

from transactions.bidding import procedure
from transactions.bidding.procedure import Result

pytestmark = pytest.mark.stack


async def _listing_with_two_bidders(world, **kw):
    listing_id = await world.listing(**kw)
    await world.bidder(listing_id, "bidder.a")
    await world.bidder(listing_id, "bidder.b")
    return listing_id


async def _request(world, listing_id, username, amount, key=None, steps=None):
    principal = await world.trading.ctx.verifier.verify(world.tokens(username))
    return procedure.bid_request(trading=world.trading, listing_id=listing_id, principal=principal,
                                 amount=Decimal(amount), key=key, client_ip="127.0.0.1", raise_steps=steps)


async def _batch(world, listing_id, steps):
    """One place_bids() call for all `steps`; each answer as the API gives it (status, body)."""
    requests = [await _request(world, listing_id, *step) for step in steps]
    assert len(requests) > 1  # a lone request goes to place_bid()
    rows = await world.trading.bid_batcher.admit(listing_id, requests)
    out = []
    for (_, amount, _key, steps_), row in zip(steps, rows, strict=True):
        try:
            bid = procedure.answer(Result(*row), listing_id=listing_id, amount=Decimal(amount), raise_steps=steps_)
        except Exception as exc:  # noqa: BLE001 - the platform error is the answer
            out.append((exc.status_code, {"code": exc.code, **exc.extensions}))
            continue
        out.append((200 if bid.replayed else 201, bid.model_dump(mode="json")))
    return out


def _comparable(status, body):
    # minimum_next: the API adds it to every refusal, the Python path to quotes only
    keep = ("code", "current_price", "priced_amount", "max_amount", "seq", "amount", "replayed",
            "original_seq")
    return status, {k: body.get(k) for k in keep if k in body}


async def test_a_batch_decides_as_the_python_path_one_by_one(world, bidder_pool):
    batched, ref = await _listing_with_two_bidders(world), await _listing_with_two_bidders(world)
    steps = [
        ("bidder.a", "999999.00", None, None),          # below the start price
        ("bidder.a", "1000000.001", None, None),        # three decimals
        ("bidder.a", "1000000.00", "k1", None),         # accepted at the start price
        ("bidder.a", "1000000.00", "k1", None),         # the same key again, inside the batch: its replay
        ("bidder.a", "1500000.00", "k1", None),         # the same key for another amount
        ("bidder.a", "1010000.00", None, None),         # already leading
        ("bidder.b", "1005000.00", None, None),         # below current + increment
        ("bidder.b", "1030000.00", "k2", 2),            # 加价 by two increments: 1020000
        ("bidder.a", "1040000.00", None, 5),            # 加价 over its limit
        ("bidder.pool02", "2000000.00", None, None),    # not registered
        ("bidder.a", "1030000.00", None, None),
        ("bidder.b", "9999999.00", "k2", 1),            # a retried raise within its limit: the replay
        ("bidder.b", "-5.00", None, 1),                 # an invalid limit
        ("bidder.b", "1040000.00", None, None),
    ]
    got = await _batch(world, batched, steps)
    for step, answer in zip(steps, got, strict=True):
        username, amount, key, n = step
        want = await world.python_bid(ref, username, amount, key=key, steps=n)
        assert _comparable(*answer) == _comparable(*want), (step, answer, want)
    assert [s for s, _ in got].count(201) == 4
    listing, other = await world.get(batched), await world.get(ref)
    for field in ("current_price", "last_seq"):
        assert listing[field] == other[field]
    assert listing["last_seq"] == 4 and listing["current_price"] == "1040000.00"
    rows = (await world.sql("SELECT seq, amount, idempotency_key FROM transactions.bids WHERE listing_id = :id "
                            "ORDER BY seq", id=batched)).all()
    assert [tuple(r) for r in rows] == [(1, Decimal("1000000.00"), "k1"), (2, Decimal("1020000.00"), "k2"),
                                        (3, Decimal("1030000.00"), None), (4, Decimal("1040000.00"), None)]


async def test_a_batch_writes_the_events_and_feed_items_lone_bids_write(world):
    batched, lone = await _listing_with_two_bidders(world), await _listing_with_two_bidders(world)
    steps = [("bidder.a", "1000000.00", None, None), ("bidder.b", "1010000.00", None, None),
             ("bidder.a", "2000000.00", None, 1)]
    assert [s for s, _ in await _batch(world, batched, steps)] == [201, 201, 201]
    for username, amount, _, n in steps:
        r = await (world.raise_bid(lone, username, n, amount) if n else world.bid(lone, username, amount))
        assert r.status_code == 201, r.text
    got, want = (await world.events(batched, "transactions.bid.accepted.v1"),
                 await world.events(lone, "transactions.bid.accepted.v1"))
    contracts = SchemaRegistry.platform()
    assert len(got) == len(want) == 3
    listing = await world.get(batched)
    for g, w in zip(got, want, strict=True):
        contracts.validate(g)
        assert set(g) - {"traceparent"} == set(w) - {"traceparent"} and set(g["data"]) == set(w["data"])
        for field in ("specversion", "source", "type", "datacontenttype", "actor", "region"):
            assert g[field] == w[field]
        for field in ("seq", "amount", "sealed", "phase"):
            assert g["data"][field] == w["data"][field]
        assert g["subject"] == g["data"]["listing_id"] == batched and g["time"] == g["data"]["placed_at"]
        assert g["data"]["closes_at"] == listing["closes_at"].replace("+00:00", "Z")
    assert [e["data"]["seq"] for e in got] == [1, 2, 3]
    numbers = {e["data"]["registration_id"]: e["data"]["bidder_number"] for e in got}
    assert len(numbers) == 2
    feed = (await world.sql("SELECT seq, data FROM transactions.feed_items WHERE listing_id = :id AND kind = 'bid' "
                            "ORDER BY seq", id=batched)).all()
    assert [s for s, _ in feed] == list(range(feed[0][0], feed[0][0] + 3))
    assert [d for _, d in feed] == [
        {"type": "bid", "seq": e["data"]["seq"], "bidder_number": e["data"]["bidder_number"],
         "amount": e["data"]["amount"], "placed_at": e["data"]["placed_at"], "closes_at": e["data"]["closes_at"]}
        for e in got]
    stored = (await world.sql("SELECT feed_seq FROM transactions.listings WHERE id = :id", id=batched)).scalar()
    assert stored == feed[-1][0]


async def test_late_bids_in_a_batch_each_raise_their_alert_after_their_bid(world):
    listing_id = await _listing_with_two_bidders(world)
    # the late-bid window is 1 s in the tests: bring the deadline 0.6 s ahead
    await world.sql("UPDATE transactions.listings SET closes_at = clock_timestamp() + interval '0.6 s' "
                    "WHERE id = :id", id=listing_id)
    requests = [await _request(world, listing_id, "bidder.a", "1000000.00"),
                await _request(world, listing_id, "bidder.b", "1010000.00")]
    rows = [Result(*r) for r in await world.trading.bid_batcher.admit(listing_id, requests)]
    assert [(r.outcome, r.alert_raised) for r in rows] == [("accepted", True), ("accepted", True)]
    events = [e for e in await world.events(listing_id) if e["type"] == "transactions.bid.accepted.v1"
              or e["data"].get("rule") == "supervision.late_bid"]
    kinds = [(e["type"], e["data"].get("seq") or e["data"]["details"]["sequence"]) for e in events]
    assert kinds == [("transactions.bid.accepted.v1", 1), ("transactions.alert.raised.v1", 1),
                     ("transactions.bid.accepted.v1", 2), ("transactions.alert.raised.v1", 2)]
    stored = (await world.sql("SELECT id, message, details FROM transactions.alerts WHERE listing_id = :id "
                              "AND rule = 'supervision.late_bid' ORDER BY id", id=listing_id)).all()
    alerts = [e for e in events if e["type"] == "transactions.alert.raised.v1"]
    for event, (alert_id, message, details) in zip(alerts, stored, strict=True):
        SchemaRegistry.platform().validate(event)
        assert (event["data"]["alert_id"], event["data"]["message"], event["data"]["details"]) == (
            alert_id, message, details)
        assert event["id"] in {str(r.alert_id) for r in requests}


async def test_each_bid_of_an_auction_batch_restarts_the_countdown(world):
    listing_id = await _listing_with_two_bidders(world, method="auction")
    await world.open_bidding(listing_id)
    steps = [("bidder.a", "1000000.00", None, None), ("bidder.b", "1010000.00", None, None),
             ("bidder.a", "1020000.00", None, None)]
    answers = await _batch(world, listing_id, steps)
    assert [s for s, _ in answers] == [201, 201, 201], answers
    countdown = timedelta(seconds=world.trading.settings.countdown_seconds)
    for _, bid in answers:
        assert datetime.fromisoformat(bid["closes_at"]) == datetime.fromisoformat(bid["placed_at"]) + countdown
    listing = await world.get(listing_id)
    assert listing["closes_at"] == answers[-1][1]["closes_at"]
    placed = [datetime.fromisoformat(b["placed_at"]) for _, b in answers]
    assert placed == sorted(placed) and len(set(placed)) == 3  # the server clock, read per bid


async def test_a_batch_for_a_tender_or_an_unknown_listing_is_refused_whole(world):
    tender = await _listing_with_two_bidders(world, method="tender")
    requests = [await _request(world, tender, "bidder.a", "1000000.00"),
                await _request(world, tender, "bidder.b", "1000000.00")]
    rows = [Result(*r) for r in await world.trading.bid_batcher.admit(tender, requests)]
    assert [r.outcome for r in rows] == ["tender", "tender"]
    unknown = str(uuid.uuid4())
    rows = [Result(*r) for r in await world.trading.bid_batcher.admit(unknown, requests)]
    assert [(r.outcome, r.alert_raised) for r in rows] == [("not_found", False), ("not_found", False)]
    assert (await world.get(tender))["last_seq"] == 0
