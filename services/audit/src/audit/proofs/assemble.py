"""Proofs from stored full nodes, one batched fetch each (shared by the proof and entry APIs)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from audit.errors import LogIntegrityError
from audit.log import (
    InMemoryNodeStore,
    MissingNodeError,
    NodeId,
    consistency_proof,
    consistency_proof_ids,
    inclusion_proof,
    inclusion_proof_ids,
    inclusion_proofs,
    inclusion_proofs_ids,
)
from audit.nodes import fetch_nodes
from audit.tables import LogTables

Fetch = Callable[[Iterable[NodeId]], Awaitable[dict[NodeId, bytes]]]


def session_fetch(session: AsyncSession, tables: LogTables) -> Fetch:
    """Node fetches inside an open session (e.g. an auditor query's own transaction)."""
    return lambda ids: fetch_nodes(session=session, tables=tables, ids=ids)


async def inclusion_with_leaf(fetch: Fetch, *, index: int, size: int) -> tuple[bytes, list[bytes]]:
    """(leaf hash, audit path) of entry `index` in the tree of `size`, from one fetch."""
    nodes = await fetch([(0, index), *inclusion_proof_ids(index, size)])
    try:
        return nodes[(0, index)], inclusion_proof(index, size, InMemoryNodeStore(nodes))
    except (KeyError, MissingNodeError) as exc:
        raise LogIntegrityError(f"stored nodes missing for entry {index} at size {size}") from exc


async def inclusion_many(fetch: Fetch, *, indices: list[int], size: int) -> dict[int, list[bytes]]:
    """Audit paths for a page of entries against one size, from one fetch."""
    covered = [i for i in indices if i < size]
    if not covered:
        return {}
    nodes = await fetch(inclusion_proofs_ids(covered, size))
    try:
        return inclusion_proofs(covered, size, InMemoryNodeStore(nodes))
    except MissingNodeError as exc:
        raise LogIntegrityError(str(exc)) from exc


async def consistency(fetch: Fetch, *, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[new_size]) from one fetch."""
    nodes = await fetch(consistency_proof_ids(old_size, new_size))
    try:
        return consistency_proof(old_size, new_size, InMemoryNodeStore(nodes))
    except MissingNodeError as exc:
        raise LogIntegrityError(str(exc)) from exc
