"""Entry queries; every read joins the leaf hash (level-0 node) the tree actually holds."""

from __future__ import annotations

from sqlalchemy import Row, Select, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from audit.entries.schemas import EntryFilters
from audit.tables import LogTables


def _select(tables: LogTables) -> Select:
    e, n = tables.entries, tables.nodes
    return select(e, n.c.hash.label("leaf_hash")).join(n, and_(n.c.level == 0, n.c.idx == e.c.idx))


def filtered(tables: LogTables, filters: EntryFilters, *, after: int = -1) -> Select:
    """Entries matching the filters with index > after, in log order."""
    e = tables.entries
    conditions = [e.c.idx > after]
    for column, value in (
        (e.c.subject, filters.subject),
        (e.c.actor, filters.actor),
        (e.c.event_type, filters.type),
        (e.c.region, filters.region),
    ):
        if value is not None:
            conditions.append(column == value)
    if filters.since is not None:
        conditions.append(e.c.event_time >= filters.since)
    if filters.until is not None:
        conditions.append(e.c.event_time < filters.until)
    if filters.before is not None:
        conditions.append(e.c.idx < filters.before)
    return _select(tables).where(*conditions).order_by(e.c.idx)


async def find(
    *, session: AsyncSession, tables: LogTables, filters: EntryFilters, after: int, limit: int
) -> list[Row]:
    """Up to `limit` matching entries after the cursor."""
    return list((await session.execute(filtered(tables, filters, after=after).limit(limit))).all())


async def by_index(*, session: AsyncSession, tables: LogTables, index: int) -> Row | None:
    """The entry at that index."""
    return (await session.execute(_select(tables).where(tables.entries.c.idx == index))).first()


async def by_event_id(*, session: AsyncSession, tables: LogTables, event_id: str) -> Row | None:
    """The entry holding that event."""
    return (await session.execute(_select(tables).where(tables.entries.c.event_id == event_id))).first()
