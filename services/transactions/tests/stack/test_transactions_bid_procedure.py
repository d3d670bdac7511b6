"""The bid hot path (transactions.place_bid() + the ASGI fast path) against its references.

- the stored function decides exactly what bidding.rules and the Python path decide;
- its outbox rows are the CloudEvents UnitOfWork would have written, valid against the contract;
- the fast path answers as the FastAPI route does;
- two API processes (two apps, two pools) bidding on one listing keep one gap-free order.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from natres_platform.events import SchemaRegistry, rfc3339

from transactions.bidding.rules import Bid
from transactions.main import create_app
from transactions.supervision.rules import late_bid

from ..conftest import make_settings

pytestmark = pytest.mark.stack


async def test_sql_rfc3339_is_pythons(world):
    moments = [datetime(2026, 11, 29, 8, 0, 0, tzinfo=UTC), datetime(2026, 11, 29, 8, 0, 0, 120, tzinfo=UTC),
               datetime(2027, 1, 1, 23, 59, 59, 999999, tzinfo=UTC), datetime.now(UTC)]
    for moment in moments:
        got = (await world.sql("SELECT transactions.rfc3339(:t)", t=moment)).scalar()
        assert got == rfc3339(moment)


async def _twins(world, **kw):
    """Two identical listings with the same two bidders: one driven by the function, one by the Python path."""
    out = []
    for _ in range(2):
        listing_id = await world.listing(**kw)
        await world.bidder(listing_id, "bidder.a")
        await world.bidder(listing_id, "bidder.b")
        out.append(listing_id)
    return out


def _comparable(status, body):
    keep = ("code", "current_price", "minimum_next", "seq", "amount", "replayed")  # numbers differ per listing
    return status, {k: body.get(k) for k in keep if k in body}


async def test_function_and_python_path_decide_alike(world):
    fast, ref = await _twins(world)
    steps = [
        ("bidder.a", "999999.00", None),       # below the start price
        ("bidder.a", "1000000.001", None),     # three decimals
        ("bidder.a", "1000000.00", "k1"),      # first bid at the start price
        ("bidder.a", "1000000.00", "k1"),      # replay
        ("bidder.a", "1500000.00", "k1"),      # same key, other amount
        ("bidder.a", "1010000.00", None),      # already leading
        ("bidder.b", "1005000.00", None),      # below current + increment (unlocked refusal)
        ("bidder.b", "1010000.00", "k2"),
        ("bidder.a", "1020000.00", None),
        ("bidder.b", "1020000.00", None),      # too low again
    ]
    for username, amount, key in steps:
        r = await world.bid(fast, username, amount, key=key)
        got = _comparable(r.status_code, r.json())
        want = _comparable(*await world.python_bid(ref, username, amount, key=key))
        assert got == want, (username, amount, key, r.text)
    # closed: the deadline passed, the scheduler has not run yet
    for listing_id in (fast, ref):
        await world.due(listing_id, close=True)
    r = await world.bid(fast, "bidder.b", "1100000.00")
    assert _comparable(r.status_code, r.json()) == _comparable(*await world.python_bid(ref, "bidder.b", "1100000.00"))
    assert r.json()["code"] == "bid.closed"


async def test_refusals_outside_the_open_phase_and_round_agree(world, bidder_pool):
    # not registered, registered but not qualified, and a listing not yet taking quotes
    fast, ref = await _twins(world)
    for listing_id in (fast, ref):
        await world.register(listing_id, "bidder.pool01")
    for username in ("bidder.pool02", "bidder.pool01"):
        r = await world.bid(fast, username, "1000000.00")
        assert _comparable(r.status_code, r.json()) == _comparable(
            *await world.python_bid(ref, username, "1000000.00")), r.text
    for listing_id in (fast, ref):
        await world.sql("UPDATE transactions.listings SET opens_at = clock_timestamp() + interval '1 hour' "
                        "WHERE id = :id", id=listing_id)
    r = await world.bid(fast, "bidder.a", "1000000.00")
    assert r.json()["code"] == "bid.not_open"
    assert _comparable(r.status_code, r.json()) == _comparable(*await world.python_bid(ref, "bidder.a", "1000000.00"))


async def test_outbox_row_is_the_event_unit_of_work_writes(world):
    fast, ref = await _twins(world)
    r = await world.bid(fast, "bidder.a", "1000000", key="same-key")  # no cents: money is normalised
    assert r.status_code == 201, r.text
    await world.python_bid(ref, "bidder.a", "1000000", key="same-key")
    [got] = await world.events(fast, "transactions.bid.accepted.v1")
    [want] = await world.events(ref, "transactions.bid.accepted.v1")
    contracts = SchemaRegistry.platform()
    contracts.validate(got)
    assert set(got) == set(want) and set(got["data"]) == set(want["data"])
    for field in ("specversion", "source", "type", "datacontenttype", "actor", "region"):
        assert got[field] == want[field]
    assert got["subject"] == got["data"]["listing_id"] == fast
    body = r.json()
    assert got["data"] == {**want["data"], "listing_id": fast, "registration_id": got["data"]["registration_id"],
                           "bidder_number": body["bidder_number"], "placed_at": got["data"]["placed_at"],
                           "closes_at": got["data"]["closes_at"]}
    listing = await world.get(fast)
    assert got["data"]["closes_at"] == listing["closes_at"].replace("+00:00", "Z")
    regs = (await world.client.get(f"/api/v1/listings/{fast}/registrations", headers=world.h("trader.admin"))).json()
    assert got["data"]["registration_id"] in {x["id"] for x in regs}
    assert got["data"]["amount"] == "1000000.00" and got["data"]["seq"] == 1
    assert got["data"]["placed_at"] == body["placed_at"].replace("+00:00", "Z") == got["time"]
    assert got["traceparent"].split("-")[1] == r.headers["traceparent"].split("-")[1]  # the request's trace
    row = (await world.sql("SELECT event_id::text, topic, key, event_type FROM transactions.outbox "
                           "WHERE key = :k AND event_type = 'transactions.bid.accepted.v1'", k=fast)).one()
    assert tuple(row) == (got["id"], "natres.transactions.v1", fast, "transactions.bid.accepted.v1")
    feed = (await world.sql("SELECT data FROM transactions.feed_items WHERE listing_id = :id AND kind = 'bid'",
                            id=fast)).scalar()
    assert feed == {"type": "bid", "seq": 1, "bidder_number": body["bidder_number"], "amount": "1000000.00",
                    "placed_at": got["data"]["placed_at"], "closes_at": got["data"]["closes_at"]}


async def test_late_bid_alert_is_the_rules_finding(world):
    listing_id = await world.listing()
    await world.bidder(listing_id, "bidder.a")
    # the late-bid window is 1 s in the tests: bring the deadline 0.6 s ahead
    closes_at = (await world.sql("UPDATE transactions.listings SET closes_at = clock_timestamp() + interval '0.6 s' "
                                 "WHERE id = :id RETURNING closes_at", id=listing_id)).scalar()
    r = await world.bid(listing_id, "bidder.a", "1000000.00")
    assert r.status_code == 201, r.text
    [event] = await world.events(listing_id, "transactions.alert.raised.v1")
    SchemaRegistry.platform().validate(event)
    body = r.json()
    placed_at = datetime.fromisoformat(body["placed_at"])
    [want] = late_bid(bid=Bid(1, body["bidder_number"], Decimal("1000000.00"), placed_at), closes_at=closes_at,
                      rules=world.trading.rules)
    data = event["data"]
    assert (data["rule"], data["severity"], data["message"]) == (want.rule.value, want.severity.value, want.message)
    assert {**data["details"], "seconds_before_close": float(data["details"]["seconds_before_close"])} == dict(
        want.details)
    assert event["actor"] == "service:natres-transactions" and data["raised_at"] == rfc3339(placed_at)
    stored = (await world.sql("SELECT id, message FROM transactions.alerts WHERE listing_id = :id",
                              id=listing_id)).one()
    assert tuple(stored) == (data["alert_id"], data["message"])


async def test_fast_path_answers_as_the_route(world, route_only_app):
    listing_id = await world.listing()
    await world.bidder(listing_id, "bidder.a")
    await world.bidder(listing_id, "bidder.b")
    path = f"/api/v1/listings/{listing_id}/bids"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=route_only_app), base_url="http://test") as route:
        cases = [
            ("bidder.a", {"amount": "1000000.00"}, "ka"),      # fast: 201 / route: replay 200 of the same key
            ("bidder.b", {"amount": "1000000.00"}, None),      # too low, with prices
            ("bidder.b", {"amount": 1010000.5}, None),         # a float: 422 from FastAPI in both
            ("bidder.b", {"amount": "1010000.00", "x": 1}, None),
            ("trader.admin", {"amount": "1010000.00"}, None),  # wrong role: 403
            (None, {"amount": "1010000.00"}, None),            # no token: 401
        ]
        for username, payload, key in cases:
            headers = (world.h(username) if username else {}) | ({"Idempotency-Key": key} if key else {})
            fast = await world.client.post(path, json=payload, headers=headers)
            slow = await route.post(path, json=payload, headers=headers)
            fast_body, slow_body = fast.json(), slow.json()
            for body in (fast_body, slow_body):
                body.pop("trace_id", None)
            if key:  # the second answer is the replay of the first
                assert (fast.status_code, slow.status_code) == (201, 200)
                assert slow.headers["Idempotent-Replayed"] == "true"
                slow_body["replayed"] = False
            else:
                assert fast.status_code == slow.status_code, (username, payload, fast.text, slow.text)
                assert fast.headers.get("www-authenticate") == slow.headers.get("www-authenticate")
            assert fast_body == slow_body, (username, payload)
            assert fast.headers["content-type"] == slow.headers["content-type"]


def _bid_count(metrics: str, status: str) -> float:
    label = f'http_requests_total{{handler="/api/v1/listings/{{listing_id}}/bids",method="POST",status="{status}"}}'
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith(label))


async def test_fast_path_bids_are_counted_under_the_route(world):
    listing_id = await world.listing()
    await world.bidder(listing_id, "bidder.a")
    before = _bid_count((await world.client.get("/metrics")).text, "2xx")
    assert (await world.bid(listing_id, "bidder.a", "1000000.00")).status_code == 201
    assert _bid_count((await world.client.get("/metrics")).text, "2xx") == before + 1


async def test_two_api_processes_keep_one_gap_free_order(world, bidder_pool, route_only_app):
    # Two apps = two pools, as two uvicorn workers: the order and the idempotency live in the database.
    listing_id = await world.listing()
    names = bidder_pool[:10]
    for name in names:
        await world.bidder(listing_id, name)
    other = create_app(make_settings())
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://test") as second:
            clients = [world.client, second]
            path = f"/api/v1/listings/{listing_id}/bids"
            amounts = [Decimal("1000000.00") + Decimal("10000.00") * i for i in range(60)]
            requests = [(names[i % len(names)], amounts[i], clients[i % 2]) for i in range(60)]
            # the same idempotency key sent through both processes at once
            dup_key = uuid.uuid4().hex
            dup = [(c, names[0]) for c in clients]
            responses = await asyncio.gather(
                *(c.post(path, json={"amount": f"{a:.2f}"}, headers=world.h(n)) for n, a, c in requests),
                *(c.post(path, json={"amount": "9000000.00"}, headers=world.h(n, **{"Idempotency-Key": dup_key}))
                  for c, n in dup),
            )
    finally:
        await other.state.trading.aclose()
    assert all(r.status_code in (200, 201, 409) for r in responses), [r.text for r in responses]
    tail = responses[-2:]
    if all(r.status_code in (200, 201) for r in tail):
        assert sorted(r.status_code for r in tail) == [200, 201] and tail[0].json()["seq"] == tail[1].json()["seq"]
    seqs = (await world.sql("SELECT seq, amount FROM transactions.bids WHERE listing_id = :id ORDER BY seq",
                            id=listing_id)).all()
    assert [s for s, _ in seqs] == list(range(1, len(seqs) + 1))
    assert all(a < b for (_, a), (_, b) in zip(seqs, seqs[1:]))
    events = await world.events(listing_id, "transactions.bid.accepted.v1")
    assert [e["data"]["seq"] for e in events] == [s for s, _ in seqs]
