"""Auditor reads; each one records audit.query.performed.v1 in its own transaction (no read without a trace)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from audit.checkpoints import repository as checkpoints
from audit.checkpoints.schemas import CheckpointRead
from audit.entries import export
from audit.entries import repository as repo
from audit.entries.events import query_performed
from audit.entries.schemas import EntryDetail, EntryFilters, EntryPage, EntryRead
from audit.errors import CheckpointNotFound, EntryNotFound, EntryNotInCheckpoint
from audit.proofs import assemble
from audit.runtime import AuditRuntime
from natres_platform.auth import Principal


async def _checkpoint(session: AsyncSession, runtime: AuditRuntime, size: int | None) -> Row | None:
    """The named checkpoint (404 if never published) or the latest one (None before the first)."""
    if size is None:
        return await checkpoints.latest(session=session, tables=runtime.tables)
    row = await checkpoints.by_size(session=session, tables=runtime.tables, size=size)
    if row is None:
        raise CheckpointNotFound(f"没有大小为 {size} 的检查点", size=size)
    return row


async def list_entries(
    *,
    runtime: AuditRuntime,
    principal: Principal,
    filters: EntryFilters,
    after: int,
    limit: int,
    with_proofs: bool = False,
    checkpoint_size: int | None = None,
) -> EntryPage:
    """One keyset page of matching entries, optionally with inclusion proofs for the page."""
    t = runtime.tables
    async with runtime.ctx.uow() as uow:
        rows = await repo.find(session=uow.session, tables=t, filters=filters, after=after, limit=limit + 1)
        more, rows = len(rows) > limit, rows[:limit]
        checkpoint, proofs = None, {}
        if with_proofs:
            checkpoint = await _checkpoint(uow.session, runtime, checkpoint_size)
            if checkpoint is not None:
                proofs = await assemble.inclusion_many(
                    assemble.session_fetch(uow.session, t), indices=[r.idx for r in rows], size=checkpoint.size
                )
        logged = {**filters.logged(), "after": after, "limit": limit}
        uow.record(query_performed(principal=principal, query="entries.list", filters=logged, result_count=len(rows)))
        await uow.commit()
    return EntryPage(
        items=[EntryRead.from_row(r, proof=proofs.get(r.idx)) for r in rows],
        next_cursor=rows[-1].idx if more and rows else None,
        checkpoint=CheckpointRead.from_row(checkpoint, origin=runtime.origin) if checkpoint is not None else None,
    )


async def _lookup(
    *,
    runtime: AuditRuntime,
    principal: Principal,
    query: str,
    key: dict[str, Any],
    find: Callable[[AsyncSession], Awaitable[Row | None]],
    checkpoint_size: int | None,
) -> EntryDetail:
    t = runtime.tables
    async with runtime.ctx.uow() as uow:
        row = await find(uow.session)
        logged = {**key, **({"checkpoint_size": checkpoint_size} if checkpoint_size is not None else {})}
        # A miss is a query too: it is logged before the 404 goes out.
        uow.record(query_performed(principal=principal, query=query, filters=logged, result_count=int(row is not None)))
        if row is None:
            await uow.commit()
            raise EntryNotFound(f"审计日志中没有 {key}", **key)
        checkpoint = await _checkpoint(uow.session, runtime, checkpoint_size)
        proof = None
        if checkpoint is not None and row.idx < checkpoint.size:
            fetch = assemble.session_fetch(uow.session, t)
            _, proof = await assemble.inclusion_with_leaf(fetch, index=row.idx, size=checkpoint.size)
        elif checkpoint_size is not None:
            raise EntryNotInCheckpoint(
                f"条目 {row.idx} 不在大小为 {checkpoint_size} 的检查点中", index=row.idx, tree_size=checkpoint_size
            )
        await uow.commit()
    read = EntryRead.from_row(row, proof=proof)
    cp = CheckpointRead.from_row(checkpoint, origin=runtime.origin) if proof is not None else None
    return EntryDetail(**read.model_dump(), checkpoint=cp)


async def get_entry(
    *, runtime: AuditRuntime, principal: Principal, index: int, checkpoint_size: int | None = None
) -> EntryDetail:
    """The entry at `index` with its inclusion proof (latest or named checkpoint)."""
    return await _lookup(
        runtime=runtime,
        principal=principal,
        query="entries.get",
        key={"index": index},
        find=lambda s: repo.by_index(session=s, tables=runtime.tables, index=index),
        checkpoint_size=checkpoint_size,
    )


async def get_entry_by_event(
    *, runtime: AuditRuntime, principal: Principal, event_id: str, checkpoint_size: int | None = None
) -> EntryDetail:
    """The entry holding event `event_id`, with its inclusion proof."""
    return await _lookup(
        runtime=runtime,
        principal=principal,
        query="entries.by_event",
        key={"event_id": event_id},
        find=lambda s: repo.by_event_id(session=s, tables=runtime.tables, event_id=event_id),
        checkpoint_size=checkpoint_size,
    )


async def export_entries(
    *, runtime: AuditRuntime, principal: Principal, filters: EntryFilters, fmt: str
) -> AsyncIterator[bytes]:
    """Log the export first (committed before any byte leaves), then hand back the stream."""
    async with runtime.ctx.uow() as uow:
        logged = filters.logged()
        uow.record(query_performed(principal=principal, query="entries.export", filters=logged, result_count=None, fmt=fmt))
        await uow.commit()
    return export.stream(runtime=runtime, filters=filters, fmt=fmt)
