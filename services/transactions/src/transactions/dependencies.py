"""FastAPI dependencies shared by the domain routers: the trading context, roles, the client address."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import Depends, Request

from natres_platform.auth import Principal
from natres_platform.security import require_role

from transactions.trading import Trading


def get_trading(request: Request) -> Trading:
    """The process-wide trading context kept on app.state."""
    return request.app.state.trading


TradingDep = Annotated[Trading, Depends(get_trading)]
TradingAdmin = Annotated[Principal, Depends(require_role("trading_admin"))]
BidderRole = Annotated[Principal, Depends(require_role("bidder"))]
Overseer = Annotated[Principal, Depends(require_role("trading_admin", "supervisor"))]
SupervisorRole = Annotated[Principal, Depends(require_role("supervisor", "admin"))]


def client_ip(request: Request, trading: TradingDep) -> str:
    """The caller's address; X-Forwarded-For counts only when the peer is a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    trusted = set(trading.settings.trusted_proxies)
    if peer not in trusted:
        return peer
    forwarded = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    # Walk from the nearest hop back: the first address not ours is the client (the rest is client-written).
    for hop in reversed(forwarded):
        if hop not in trusted:
            return hop if _is_ip(hop) else peer
    return peer


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


ClientIp = Annotated[str, Depends(client_ip)]
