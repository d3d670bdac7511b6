"""The live feed: Server-Sent Events per listing; Last-Event-ID resumes with no gap and no duplicate."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from natres_platform.events import rfc3339, utc_now

from transactions.dependencies import TradingDep
from transactions.feed.repository import read_after
from transactions.listings.dependencies import ListingId
from transactions.listings.service import load as load_listing
from transactions.trading import Trading

router = APIRouter(prefix="/api/v1/listings", tags=["feed 实时行情"])


@router.get("/{listing_id}/feed", summary="Live feed (SSE): bids, countdown, status")
async def live_feed(
    listing_id: ListingId,
    request: Request,
    trading: TradingDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    after: Annotated[int | None, Query(ge=0, description="resume after this feed sequence")] = None,
) -> EventSourceResponse:
    """Event id = the listing's feed sequence; a first `snapshot` event (no id) gives the state now."""
    lid = str(listing_id)
    async with trading.uow() as uow:
        listing = await load_listing(uow, listing_id=lid)
    start = _resume_point(last_event_id, after)
    snapshot = {"type": "snapshot", "state": listing.state, "current_price": _price(listing),
                "last_seq": listing.last_seq, "feed_seq": listing.feed_seq, "opens_at": _t(listing.opens_at),
                "closes_at": _t(listing.closes_at), "server_time": rfc3339(utc_now())}
    return EventSourceResponse(
        _events(trading=trading, request=request, listing_id=lid, start=start, snapshot=snapshot),
        ping=trading.settings.feed_heartbeat_seconds,
    )


async def _events(
    *, trading: Trading, request: Request, listing_id: str, start: int, snapshot: dict
) -> AsyncIterator[ServerSentEvent]:
    yield ServerSentEvent(data=json.dumps(snapshot, ensure_ascii=False), event="snapshot")
    last = start
    # Short polling by sequence: items commit with the listing row lock held, so sequence order
    # is commit order and reading "seq > last" never skips one that commits later.
    while not await request.is_disconnected():
        async with trading.ctx.sessionmaker() as session:
            items = await read_after(session, listing_id=listing_id, after=last)
        for item in items:
            yield ServerSentEvent(data=json.dumps(item.data, ensure_ascii=False), event=item.kind, id=str(item.seq))
            last = item.seq
        if not items:
            await asyncio.sleep(trading.settings.feed_poll_seconds)


def _resume_point(last_event_id: str | None, after: int | None) -> int:
    if last_event_id and last_event_id.strip().isdigit():
        return int(last_event_id.strip())
    return after or 0


def _price(listing) -> str | None:
    if listing.method == "tender" or listing.current_price is None:
        return None
    return f"{listing.current_price:.2f}"


def _t(moment) -> str | None:
    return rfc3339(moment) if moment else None
