"""The blacklist: a winner who defaulted may not register for new listings (by account and by enterprise)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def add(session: AsyncSession, *, registration: Any, listing_id: str, reason: str, now: datetime,
              until: datetime | None) -> bool:
    """List the registration's bidder; False when this registration was listed already."""
    listed = await session.scalar(text(
        "INSERT INTO transactions.blacklist (bidder_subject, org_code, bidder_name, reason, listing_id, "
        "registration_id, listed_at, until) VALUES (:s, :o, :n, :r, :l, :reg, :now, :until) "
        "ON CONFLICT (registration_id) DO NOTHING RETURNING id"),
        {"s": registration.bidder_subject, "o": registration.org_code, "n": registration.bidder_name, "r": reason,
         "l": listing_id, "reg": registration.id, "now": now, "until": until})
    return listed is not None


async def active(session: AsyncSession, *, subject: str, org_code: str | None, now: datetime) -> Any:
    """The entry that bars this bidder now (its account or its enterprise), or None."""
    return (await session.execute(text(
        "SELECT listing_id::text, reason, listed_at, until FROM transactions.blacklist "
        "WHERE (bidder_subject = :s OR (CAST(:o AS text) IS NOT NULL AND org_code = :o)) "
        "AND (until IS NULL OR until > :now) ORDER BY listed_at DESC LIMIT 1"),
        {"s": subject, "o": org_code, "now": now})).first()
