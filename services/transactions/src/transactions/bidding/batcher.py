"""Group commit for a hot listing: the bids that arrive while its previous batch is in the database go in together.

Every bid on a listing serialises on the listing row lock, and each transaction holds that lock
through its WAL flush. One place_bids() call per batch (migration 0010) decides each request in
arrival order as the checks of bidding.rules would one by one — each sees what the earlier ones
left, gets its own sequence number, price, deadline and refusal — writes the accepted ones with
one statement per table and commits once, so the lock hand-over, the flush and the per-statement
costs are paid once per batch. Nothing is answered before that commit.

There is no timer: a batch is whatever queued up while the one before it ran, so a lone bid goes
straight through (as a single place_bid() call) and a busy listing gets larger batches.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from prometheus_client import Histogram

log = logging.getLogger(__name__)
BATCH_SIZE = Histogram("transactions_bid_batch_size", "Bids admitted by one place_bid(s) call on one listing",
                       buckets=(1, 2, 4, 8, 16, 32, 64, 128))
BATCH_SECONDS = Histogram("transactions_bid_batch_seconds", "One place_bid(s) call on one listing, lock to commit",
                          buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0))

PLACE_BID = ("SELECT * FROM transactions.place_bid($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, "
             "$12, $13, $14, $15)")
PLACE_BIDS = ("SELECT * FROM transactions.place_bids($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb[], "
              "$11::jsonb[], $12, $13, $14, $15)")


@dataclass(frozen=True)
class BidRequest:
    """One request's arguments to place_bid(), besides the listing and the service-wide settings."""

    subject: str
    amount: Decimal
    amount_ok: bool
    key: str | None
    client_ip: str | None
    event: str
    alert: str
    event_id: UUID
    alert_id: UUID
    traceparent: str | None
    steps: int | None


@dataclass(frozen=True)
class Limits:
    """The service settings every call passes (the countdown, the late-bid window, the topic)."""

    countdown: timedelta
    late_window: timedelta
    topic: str


_Item = tuple[BidRequest, "asyncio.Future[asyncpg.Record]"]


class BidBatcher:
    """Per process: at most one place_bid(s) call in flight per listing; the rest queue for the next."""

    def __init__(self, pool: Callable[[], Awaitable[asyncpg.Pool]], limits: Limits, *, max_batch: int) -> None:
        self._pool = pool
        self._limits = limits
        self._max_batch = max(1, max_batch)
        self._queues: dict[str, list[_Item]] = {}
        self._draining: dict[str, asyncio.Task[None]] = {}

    async def submit(self, listing_id: str, request: BidRequest) -> asyncpg.Record:
        """The place_bid() row for this request, once its batch has committed."""
        future: asyncio.Future[asyncpg.Record] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(listing_id, []).append((request, future))
        if listing_id not in self._draining:
            self._draining[listing_id] = asyncio.create_task(self._drain(listing_id))
        # shield: a caller that goes away must not cancel a batch other callers are waiting for.
        return await asyncio.shield(future)

    async def _drain(self, listing_id: str) -> None:
        try:
            while queue := self._queues.get(listing_id):
                batch, rest = _take(queue, self._max_batch)
                if rest:
                    self._queues[listing_id] = rest
                else:
                    del self._queues[listing_id]
                await self._run(listing_id, batch)
        finally:
            del self._draining[listing_id]

    async def _run(self, listing_id: str, batch: list[_Item]) -> None:
        BATCH_SIZE.observe(len(batch))
        try:
            with BATCH_SECONDS.time():
                rows = await self.admit(listing_id, [r for r, _ in batch])
        except Exception as exc:  # noqa: BLE001 - handed to the waiting requests
            if len(batch) == 1:
                _settle(batch[0][1], exc=exc)
                return
            # One request's failure must not become its batch-mates' failure: retry them one by one.
            log.warning("bid batch of %d failed (%s); admitting its requests one by one", len(batch), exc)
            for item in batch:
                await self._run(listing_id, [item])
            return
        for (_, future), row in zip(batch, rows, strict=True):
            _settle(future, row=row)

    async def admit(self, listing_id: str, requests: Sequence[BidRequest]) -> list[asyncpg.Record]:
        """One place_bid(s) call for these requests, in this order; one row per request."""
        pool = await self._pool()
        lim = self._limits
        lid = UUID(listing_id)
        if len(requests) == 1:
            r = requests[0]
            row = await pool.fetchrow(PLACE_BID, lid, r.subject, r.amount, r.amount_ok, r.key, r.client_ip,
                                      lim.countdown, lim.late_window, lim.topic, r.event, r.alert, r.event_id,
                                      r.alert_id, r.traceparent, r.steps)
            return [row]
        columns: list[list[Any]] = [list(c) for c in zip(*(
            (r.subject, r.amount, r.amount_ok, r.key, r.client_ip, r.event, r.alert, r.event_id, r.alert_id,
             r.traceparent, r.steps) for r in requests), strict=True)]
        subjects, amounts, oks, keys, ips, events, alerts, event_ids, alert_ids, traces, steps = columns
        return await pool.fetch(PLACE_BIDS, lid, subjects, amounts, oks, keys, ips, lim.countdown, lim.late_window,
                                lim.topic, events, alerts, event_ids, alert_ids, traces, steps)


def _take(queue: list[_Item], limit: int) -> tuple[list[_Item], list[_Item]]:
    """The longest head of the queue (≤ limit) in which no bidder repeats an idempotency key.

    A retried key inside one batch would hit the unique index before the first copy commits; the
    second copy waits for the next batch, where it is answered as the replay it is.
    """
    seen: set[tuple[str, str]] = set()
    for i, (request, _) in enumerate(queue[:limit]):
        if request.key is not None:
            mark = (request.subject, request.key)
            if mark in seen:
                return queue[:i], queue[i:]
            seen.add(mark)
    return queue[:limit], queue[limit:]


def _settle(future: asyncio.Future[asyncpg.Record], *, row: asyncpg.Record | None = None,
            exc: BaseException | None = None) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(row)
