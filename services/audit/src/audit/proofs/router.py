"""Proof endpoints: public, since they disclose hashes only (entry contents stay with auditors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from audit.dependencies import RuntimeDep
from audit.proofs import service
from audit.proofs.schemas import ConsistencyProofRead, InclusionProofRead

router = APIRouter(prefix="/api/v1/audit/proofs", tags=["proofs"])

TreeSize = Annotated[
    int | None, Query(ge=0, description="Tree size to prove against; default: the latest checkpoint")
]


@router.get("/inclusion", response_model=InclusionProofRead, summary="Inclusion proof of an entry by index (public)")
async def inclusion(
    runtime: RuntimeDep, index: Annotated[int, Query(ge=0)], size: TreeSize = None
) -> InclusionProofRead:
    """RFC 9162 audit path; verify it against the signed checkpoint of the same size."""
    return await service.inclusion_by_index(runtime=runtime, index=index, size=size)


@router.get(
    "/inclusion/by-event/{event_id}",
    response_model=InclusionProofRead,
    summary="Inclusion proof of the entry holding an event (public)",
)
async def inclusion_by_event(
    runtime: RuntimeDep, event_id: Annotated[str, Path(min_length=1, max_length=200)], size: TreeSize = None
) -> InclusionProofRead:
    """Lets a producer show that its event (whose bytes it knows) is in the log."""
    return await service.inclusion_by_event(runtime=runtime, event_id=event_id, size=size)


@router.get("/consistency", response_model=ConsistencyProofRead, summary="Consistency proof between two sizes (public)")
async def consistency(
    runtime: RuntimeDep,
    old_size: Annotated[int, Query(ge=0)],
    new_size: TreeSize = None,
) -> ConsistencyProofRead:
    """Shows the log of new_size only appended to the log of old_size."""
    return await service.consistency_between(runtime=runtime, old_size=old_size, new_size=new_size)
