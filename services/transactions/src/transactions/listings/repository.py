"""Listing rows: load (optionally locked), insert, update, revisions, the scheduler's due queue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from transactions.listings.models import LIGHT_COLUMNS, listing_revisions, listings


async def get(session: AsyncSession, *, listing_id: str, lock: bool = False) -> Row | None:
    """One listing without its PDF; `lock` takes the row lock every state change serialises on."""
    stmt = select(*LIGHT_COLUMNS).where(listings.c.id == listing_id)
    if lock:
        stmt = stmt.with_for_update(of=listings)
    return (await session.execute(stmt)).first()


async def insert(session: AsyncSession, *, values: Mapping[str, Any]) -> Row:
    """Insert a new listing and return it."""
    return (await session.execute(listings.insert().values(**values).returning(*LIGHT_COLUMNS))).one()


async def update_row(session: AsyncSession, *, listing_id: str, values: Mapping[str, Any]) -> Row:
    """Update a (locked) listing and return the new row."""
    return (
        await session.execute(
            update(listings).where(listings.c.id == listing_id).values(**values).returning(*LIGHT_COLUMNS)
        )
    ).one()


async def insert_revision(
    session: AsyncSession, *, listing_id: str, revision: int, terms: Mapping[str, Any], reason: str, actor: str,
    now: datetime,
) -> None:
    """Keep one version of the terms (never updated)."""
    await session.execute(
        listing_revisions.insert().values(
            listing_id=listing_id, revision=revision, terms=dict(terms), reason=reason, changed_by=actor,
            changed_at=now,
        )
    )


async def revisions(session: AsyncSession, *, listing_id: str) -> Sequence[Row]:
    """Every kept version of the terms, oldest first."""
    return (
        await session.execute(
            select(listing_revisions).where(listing_revisions.c.listing_id == listing_id)
            .order_by(listing_revisions.c.revision)
        )
    ).all()


async def page(
    session: AsyncSession, *, states: Sequence[str] | None, limit: int, before: datetime | None
) -> Sequence[Row]:
    """Newest listings first (keyset on created_at), optionally by state."""
    stmt = select(*LIGHT_COLUMNS).order_by(listings.c.created_at.desc()).limit(limit)
    if states:
        stmt = stmt.where(listings.c.state.in_(states))
    if before is not None:
        stmt = stmt.where(listings.c.created_at < before)
    return (await session.execute(stmt)).all()


async def claim_due(session: AsyncSession, *, now: datetime) -> Row | None:
    """The most overdue listing nobody else holds (a bid in progress holds it: skip, come back)."""
    stmt = (
        select(*LIGHT_COLUMNS)
        .where(listings.c.next_action_at <= now)
        .order_by(listings.c.next_action_at)
        .limit(1)
        .with_for_update(of=listings, skip_locked=True)
    )
    return (await session.execute(stmt)).first()


async def deal_confirmation(session: AsyncSession, *, listing_id: str) -> Row | None:
    """The stored 成交确认书 PDF with its number and digest."""
    return (
        await session.execute(
            select(listings.c.deal_confirmation_no, listings.c.deal_confirmation_pdf,
                   listings.c.deal_confirmation_sha256, listings.c.winner_registration_id, listings.c.county_code)
            .where(listings.c.id == listing_id)
        )
    ).first()
