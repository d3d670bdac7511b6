"""The one hot endpoint, `POST /api/v1/listings/{id}/bids`, answered before FastAPI's router.

A natres_platform.fastpath.HotRoute: well-formed bids from a verified bidder go straight to the
same service function as the route; anything else falls through to the FastAPI route, which
stays the reference (tests compare the two answer for answer).
"""

from __future__ import annotations

from starlette.middleware import Middleware

from natres_platform.fastpath import HotRequest, HotResponse, HotRoute

from transactions.bidding import service
from transactions.bidding.router import place_bid as place_bid_endpoint
from transactions.bidding.router import router
from transactions.bidding.schemas import BidCreate
from transactions.dependencies import resolve_client_ip

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


async def _bid(request: HotRequest) -> HotResponse:
    trading = request.state.trading
    data: BidCreate = request.body
    key = request.headers.get(b"idempotency-key")
    scope = request.scope
    peer = scope["client"][0] if scope.get("client") else "unknown"
    ip = resolve_client_ip(peer=peer, forwarded_for=request.headers.get(b"x-forwarded-for", b"").decode("latin-1"),
                           trusted=trading.settings.trusted_proxies)
    bid = await service.place_bid(trading=trading, listing_id=request.match.group(1).lower(),
                                  principal=request.principal, amount=data.price_or_limit,
                                  raise_steps=data.raise_steps, client_ip=ip,
                                  idempotency_key=key.decode("latin-1") if key is not None else None)
    extra = [(b"idempotent-replayed", b"true")] if bid.replayed else []
    return (200 if bid.replayed else 201), bid.model_dump_json().encode(), extra


def bid_fast_path() -> Middleware:
    """The middleware entry for the app (innermost: inside trace context and metrics)."""
    return Middleware(HotRoute, method="POST", path=rf"^/api/v1/listings/({_UUID})/bids$", model=BidCreate,
                      roles=("bidder",), router=router, endpoint=place_bid_endpoint, handler=_bid)
