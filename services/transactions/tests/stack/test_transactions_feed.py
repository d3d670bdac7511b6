"""The live feed over a real HTTP server: bids, countdown and status; Last-Event-ID resumes exactly."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import pytest
import uvicorn

pytestmark = pytest.mark.stack


@pytest.fixture
async def base_url(app):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off",
                                           timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def _read(url: str, *, until: int, headers: dict | None = None) -> list[dict]:
    """SSE events (id, event, data) until one with id == `until` arrives."""
    events, current = [], {}
    async with httpx.AsyncClient(timeout=10) as c, c.stream("GET", url, headers=headers or {}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        async for line in r.aiter_lines():
            if line == "":
                if "data" in current:
                    events.append(current)
                    if current.get("id") == str(until):
                        return events
                current = {}
            elif not line.startswith(":"):
                field, _, value = line.partition(":")
                current[field] = value.lstrip(" ")
    return events


async def test_feed_streams_bids_and_resumes_without_gap_or_duplicate(world, base_url):
    listing_id = await world.listing()
    await world.bidder(listing_id, "bidder.a")
    await world.bidder(listing_id, "bidder.b")
    url = f"{base_url}/api/v1/listings/{listing_id}/feed"
    for name, amount in (("bidder.a", "1000000.00"), ("bidder.b", "1010000.00"), ("bidder.a", "1020000.00")):
        assert (await world.bid(listing_id, name, amount)).status_code == 201
    feed_seq = (await world.sql("SELECT feed_seq FROM transactions.listings WHERE id = :id", id=listing_id)).scalar()
    first = await asyncio.wait_for(_read(url, until=feed_seq), 10)
    assert first[0]["event"] == "snapshot" and "id" not in first[0]
    assert json.loads(first[0]["data"])["current_price"] == "1020000.00"
    ids = [int(e["id"]) for e in first[1:]]
    assert ids == list(range(1, feed_seq + 1))
    bids = [json.loads(e["data"]) for e in first if e["event"] == "bid"]
    assert [b["amount"] for b in bids] == ["1000000.00", "1010000.00", "1020000.00"]
    assert all(set(b) >= {"bidder_number", "seq", "placed_at", "closes_at"} for b in bids)
    assert not any("bidder_name" in e["data"] or "bidder.a" in e["data"] for e in first)

    # Disconnected: two more bids and the close happen, then the client resumes from its last id.
    assert (await world.bid(listing_id, "bidder.b", "1030000.00")).status_code == 201
    assert (await world.bid(listing_id, "bidder.a", "1040000.00")).status_code == 201
    await world.due(listing_id, close=True)
    await world.until(listing_id, "failed", "concluded")
    end = (await world.sql("SELECT feed_seq FROM transactions.listings WHERE id = :id", id=listing_id)).scalar()
    resumed = await asyncio.wait_for(_read(url, until=end, headers={"Last-Event-ID": str(feed_seq)}), 10)
    assert [int(e["id"]) for e in resumed[1:]] == list(range(feed_seq + 1, end + 1))
    kinds = [e["event"] for e in resumed[1:]]
    assert kinds[:2] == ["bid", "bid"] and kinds[-1] == "status"
    assert json.loads(resumed[-1]["data"])["state"] == "failed"  # 1,040,000 is below the reserve


async def test_feed_of_an_unknown_listing_is_404(world):
    r = await world.client.get("/api/v1/listings/00000000-0000-4000-8000-000000000000/feed")
    assert r.status_code == 404 and r.json()["code"] == "listing.not_found"
