"""FastAPI dependencies shared by the domain routers: the trading context, roles, the client address."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import Depends, Request

from natres_platform.auth import Principal
from natres_platform.security import require_role

from transactions.trading import Trading


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` dependency in the thread pool,
# a thread hop per request for what is a dictionary lookup.


async def get_trading(request: Request) -> Trading:
    """The process-wide trading context kept on app.state."""
    return request.app.state.trading


TradingDep = Annotated[Trading, Depends(get_trading)]
TradingAdmin = Annotated[Principal, Depends(require_role("trading_admin"))]
BidderRole = Annotated[Principal, Depends(require_role("bidder"))]
Overseer = Annotated[Principal, Depends(require_role("trading_admin", "supervisor"))]
SupervisorRole = Annotated[Principal, Depends(require_role("supervisor", "admin"))]


async def client_ip(request: Request, trading: TradingDep) -> str:
    """The caller's address; X-Forwarded-For counts only when the peer is a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    return resolve_client_ip(peer=peer, forwarded_for=request.headers.get("x-forwarded-for", ""),
                             trusted=trading.settings.trusted_proxies)


def resolve_client_ip(*, peer: str, forwarded_for: str, trusted: list[str]) -> str:
    """The client behind a chain of proxies, believing only the hops our trusted proxies added."""
    trusted_set = set(trusted)
    if peer not in trusted_set:
        return peer
    forwarded = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    # Walk from the nearest hop back: the first address not ours is the client (the rest is client-written).
    for hop in reversed(forwarded):
        if hop not in trusted_set:
            return hop if _is_ip(hop) else peer
    return peer


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


ClientIp = Annotated[str, Depends(client_ip)]
