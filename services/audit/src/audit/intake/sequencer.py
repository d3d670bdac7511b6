"""Append a batch of leaves in one transaction: lock, de-duplicate, entries, nodes, new tree size."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from audit.intake.admission import Leaf
from audit.log import InMemoryNodeStore, frontier_ids, leaf_hash, new_full_nodes, root_hash
from audit.nodes import fetch_nodes, insert_nodes, read_state
from audit.tables import LogTables
from natres_platform.messaging_tables import MessagingTables


@dataclass
class AppendResult:
    """What one batch did to the log."""

    size: int
    root: bytes
    appended: list[tuple[int, str]] = field(default_factory=list)  # (index, event id)
    duplicates: int = 0


async def _claim(*, session: AsyncSession, inbox: MessagingTables, leaves: list[Leaf]) -> set[str]:
    """Inbox rows for first-seen event ids; returns the ids that were new (the rest are redeliveries)."""
    rows = await session.execute(
        text(
            f'INSERT INTO {inbox.schema}.inbox (event_id, event_type, topic, "partition", "offset") '
            "SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:types AS text[]), CAST(:topics AS text[]), "
            "CAST(:parts AS integer[]), CAST(:offsets AS bigint[])) "
            "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
        ),
        {
            "ids": [leaf.event_id for leaf in leaves],
            "types": [leaf.event_type for leaf in leaves],
            "topics": [leaf.topic for leaf in leaves],
            "parts": [leaf.partition for leaf in leaves],
            "offsets": [leaf.offset for leaf in leaves],
        },
    )
    return {row[0] for row in rows}


async def _insert_entries(*, session: AsyncSession, tables: LogTables, first: int, leaves: list[Leaf]) -> None:
    await session.execute(
        text(
            f"INSERT INTO {tables.schema}.entries (idx, event_id, event_type, source, subject, actor, region, "
            'event_time, topic, "partition", "offset", canonical) '
            "SELECT * FROM unnest(CAST(:idx AS bigint[]), CAST(:ids AS text[]), CAST(:types AS text[]), "
            "CAST(:sources AS text[]), CAST(:subjects AS text[]), CAST(:actors AS text[]), CAST(:regions AS text[]), "
            "CAST(:times AS timestamptz[]), CAST(:topics AS text[]), CAST(:parts AS integer[]), "
            "CAST(:offsets AS bigint[]), CAST(:canonical AS bytea[]))"
        ),
        {
            "idx": list(range(first, first + len(leaves))),
            "ids": [leaf.event_id for leaf in leaves],
            "types": [leaf.event_type for leaf in leaves],
            "sources": [leaf.source for leaf in leaves],
            "subjects": [leaf.subject for leaf in leaves],
            "actors": [leaf.actor for leaf in leaves],
            "regions": [leaf.region for leaf in leaves],
            "times": [leaf.event_time for leaf in leaves],
            "topics": [leaf.topic for leaf in leaves],
            "parts": [leaf.partition for leaf in leaves],
            "offsets": [leaf.offset for leaf in leaves],
            "canonical": [leaf.canonical for leaf in leaves],
        },
    )


async def append_leaves(
    *, session: AsyncSession, tables: LogTables, inbox: MessagingTables, leaves: list[Leaf]
) -> AppendResult:
    """Append the leaves not seen before, in order, inside the caller's open transaction."""
    # The row lock makes this the only writer: indexes stay contiguous with several intakes running.
    size, root = await read_state(session=session, tables=tables, lock=True)
    unique: dict[str, Leaf] = {}
    for leaf in leaves:
        unique.setdefault(leaf.event_id, leaf)
    claimed = await _claim(session=session, inbox=inbox, leaves=list(unique.values())) if unique else set()
    new = [leaf for leaf in unique.values() if leaf.event_id in claimed]
    result = AppendResult(size=size, root=root, duplicates=len(leaves) - len(new))
    if not new:
        return result
    frontier = await fetch_nodes(session=session, tables=tables, ids=frontier_ids(size))
    nodes = new_full_nodes(size, [leaf_hash(leaf.canonical) for leaf in new], frontier)
    new_size = size + len(new)
    new_root = root_hash(new_size, InMemoryNodeStore({**frontier, **{(lv, i): h for lv, i, h in nodes}}))
    await _insert_entries(session=session, tables=tables, first=size, leaves=new)
    await insert_nodes(session=session, tables=tables, nodes=nodes)
    await session.execute(
        text(f"UPDATE {tables.schema}.log_state SET size = :size, root_hash = :root, updated_at = now() WHERE id = 1"),
        {"size": new_size, "root": new_root},
    )
    result.size, result.root = new_size, new_root
    result.appended = [(size + i, leaf.event_id) for i, leaf in enumerate(new)]
    return result
