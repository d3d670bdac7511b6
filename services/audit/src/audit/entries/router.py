"""Auditor endpoints (role auditor or admin): queries, single entries with proofs, exports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from audit.dependencies import RuntimeDep
from audit.entries import service
from audit.entries.export import MEDIA_TYPES
from audit.entries.schemas import EntryDetail, EntryFilters, EntryPage
from natres_platform.security import Auditor

router = APIRouter(prefix="/api/v1/audit", tags=["entries"])

Filters = Annotated[EntryFilters, Query()]
CheckpointSize = Annotated[
    int | None, Query(ge=0, description="Prove against this published checkpoint; default: the latest")
]


@router.get("/entries", response_model=EntryPage, summary="Query entries (auditor; keyset by index)")
async def list_entries(
    runtime: RuntimeDep,
    principal: Auditor,
    filters: Filters,
    after: Annotated[int, Query(ge=-1, description="Cursor: the last index of the previous page")] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    with_proofs: Annotated[bool, Query(description="Add each entry's inclusion proof")] = False,
    checkpoint_size: CheckpointSize = None,
) -> EntryPage:
    """Filter by aggregate, actor, type, region and event time; the query itself is logged."""
    return await service.list_entries(
        runtime=runtime,
        principal=principal,
        filters=filters,
        after=after,
        limit=limit,
        with_proofs=with_proofs,
        checkpoint_size=checkpoint_size,
    )


def _export(fmt: str):  # noqa: ANN202 - builds one route per format
    async def export(runtime: RuntimeDep, principal: Auditor, filters: Filters) -> StreamingResponse:
        stream = await service.export_entries(runtime=runtime, principal=principal, filters=filters, fmt=fmt)
        return StreamingResponse(
            stream,
            media_type=MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="audit-entries.{fmt}"'},
        )

    export.__name__ = f"export_{fmt}"
    export.__doc__ = f"Every matching entry as {fmt.upper()}, streamed in log order; the export is logged first."
    return export


for _fmt in ("ndjson", "csv"):
    router.add_api_route(
        f"/entries.{_fmt}",
        _export(_fmt),
        methods=["GET"],
        response_class=StreamingResponse,
        summary=f"Export entries as {_fmt.upper()} (auditor, streamed)",
        responses={200: {"content": {MEDIA_TYPES[_fmt]: {}}}},
    )


@router.get(
    "/entries/by-event/{event_id}",
    response_model=EntryDetail,
    summary="The entry of an event id, with inclusion proof (auditor)",
)
async def entry_by_event(
    runtime: RuntimeDep,
    principal: Auditor,
    event_id: Annotated[str, Path(min_length=1, max_length=200)],
    checkpoint_size: CheckpointSize = None,
) -> EntryDetail:
    """Look up by CloudEvents id (e.g. a certificate's issuance event)."""
    return await service.get_entry_by_event(
        runtime=runtime, principal=principal, event_id=event_id, checkpoint_size=checkpoint_size
    )


@router.get("/entries/{index}", response_model=EntryDetail, summary="One entry with its inclusion proof (auditor)")
async def entry(
    runtime: RuntimeDep, principal: Auditor, index: Annotated[int, Path(ge=0)], checkpoint_size: CheckpointSize = None
) -> EntryDetail:
    """The entry and its audit path against the latest or the named checkpoint."""
    return await service.get_entry(runtime=runtime, principal=principal, index=index, checkpoint_size=checkpoint_size)
