"""The batcher's own logic (the database side is covered by the stack tests): order, keys, failures."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from transactions.bidding.batcher import BidBatcher, BidRequest, Limits, _take


def _request(subject: str, key: str | None = None) -> BidRequest:
    return BidRequest(subject=subject, amount=Decimal("1.00"), amount_ok=True, key=key, client_ip=None, event="{}",
                      alert="{}", event_id=uuid.uuid4(), alert_id=uuid.uuid4(), traceparent=None, steps=1)


def test_a_batch_stops_before_a_repeated_key_of_the_same_bidder():
    queue = [(_request("a", "k1"), None), (_request("b", "k1"), None), (_request("a", "k2"), None),
             (_request("a", "k1"), None), (_request("c"), None)]
    batch, rest = _take(queue, 64)
    assert [r.subject for r, _ in batch] == ["a", "b", "a"] and [r.subject for r, _ in rest] == ["a", "c"]
    batch, rest = _take(queue[:3], 2)
    assert len(batch) == 2 and len(rest) == 1


class _Pool:
    """Records the calls; fails a whole batch, and a single call for the subject 'bad'."""

    def __init__(self, gate: asyncio.Event) -> None:
        self.calls: list[list[str]] = []
        self.gate = gate

    async def fetchrow(self, sql, lid, subject, *rest):
        self.calls.append([subject])
        await self.gate.wait()
        if subject == "bad":
            raise RuntimeError("boom")
        return {"subject": subject}

    async def fetch(self, sql, lid, subjects, *rest):
        self.calls.append(list(subjects))
        if "bad" in subjects:
            raise RuntimeError("boom")
        return [{"subject": s} for s in subjects]


def _batcher(pool: _Pool) -> BidBatcher:
    async def get_pool():
        return pool

    return BidBatcher(get_pool, Limits(timedelta(seconds=240), timedelta(seconds=30), "t"), max_batch=64)


async def test_requests_that_arrive_together_share_a_call_and_a_failure_stays_its_own():
    gate = asyncio.Event()
    pool = _Pool(gate)
    batcher = _batcher(pool)
    lid = str(uuid.uuid4())
    first = asyncio.create_task(batcher.submit(lid, _request("a")))
    await asyncio.sleep(0)  # the first request goes alone: nothing else is waiting yet
    rest = [asyncio.create_task(batcher.submit(lid, _request(s))) for s in ("b", "bad", "c")]
    await asyncio.sleep(0)
    gate.set()
    assert (await first)["subject"] == "a"
    results = await asyncio.gather(*rest, return_exceptions=True)
    assert [r["subject"] if isinstance(r, dict) else "error" for r in results] == ["b", "error", "c"]
    # a alone; b, bad, c together (failed); then each on its own, in order
    assert pool.calls == [["a"], ["b", "bad", "c"], ["b"], ["bad"], ["c"]]


async def test_a_caller_that_goes_away_does_not_cancel_its_batch():
    gate = asyncio.Event()
    pool = _Pool(gate)
    batcher = _batcher(pool)
    lid = str(uuid.uuid4())
    leaver = asyncio.create_task(batcher.submit(lid, _request("a")))
    await asyncio.sleep(0)
    leaver.cancel()
    stayer = asyncio.create_task(batcher.submit(lid, _request("b")))
    await asyncio.sleep(0)
    gate.set()
    with pytest.raises(asyncio.CancelledError):
        await leaver
    assert (await stayer)["subject"] == "b"
    assert pool.calls == [["a"], ["b"]]
