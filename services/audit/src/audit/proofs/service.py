"""Public proofs against the latest or a given tree size (the hot path: see proofs/reader.py)."""

from __future__ import annotations

import base64

from audit.errors import CheckpointNotFound, EntryNotFound, EntryNotInCheckpoint, TreeSizeOutOfRange
from audit.proofs import assemble
from audit.proofs.reader import Head, ProofReader, proof_reader
from audit.proofs.schemas import ConsistencyProofRead, InclusionProofRead
from audit.runtime import AuditRuntime


def b64(digest: bytes) -> str:
    """Standard base64, as in checkpoints."""
    return base64.b64encode(digest).decode()


def _tree_size(head: Head, size: int | None) -> int:
    """The size asked for, or the latest checkpoint's; never beyond what the log holds."""
    if size is None:
        if head.size is None:
            raise CheckpointNotFound("尚未发布任何检查点")
        return head.size
    if size > head.log_size:
        raise TreeSizeOutOfRange(f"日志当前只有 {head.log_size} 条, 不能针对大小 {size} 出具证明", log_size=head.log_size)
    return size


async def _inclusion(reader: ProofReader, *, index: int, size: int | None) -> InclusionProofRead:
    head = await reader.head(size)
    size = _tree_size(head, size)
    if index >= size:
        raise EntryNotInCheckpoint(f"条目 {index} 不在大小为 {size} 的树中", index=index, tree_size=size)
    leaf, proof = await assemble.inclusion_with_leaf(reader.nodes, index=index, size=size)
    return InclusionProofRead(
        index=index, tree_size=size, leaf_hash=b64(leaf), proof=[b64(p) for p in proof], checkpoint=head.note
    )


async def inclusion_by_index(*, runtime: AuditRuntime, index: int, size: int | None) -> InclusionProofRead:
    """Audit path of entry `index` (default: against the latest checkpoint)."""
    async with proof_reader(runtime) as reader:
        return await _inclusion(reader, index=index, size=size)


async def inclusion_by_event(*, runtime: AuditRuntime, event_id: str, size: int | None) -> InclusionProofRead:
    """Audit path of the entry holding that event (what certificate verification shows)."""
    async with proof_reader(runtime) as reader:
        index = await reader.index_of(event_id)
        if index is None:
            raise EntryNotFound(f"事件 {event_id} 尚未记入审计日志", event_id=event_id)
        read = await _inclusion(reader, index=index, size=size)
    return read.model_copy(update={"event_id": event_id})


async def consistency_between(*, runtime: AuditRuntime, old_size: int, new_size: int | None) -> ConsistencyProofRead:
    """Proof that the log of new_size (default: latest checkpoint) extends the log of old_size."""
    async with proof_reader(runtime) as reader:
        new_size = _tree_size(await reader.head(new_size), new_size)
        if old_size > new_size:
            raise TreeSizeOutOfRange(f"old_size {old_size} 大于 new_size {new_size}")
        proof = await assemble.consistency(reader.nodes, old_size=old_size, new_size=new_size)
    return ConsistencyProofRead(old_size=old_size, new_size=new_size, proof=[b64(p) for p in proof])
