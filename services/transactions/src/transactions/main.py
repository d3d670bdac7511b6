"""Transactions application factory."""

from __future__ import annotations

from fastapi import FastAPI

from natres_platform.app import build_app

from transactions.bidders.router import router as bidders_router
from transactions.blacklist.router import router as blacklist_router
from transactions.bidding.fastpath import bid_fast_path
from transactions.bidding.router import router as bidding_router
from transactions.calendar.router import router as calendar_router
from transactions.feed.router import router as feed_router
from transactions.listings.router import router as listings_router
from transactions.saga.handlers import registry_consumer
from transactions.settings import TransactionsSettings
from transactions.settlement.router import router as settlement_router
from transactions.supervision.router import router as supervision_router
from transactions.trading import Trading

DESCRIPTION = """Online trading platform for land-use and mining rights (招标 / 拍卖 / 挂牌): listings, bidders, deposits, live bidding, award, and the hand-off to the registry.

Errors are RFC 9457 `application/problem+json` with a stable `code`. Authenticate with a Keycloak
(realm `natres`) bearer token whose audience includes `natres-transactions`. Money is a decimal
string in yuan; times are RFC 3339. Bids take an `Idempotency-Key` header; the live feed is SSE."""

ROUTERS = (listings_router, bidders_router, bidding_router, feed_router, settlement_router, supervision_router,
           calendar_router, blacklist_router)


def create_app(settings: TransactionsSettings | None = None) -> FastAPI:
    """Build the app; settings are read from the environment only when not given."""
    settings = settings or TransactionsSettings()
    trading = Trading.build(settings)
    app = build_app(trading.ctx, title="Transactions 土地使用权和矿业权网上交易", description=DESCRIPTION,
                    routers=ROUTERS, on_shutdown=[trading.close_bid_pool])
    app.state.trading = trading
    # What POST /api/v1/ops/parked/{id}/replay re-runs a parked event through (natres_platform.parked).
    app.state.inbox_consumers = lambda: [registry_consumer(trading)]
    if settings.bid_fast_path:
        # Innermost of the user middleware: inside trace context and metrics, before FastAPI's router.
        app.user_middleware.append(bid_fast_path())
    return app
