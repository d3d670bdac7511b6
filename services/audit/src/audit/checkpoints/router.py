"""Checkpoints and the public key: public, so anyone can verify; publishing on demand needs an auditor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import PlainTextResponse

from audit.checkpoints import service
from audit.checkpoints.schemas import CheckpointPage, CheckpointRead, PublicKeyRead
from audit.dependencies import RuntimeDep
from natres_platform.security import Auditor

router = APIRouter(prefix="/api/v1/audit", tags=["checkpoints"])


@router.get("/log/key", response_model=PublicKeyRead, summary="The log's origin and verifier key (public)")
async def public_key(runtime: RuntimeDep) -> PublicKeyRead:
    """The vkey that checks every checkpoint signature."""
    verifier = (await runtime.signer()).verifier
    return PublicKeyRead(origin=runtime.origin, key_name=verifier.name, vkey=verifier.vkey)


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    summary="Latest checkpoint as a signed note (text/plain, C2SP; public)",
    responses={200: {"content": {"text/plain": {}}}},
)
async def latest_note(runtime: RuntimeDep) -> PlainTextResponse:
    """The note exactly as signed, for standard transparency-log tooling."""
    row = await service.latest_checkpoint(runtime=runtime)
    return PlainTextResponse(row.note, headers={"Cache-Control": "no-cache"})


@router.get("/checkpoints/latest", response_model=CheckpointRead, summary="Latest checkpoint (public)")
async def latest(runtime: RuntimeDep) -> CheckpointRead:
    """The largest published checkpoint."""
    return CheckpointRead.from_row(await service.latest_checkpoint(runtime=runtime), origin=runtime.origin)


@router.get("/checkpoints", response_model=CheckpointPage, summary="Checkpoints, oldest first (public, keyset)")
async def list_checkpoints(
    runtime: RuntimeDep,
    after_size: Annotated[int, Query(ge=-1, description="Cursor: the last size of the previous page")] = -1,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CheckpointPage:
    """Every published checkpoint, paged by size."""
    rows, cursor = await service.list_checkpoints(runtime=runtime, after_size=after_size, limit=limit)
    return CheckpointPage(items=[CheckpointRead.from_row(r, origin=runtime.origin) for r in rows], next_cursor=cursor)


@router.get("/checkpoints/{size}", response_model=CheckpointRead, summary="The checkpoint of a tree size (public)")
async def checkpoint(runtime: RuntimeDep, size: int) -> CheckpointRead:
    """One checkpoint by its size."""
    return CheckpointRead.from_row(await service.checkpoint_of_size(runtime=runtime, size=size), origin=runtime.origin)


@router.post(
    "/checkpoints",
    response_model=CheckpointRead,
    status_code=status.HTTP_201_CREATED,
    summary="Publish a checkpoint now (auditor, admin)",
    responses={200: {"model": CheckpointRead, "description": "The log has not grown: the current checkpoint"}},
)
async def publish(runtime: RuntimeDep, principal: Auditor, response: Response) -> CheckpointRead:
    """Sign the current tree head; 201 if new, 200 with the current one if the size has not moved."""
    publication = await service.publish_checkpoint(runtime=runtime, actor=principal.subject)
    assert publication is not None  # on demand always yields a checkpoint, even of the empty log
    if not publication.created:
        response.status_code = status.HTTP_200_OK
    return CheckpointRead.from_row(publication.checkpoint, origin=runtime.origin)
