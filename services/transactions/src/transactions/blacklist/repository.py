"""Blacklist rows: list a defaulter, the entry barring a bidder now, the administrators' list, lifting."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, not_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from transactions.blacklist.models import blacklist
from transactions.listings.models import listings

b = blacklist
# Every entry column plus the county of the listing it came from (what scopes a trading administrator).
_WITH_COUNTY = select(b, listings.c.county_code).join(listings, listings.c.id == b.c.listing_id)


def _in_force(now: datetime) -> Any:
    return and_(b.c.lifted_at.is_(None), or_(b.c.until.is_(None), b.c.until > now))


async def add(session: AsyncSession, *, registration: Any, listing_id: str, reason: str, now: datetime,
              until: datetime | None) -> int | None:
    """List the registration's bidder; the new entry's id, or None when this registration was listed already."""
    return await session.scalar(
        pg_insert(b).values(bidder_subject=registration.bidder_subject, org_code=registration.org_code,
                            bidder_name=registration.bidder_name, reason=reason, listing_id=listing_id,
                            registration_id=registration.id, listed_at=now, until=until)
        .on_conflict_do_nothing(index_elements=[b.c.registration_id])
        .returning(b.c.id)
    )


async def active(session: AsyncSession, *, subject: str, org_code: str | None, now: datetime) -> Row | None:
    """The entry that bars this bidder now (its account or its enterprise), or None."""
    who = b.c.bidder_subject == subject
    if org_code is not None:
        who = or_(who, b.c.org_code == org_code)
    return (await session.execute(
        select(b.c.id, b.c.listing_id, b.c.reason, b.c.listed_at, b.c.until)
        .where(who, _in_force(now)).order_by(b.c.listed_at.desc()).limit(1)
    )).first()


async def get(session: AsyncSession, *, entry_id: int, lock: bool = False) -> Row | None:
    """One entry with its listing's county; `lock` serialises concurrent liftings."""
    stmt = _WITH_COUNTY.where(b.c.id == entry_id)
    if lock:
        stmt = stmt.with_for_update(of=b)
    return (await session.execute(stmt)).first()


async def page(
    session: AsyncSession, *, now: datetime, county_prefix: str, active: bool | None, subject: str | None,
    org_code: str | None, listing_id: str | None, after_id: int, limit: int,
) -> Sequence[Row]:
    """Entries in listing order (keyset on id) from listings whose county starts with `county_prefix`."""
    stmt = _WITH_COUNTY.where(b.c.id > after_id).order_by(b.c.id).limit(limit)
    if county_prefix:
        stmt = stmt.where(listings.c.county_code.startswith(county_prefix, autoescape=True))
    if active is not None:
        stmt = stmt.where(_in_force(now) if active else not_(_in_force(now)))
    if subject is not None:
        stmt = stmt.where(b.c.bidder_subject == subject)
    if org_code is not None:
        stmt = stmt.where(b.c.org_code == org_code)
    if listing_id is not None:
        stmt = stmt.where(b.c.listing_id == listing_id)
    return (await session.execute(stmt)).all()


async def lift(session: AsyncSession, *, entry_id: int, actor: str, reason: str, document_ref: str | None,
               now: datetime) -> None:
    """Record the lifting on a (locked) entry that is not lifted yet."""
    await session.execute(
        update(b).where(b.c.id == entry_id, b.c.lifted_at.is_(None))
        .values(lifted_at=now, lifted_by=actor, lift_reason=reason, lift_document_ref=document_ref)
    )
