"""Alert reads for supervisors."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from transactions.supervision.models import alerts


async def page(session: AsyncSession, *, listing_id: str | None, after_id: int, limit: int) -> Sequence[Row]:
    """Alerts in raising order (keyset on id), optionally for one listing."""
    stmt = select(alerts).where(alerts.c.id > after_id).order_by(alerts.c.id).limit(limit)
    if listing_id is not None:
        stmt = stmt.where(alerts.c.listing_id == listing_id)
    return (await session.execute(stmt)).all()
