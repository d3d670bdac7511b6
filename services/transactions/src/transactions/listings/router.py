"""Listing endpoints: create, read, revise, announce, suspend, resume, terminate."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from natres_platform.events import utc_now

from transactions.dependencies import Overseer, TradingAdmin, TradingDep
from transactions.listings import repository, service
from transactions.listings.dependencies import ListingId
from transactions.listings.schemas import (
    ListingAdminRead,
    ListingCreate,
    ListingRead,
    ListingRevise,
    Reason,
    RevisionRead,
)
from transactions.listings.states import ListingState, Transition
from transactions.regions import require_overseer

router = APIRouter(prefix="/api/v1/listings", tags=["listings 交易项目"])


@router.post("", status_code=201, response_model=ListingAdminRead, summary="Create a listing (draft) 创建出让项目")
async def create_listing(data: ListingCreate, trading: TradingDep, admin: TradingAdmin) -> ListingAdminRead:
    """Checks every trading rule at once and that the unit is tradable."""
    row = await service.create_listing(trading=trading, data=data, actor=admin)
    return ListingAdminRead.from_row(row, now=utc_now())


@router.get("", response_model=list[ListingRead], summary="Listings, newest first (public)")
async def list_listings(
    trading: TradingDep,
    state: Annotated[list[ListingState] | None, Query()] = None,
    before: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ListingRead]:
    """Public list; no reserve prices, no identities."""
    async with trading.uow() as uow:
        rows = await repository.page(uow.session, states=[s.value for s in state or []], limit=limit, before=before)
    now = utc_now()
    return [ListingRead.from_row(r, now=now) for r in rows]


@router.get("/{listing_id}", response_model=ListingRead, summary="One listing (public)")
async def get_listing(listing_id: ListingId, trading: TradingDep) -> ListingRead:
    """The reserve price appears only after the close."""
    async with trading.uow() as uow:
        row = await service.load(uow, listing_id=str(listing_id))
    return ListingRead.from_row(row, now=utc_now())


@router.get("/{listing_id}/admin", response_model=ListingAdminRead, summary="One listing with its reserve (admin)")
async def get_listing_admin(listing_id: ListingId, trading: TradingDep, overseer: Overseer) -> ListingAdminRead:
    """Trading administrators (of the listing's region) and supervisors see the secret terms."""
    async with trading.uow() as uow:
        row = await service.load(uow, listing_id=str(listing_id))
    require_overseer(overseer, row.county_code)
    return ListingAdminRead.from_row(row, now=utc_now())


@router.get("/{listing_id}/revisions", response_model=list[RevisionRead], summary="Every version of the terms")
async def list_revisions(listing_id: ListingId, trading: TradingDep, overseer: Overseer) -> list[RevisionRead]:
    """Revision 1 is the terms at creation; each later one a change with its reason."""
    async with trading.uow() as uow:
        row = await service.load(uow, listing_id=str(listing_id))
        require_overseer(overseer, row.county_code)
        rows = await repository.revisions(uow.session, listing_id=str(listing_id))
    return [RevisionRead(**r._mapping) for r in rows]


@router.patch("/{listing_id}/terms", response_model=ListingAdminRead, summary="Change terms before bidding")
async def revise_terms(
    listing_id: ListingId, data: ListingRevise, trading: TradingDep, admin: TradingAdmin
) -> ListingAdminRead:
    """Allowed in draft, announced and registration; every change becomes a revision."""
    row = await service.revise_terms(trading=trading, listing_id=str(listing_id), data=data, actor=admin)
    return ListingAdminRead.from_row(row, now=utc_now())


@router.post("/{listing_id}/announce", response_model=ListingAdminRead, summary="Publish the announcement 发布公告")
async def announce(listing_id: ListingId, trading: TradingDep, admin: TradingAdmin) -> ListingAdminRead:
    """Draft → announced; the registry then marks the unit in trade."""
    row = await service.change_state(trading=trading, listing_id=str(listing_id), event=Transition.ANNOUNCED,
                                     actor=admin)
    return ListingAdminRead.from_row(row, now=utc_now())


@router.post("/{listing_id}/suspend", response_model=ListingAdminRead, summary="Suspend 暂停")
async def suspend(listing_id: ListingId, body: Reason, trading: TradingDep, admin: TradingAdmin) -> ListingAdminRead:
    """Stops the clock; bids are refused until resumed."""
    row = await service.change_state(trading=trading, listing_id=str(listing_id), event=Transition.SUSPENDED,
                                     actor=admin, reason=body.reason)
    return ListingAdminRead.from_row(row, now=utc_now())


@router.post("/{listing_id}/resume", response_model=ListingAdminRead, summary="Resume 恢复")
async def resume(listing_id: ListingId, body: Reason, trading: TradingDep, admin: TradingAdmin) -> ListingAdminRead:
    """Back to the state before the suspension; an interrupted countdown restarts in full."""
    row = await service.change_state(trading=trading, listing_id=str(listing_id), event=Transition.RESUMED,
                                     actor=admin, reason=body.reason)
    return ListingAdminRead.from_row(row, now=utc_now())


@router.post("/{listing_id}/terminate", response_model=ListingAdminRead, summary="Terminate 终止")
async def terminate(
    listing_id: ListingId, body: Reason, trading: TradingDep, admin: TradingAdmin
) -> ListingAdminRead:
    """Ends the listing for good; deposits are refunded and the registry lifts its mark."""
    row = await service.change_state(trading=trading, listing_id=str(listing_id), event=Transition.TERMINATED,
                                     actor=admin, reason=body.reason)
    return ListingAdminRead.from_row(row, now=utc_now())
