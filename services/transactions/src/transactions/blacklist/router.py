"""Blacklist endpoints (黑名单): the entries with identities, and lifting one early."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query

from transactions.blacklist import service
from transactions.blacklist.schemas import BlacklistEntryRead, LiftBody
from transactions.dependencies import Overseer, TradingAdmin, TradingDep

router = APIRouter(prefix="/api/v1/blacklist", tags=["blacklist 黑名单"])

EntryId = Annotated[int, Path(ge=1, le=2**63 - 1, description="黑名单记录 id")]


@router.get("", response_model=list[BlacklistEntryRead],
            summary="Blacklist entries with identities (trading admin of the region, supervisor)")
async def list_entries(
    trading: TradingDep,
    overseer: Overseer,
    active: bool | None = None,
    subject: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    org_code: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    listing_id: UUID | None = None,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[BlacklistEntryRead]:
    """Keyset-paged by id; `active=true`: barring now, `false`: lifted or expired."""
    rows, now = await service.entries(trading=trading, principal=overseer, active=active, subject=subject,
                                      org_code=org_code, listing_id=str(listing_id) if listing_id else None,
                                      after_id=after_id, limit=limit)
    return [BlacklistEntryRead.from_row(r, now=now) for r in rows]


@router.post("/{entry_id}/lifting", response_model=BlacklistEntryRead, summary="Lift an entry early 解除黑名单")
async def lift(entry_id: EntryId, body: LiftBody, trading: TradingDep, admin: TradingAdmin) -> BlacklistEntryRead:
    """The row stays with who lifted it, when and why; lifting twice is a 409."""
    row, now = await service.lift(trading=trading, entry_id=entry_id, reason=body.reason,
                                  document_ref=body.document_ref, actor=admin)
    return BlacklistEntryRead.from_row(row, now=now)
