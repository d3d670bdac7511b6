"""Supervision endpoints (监管): alerts, and every bid with the identity behind it."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from transactions.bidding import repository as bids
from transactions.bidding.schemas import SupervisedBid
from transactions.dependencies import SupervisorRole, TradingDep
from transactions.listings.dependencies import ListingId
from transactions.listings.service import load as load_listing
from transactions.supervision import repository
from transactions.supervision.schemas import AlertRead

router = APIRouter(prefix="/api/v1/supervision", tags=["supervision 监管"])


@router.get("/alerts", response_model=list[AlertRead], summary="Alerts raised by the supervision rules")
async def list_alerts(
    trading: TradingDep,
    _: SupervisorRole,
    listing_id: UUID | None = None,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AlertRead]:
    """Keyset-paged by alert id."""
    async with trading.uow() as uow:
        rows = await repository.page(uow.session, listing_id=str(listing_id) if listing_id else None,
                                     after_id=after_id, limit=limit)
    return [AlertRead(**r._mapping) for r in rows]


@router.get("/listings/{listing_id}/bids", response_model=list[SupervisedBid],
            summary="Every bid with the bidder's identity (supervisors)")
async def supervised_bids(
    listing_id: ListingId,
    trading: TradingDep,
    _: SupervisorRole,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> list[SupervisedBid]:
    """Sealed amounts stay sealed until the opening, even for supervisors."""
    async with trading.uow() as uow:
        await load_listing(uow, listing_id=str(listing_id))
        rows = await bids.for_listing(uow.session, listing_id=str(listing_id), after_seq=after_seq, limit=limit)
    return [SupervisedBid(**{k: r._mapping[k] for k in SupervisedBid.model_fields}) for r in rows]
