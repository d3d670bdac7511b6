"""Checkpoint rows: insert-only, read by size, latest and in pages."""

from __future__ import annotations

from sqlalchemy import Row, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from audit.tables import LogTables

CHECKPOINT_EVENT = "audit.checkpoint.published.v1"


async def latest(*, session: AsyncSession, tables: LogTables) -> Row | None:
    """The largest checkpoint, or None before the first publication."""
    c = tables.checkpoints
    return (await session.execute(select(c).order_by(c.c.size.desc()).limit(1))).first()


async def by_size(*, session: AsyncSession, tables: LogTables, size: int) -> Row | None:
    """The checkpoint of exactly that tree size."""
    c = tables.checkpoints
    return (await session.execute(select(c).where(c.c.size == size))).first()


async def page(*, session: AsyncSession, tables: LogTables, after_size: int, limit: int) -> list[Row]:
    """Checkpoints with size > after_size, oldest first (keyset)."""
    c = tables.checkpoints
    stmt = select(c).where(c.c.size > after_size).order_by(c.c.size).limit(limit)
    return list((await session.execute(stmt)).all())


async def insert(
    *, session: AsyncSession, tables: LogTables, size: int, root_hash: bytes, note: str, published_by: str
) -> Row | None:
    """Store a checkpoint; None when that size was already published (a concurrent publisher won)."""
    c = tables.checkpoints
    stmt = (
        pg_insert(c)
        .values(size=size, root_hash=root_hash, note=note, published_by=published_by)
        .on_conflict_do_nothing(index_elements=[c.c.size])
        .returning(*c.c)
    )
    return (await session.execute(stmt)).first()


async def news_since(*, session: AsyncSession, tables: LogTables, size: int) -> int:
    """Entries at or after `size` other than checkpoint announcements (which must not re-trigger one)."""
    e = tables.entries
    stmt = select(func.count()).where(e.c.idx >= size, e.c.event_type != CHECKPOINT_EVENT)
    return int((await session.execute(stmt)).scalar_one())

