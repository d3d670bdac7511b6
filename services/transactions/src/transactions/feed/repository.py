"""Feed items: appended inside the transaction that changes the listing, read by sequence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from transactions.events import jsonable
from transactions.feed.models import feed_items
from transactions.listings.models import listings


async def append(
    session: AsyncSession, *, listing_id: str, kind: str, data: Mapping[str, Any], now: datetime
) -> int:
    """Give the item the listing's next feed sequence number; the caller holds the listing row lock."""
    seq = await session.scalar(
        update(listings).where(listings.c.id == listing_id).values(feed_seq=listings.c.feed_seq + 1)
        .returning(listings.c.feed_seq)
    )
    await session.execute(
        feed_items.insert().values(
            listing_id=listing_id, seq=seq, kind=kind, data={"type": kind, **jsonable(dict(data))}, created_at=now
        )
    )
    return int(seq)


async def read_after(session: AsyncSession, *, listing_id: str, after: int, limit: int = 500) -> Sequence[Row]:
    """Items with a sequence above `after`, oldest first."""
    return (
        await session.execute(
            select(feed_items.c.seq, feed_items.c.kind, feed_items.c.data)
            .where(feed_items.c.listing_id == listing_id, feed_items.c.seq > after)
            .order_by(feed_items.c.seq)
            .limit(limit)
        )
    ).all()
