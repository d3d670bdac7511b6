"""Publishing checkpoints (periodic and on demand) and reading them back."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

from sqlalchemy import Row

from audit.checkpoints import repository as repo
from audit.errors import CheckpointNotFound, LogIntegrityError
from audit.log import Checkpoint, InMemoryNodeStore, MissingNodeError, root_hash, root_hash_ids, sign_checkpoint
from audit.nodes import fetch_nodes, read_state
from audit.runtime import SOURCE, AuditRuntime
from natres_platform.events import CloudEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Publication:
    """The checkpoint in force after a publish call, and whether this call created it."""

    checkpoint: Row
    created: bool


async def publish_checkpoint(*, runtime: AuditRuntime, actor: str, only_if_news: bool = False) -> Publication | None:
    """Sign the current tree head, store it and announce it through the outbox, all in one transaction.

    Nothing new is signed when the size has not moved; with `only_if_news` (the periodic worker)
    also not when the only new entries announce earlier checkpoints, or the log would never rest.
    Returns None only when the log is empty and nothing was ever published.
    """
    signer = await runtime.signer()
    t = runtime.tables
    async with runtime.ctx.uow() as uow:
        session = uow.session
        size, state_root = await read_state(session=session, tables=t)
        current = await repo.latest(session=session, tables=t)
        if current is not None and current.size >= size:
            return Publication(current, created=False)
        if only_if_news:
            if size == 0:
                return None
            if current is not None and not await repo.news_since(session=session, tables=t, size=current.size):
                return Publication(current, created=False)
        # Recompute the root from the stored nodes: a state row that disagrees is never signed.
        nodes = await fetch_nodes(session=session, tables=t, ids=root_hash_ids(size))
        try:
            root = root_hash(size, InMemoryNodeStore(nodes))
        except MissingNodeError as exc:
            raise LogIntegrityError(f"tree size {size}: {exc}") from exc
        if root != state_root:
            raise LogIntegrityError(f"root of size {size} recomputed from stored nodes differs from the log state")
        note = sign_checkpoint(Checkpoint(runtime.origin, size, root), signer)
        row = await repo.insert(session=session, tables=t, size=size, root_hash=root, note=note, published_by=actor)
        if row is None:
            await uow.rollback()
            async with runtime.ctx.sessionmaker() as fresh:
                return Publication(await repo.by_size(session=fresh, tables=t, size=size), created=False)
        uow.record(
            CloudEvent.create(
                source=SOURCE,
                type=repo.CHECKPOINT_EVENT,
                subject=runtime.origin,
                data={
                    "origin": runtime.origin,
                    "size": size,
                    "root_hash": base64.b64encode(root).decode(),
                    "checkpoint": note,
                },
                actor=actor,
            )
        )
        await uow.commit()
    log.info("checkpoint published", extra={"size": size})
    return Publication(row, created=True)


async def latest_checkpoint(*, runtime: AuditRuntime) -> Row:
    """The largest published checkpoint (404 before the first one)."""
    async with runtime.ctx.sessionmaker() as session:
        row = await repo.latest(session=session, tables=runtime.tables)
    if row is None:
        raise CheckpointNotFound("尚未发布任何检查点")
    return row


async def checkpoint_of_size(*, runtime: AuditRuntime, size: int) -> Row:
    """The checkpoint of exactly that size (404 if none was published at it)."""
    async with runtime.ctx.sessionmaker() as session:
        row = await repo.by_size(session=session, tables=runtime.tables, size=size)
    if row is None:
        raise CheckpointNotFound(f"没有大小为 {size} 的检查点", size=size)
    return row


async def list_checkpoints(*, runtime: AuditRuntime, after_size: int, limit: int) -> tuple[list[Row], int | None]:
    """One keyset page of checkpoints and the cursor of the next one."""
    async with runtime.ctx.sessionmaker() as session:
        rows = await repo.page(session=session, tables=runtime.tables, after_size=after_size, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].size if more and rows else None)
