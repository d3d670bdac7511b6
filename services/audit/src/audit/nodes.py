"""The full-node store in PostgreSQL: one batched fetch per proof, bulk inserts per append."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from audit.log import NodeId
from audit.tables import LogTables


async def fetch_nodes(*, session: AsyncSession, tables: LogTables, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
    """Hashes of the stored nodes among ids, in one query (absent ids are left out)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    # unnest keeps the SQL text constant (one prepared statement) whatever the number of ids.
    rows = await session.execute(
        text(
            f"SELECT n.level, n.idx, n.hash FROM {tables.schema}.merkle_nodes n "
            "JOIN unnest(CAST(:levels AS smallint[]), CAST(:idxs AS bigint[])) AS w(level, idx) "
            "ON n.level = w.level AND n.idx = w.idx"
        ),
        {"levels": [level for level, _ in wanted], "idxs": [idx for _, idx in wanted]},
    )
    return {(level, idx): bytes(digest) for level, idx, digest in rows}


async def insert_nodes(
    *, session: AsyncSession, tables: LogTables, nodes: Sequence[tuple[int, int, bytes]]
) -> None:
    """Insert newly completed nodes (never existing ones: the sequencer holds the log lock)."""
    if not nodes:
        return
    await session.execute(
        text(
            f"INSERT INTO {tables.schema}.merkle_nodes (level, idx, hash) "
            "SELECT * FROM unnest(CAST(:levels AS smallint[]), CAST(:idxs AS bigint[]), CAST(:hashes AS bytea[]))"
        ),
        {"levels": [n[0] for n in nodes], "idxs": [n[1] for n in nodes], "hashes": [n[2] for n in nodes]},
    )


async def read_state(*, session: AsyncSession, tables: LogTables, lock: bool = False) -> tuple[int, bytes]:
    """(size, root) of the log; `lock` makes this transaction the only writer until it ends."""
    sql = f"SELECT size, root_hash FROM {tables.schema}.log_state WHERE id = 1"
    row = (await session.execute(text(sql + (" FOR UPDATE" if lock else "")))).one()
    return int(row.size), bytes(row.root_hash)
