"""Registration rows and the bank nonce store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from transactions.bidders.models import bank_nonces, registrations

r = registrations


async def insert(session: AsyncSession, *, values: Mapping[str, Any]) -> Row:
    """A new registration."""
    return (await session.execute(r.insert().values(**values).returning(r))).one()


async def get(session: AsyncSession, *, registration_id: str, lock: bool = False) -> Row | None:
    """One registration by id."""
    stmt = select(r).where(r.c.id == registration_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).first()


async def get_for_bidder(session: AsyncSession, *, listing_id: str, subject: str) -> Row | None:
    """The caller's registration on a listing."""
    return (
        await session.execute(select(r).where(r.c.listing_id == listing_id, r.c.bidder_subject == subject))
    ).first()


async def for_listing(session: AsyncSession, *, listing_id: str) -> Sequence[Row]:
    """Every registration of a listing, in registration order."""
    return (await session.execute(select(r).where(r.c.listing_id == listing_id).order_by(r.c.created_at))).all()


async def update_row(session: AsyncSession, *, registration_id: str, values: Mapping[str, Any]) -> Row:
    """Update and return a registration."""
    return (await session.execute(update(r).where(r.c.id == registration_id).values(**values).returning(r))).one()


async def taken_numbers(session: AsyncSession, *, listing_id: str) -> set[str]:
    """Bidder numbers already given out in a listing."""
    rows = await session.scalars(
        select(r.c.bidder_number).where(r.c.listing_id == listing_id, r.c.bidder_number.is_not(None))
    )
    return set(rows)


async def qualified_count(session: AsyncSession, *, listing_id: str) -> int:
    """How many bidders passed qualification."""
    rows = await session.scalars(select(r.c.id).where(r.c.listing_id == listing_id, r.c.status == "qualified"))
    return len(list(rows))


async def claim_nonce(session: AsyncSession, *, nonce: str, now: datetime) -> bool:
    """Record a bank nonce; False when it was already used (a replay)."""
    claimed = await session.execute(
        pg_insert(bank_nonces).values(nonce=nonce, received_at=now).on_conflict_do_nothing()
        .returning(bank_nonces.c.nonce)
    )
    return claimed.first() is not None


async def forget_nonces_before(session: AsyncSession, *, before: datetime) -> int:
    """Drop nonces older than twice the allowed skew: their timestamps are refused anyway."""
    result = await session.execute(delete(bank_nonces).where(bank_nonces.c.received_at < before))
    return result.rowcount or 0
