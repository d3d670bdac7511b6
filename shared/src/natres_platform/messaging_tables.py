"""Outbox, inbox and parked-event tables, one set per service schema."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.dialects.postgresql import JSONB, UUID


def outbox_table(metadata: MetaData, schema: str) -> Table:
    """Events written in the domain transaction, published later by the relay."""
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", UUID(as_uuid=False), nullable=False, unique=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("event_type", Text, nullable=False),
        Column("payload", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text),
        # The relay scans only unsent rows: keep that index tiny.
        Index(f"ix_{schema}_outbox_unsent", "id", postgresql_where=text("published_at IS NULL")),
        schema=schema,
    )


def inbox_table(metadata: MetaData, schema: str) -> Table:
    """Ids of events whose effect is committed: the consumer's idempotency key."""
    return Table(
        "inbox",
        metadata,
        Column("event_id", Text, primary_key=True),
        Column("event_type", Text, nullable=False),
        Column("topic", Text, nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        schema=schema,
    )


def parked_table(metadata: MetaData, schema: str, *, replay: bool = True) -> Table:
    """Messages a consumer could not admit, kept verbatim with the reason (never dropped).

    `replay=False` is the v1 shape, without the replay columns (natres_platform.parked).
    """
    replay_columns = [
        # Set when a replay admitted the message (resolution 'applied' or 'duplicate'); the row stays.
        Column("resolved_at", DateTime(timezone=True)),
        Column("resolution", Text),
        # Every replay attempt, oldest first: when, by whom, the outcome and the reason it replaced.
        Column("replays", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    ] if replay else []
    return Table(
        "parked_events",
        metadata,
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("topic", Text, nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("key", Text),
        Column("event_id", Text),
        Column("event_type", Text),
        Column("raw", LargeBinary, nullable=False),
        Column("reason_code", Text, nullable=False),
        Column("reason", Text, nullable=False),
        Column("parked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        *replay_columns,
        Index(f"uq_{schema}_parked_position", "topic", "partition", "offset", unique=True),
        schema=schema,
    )


class MessagingTables:
    """The three tables bound to one schema's metadata (`parked_replay=False`: the v1 parked table)."""

    def __init__(self, schema: str, metadata: MetaData | None = None, *, parked_replay: bool = True) -> None:
        self.schema = schema
        self.metadata = metadata or MetaData()
        self.outbox = outbox_table(self.metadata, schema)
        self.inbox = inbox_table(self.metadata, schema)
        self.parked = parked_table(self.metadata, schema, replay=parked_replay)


async def outbox_backlog(session: AsyncSession, tables: MessagingTables) -> tuple[int, int, datetime | None]:
    """(pending, published, oldest pending created_at) of a service's outbox."""
    o = tables.outbox
    row = (
        await session.execute(
            select(
                func.count().filter(o.c.published_at.is_(None)),
                func.count().filter(o.c.published_at.is_not(None)),
                func.min(o.c.created_at).filter(o.c.published_at.is_(None)),
            )
        )
    ).one()
    return row[0], row[1], row[2]


async def list_parked(
    session: AsyncSession, tables: MessagingTables, *, after_id: int, limit: int, resolved: bool | None = None
) -> list[dict]:
    """Parked messages after a keyset cursor, oldest first; `resolved` False = still parked, True = replayed."""
    p = tables.parked
    query = select(p).where(p.c.id > after_id)
    if resolved is not None:
        query = query.where(p.c.resolved_at.is_not(None) if resolved else p.c.resolved_at.is_(None))
    rows = (await session.execute(query.order_by(p.c.id).limit(limit))).mappings().all()
    return [dict(r) for r in rows]
