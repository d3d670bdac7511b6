"""Bidding endpoints: place a bid (Idempotency-Key), the public bid board, ask for 限时竞价."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from transactions.bidding import repository, service
from transactions.bidding.schemas import BidCreate, BidRead, ContinueAck, PublicBid
from transactions.dependencies import BidderRole, ClientIp, TradingDep
from transactions.listings.dependencies import ListingId
from transactions.listings.service import load as load_listing
from transactions.listings.states import is_final, ListingState
from transactions.listings.terms import Method

router = APIRouter(prefix="/api/v1/listings", tags=["bidding 竞价"])


@router.post("/{listing_id}/bids", status_code=201, response_model=BidRead, summary="Place a bid 报价")
async def place_bid(
    listing_id: ListingId,
    data: BidCreate,
    trading: TradingDep,
    bidder: BidderRole,
    ip: ClientIp,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> BidRead:
    """Refusals are 409 problem+json carrying the current price; a retried key returns the original bid.

    Send `amount` to quote a price, or `raise_steps` + `max_amount` for 加价: the server prices the
    bid under the listing lock (the minimum next quote plus one increment per further step), so a
    bidder never loses a race to a price it had not seen yet, and never pays above its limit.
    """
    bid = await service.place_bid(trading=trading, listing_id=str(listing_id), principal=bidder,
                                  amount=data.price_or_limit, raise_steps=data.raise_steps,
                                  idempotency_key=idempotency_key, client_ip=ip)
    # Serialised once by pydantic-core; returning a Response skips FastAPI's second validation pass.
    body = bid.model_dump_json().encode()
    if bid.replayed:
        return Response(body, status_code=200, media_type="application/json", headers={"Idempotent-Replayed": "true"})
    return Response(body, status_code=201, media_type="application/json")


@router.get("/{listing_id}/bids", response_model=list[PublicBid], summary="Accepted bids by bidder number (public)")
async def list_bids(
    listing_id: ListingId,
    trading: TradingDep,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[PublicBid]:
    """Sealed tender bids stay hidden until the opening."""
    async with trading.uow() as uow:
        listing = await load_listing(uow, listing_id=str(listing_id))
        if listing.method == Method.TENDER and not is_final(ListingState(listing.state)):
            return []
        rows = await repository.for_listing(uow.session, listing_id=str(listing_id), after_seq=after_seq, limit=limit)
    return [PublicBid(seq=r.seq, bidder_number=r.bidder_number, amount=r.amount, placed_at=r.placed_at,
                      phase=r.phase) for r in rows]


@router.post("/{listing_id}/continue", response_model=ContinueAck, summary="Ask to join 限时竞价 (挂牌)")
async def request_continue(listing_id: ListingId, trading: TradingDep, bidder: BidderRole) -> ContinueAck:
    """At the 挂牌 deadline, two or more such bidders start timed bidding."""
    return await service.request_continue(trading=trading, listing_id=str(listing_id), principal=bidder)
