"""Endpoints every service offers: who am I, the state of its outbox and parked events, replay of a parked one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from natres_platform.auth import Principal
from natres_platform.messaging_tables import list_parked, outbox_backlog
from natres_platform.parked import replay_by_id
from natres_platform.security import Admin, CurrentPrincipal, require_role

router = APIRouter(tags=["ops"])
Operator = Annotated[Principal, Depends(require_role("admin", "supervisor", "auditor"))]


class WhoAmI(BaseModel):
    subject: str
    username: str | None
    name: str | None
    roles: list[str]
    region: str | None
    org_code: str | None
    client_id: str | None


class OutboxStatus(BaseModel):
    pending: int
    published: int
    oldest_pending_at: datetime | None


class ParkedEvent(BaseModel):
    id: int
    topic: str
    partition: int
    offset: int
    event_id: str | None
    event_type: str | None
    reason_code: str
    reason: str
    parked_at: datetime
    resolved_at: datetime | None
    resolution: str | None
    replays: list[dict[str, Any]]


class ParkedReplay(BaseModel):
    id: int
    event_id: str | None
    event_type: str | None
    outcome: str
    reason_code: str | None
    reason: str | None
    resolved_at: datetime | None


@router.get("/whoami", response_model=WhoAmI, summary="The verified caller: subject, roles, region (当前用户)")
async def whoami(principal: CurrentPrincipal) -> WhoAmI:
    """Echo what the token proves about the caller."""
    return WhoAmI(
        subject=principal.subject,
        username=principal.username,
        name=principal.name,
        roles=sorted(principal.roles),
        region=principal.region,
        org_code=principal.org_code,
        client_id=principal.client_id,
    )


@router.get("/ops/outbox", response_model=OutboxStatus, summary="Outbox backlog (admin, supervisor, auditor)")
async def outbox_status(request: Request, _: Operator) -> OutboxStatus:
    """How many events wait for the relay."""
    ctx = request.app.state.ctx
    async with ctx.sessionmaker() as session:
        pending, published, oldest = await outbox_backlog(session, ctx.tables)
    return OutboxStatus(pending=pending, published=published, oldest_pending_at=oldest)


@router.get("/ops/parked", response_model=list[ParkedEvent], summary="Events this service could not admit")
async def parked_events(
    request: Request,
    _: Operator,
    after_id: Annotated[int, Query(ge=0, description="keyset cursor: last id seen")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    resolved: Annotated[bool | None, Query(description="false: still parked; true: admitted by a replay")] = None,
) -> list[ParkedEvent]:
    """Keyset-paged list of parked messages with their reasons and replays."""
    ctx = request.app.state.ctx
    async with ctx.sessionmaker() as session:
        rows = await list_parked(session, ctx.tables, after_id=after_id, limit=limit, resolved=resolved)
    return [ParkedEvent(**{k: r[k] for k in ParkedEvent.model_fields}) for r in rows]


@router.post("/ops/parked/{parked_id}/replay", response_model=ParkedReplay,
             summary="Re-run a parked event through this service's consumer (admin)")
async def replay_parked_event(
    request: Request, principal: Admin, parked_id: Annotated[int, Path(ge=1)]
) -> ParkedReplay:
    """Same handler path, inbox and transaction as the consumer; the row is kept with the outcome."""
    # A service that consumes sets `app.state.inbox_consumers` (a factory); without one the row reports no_consumer.
    factory = getattr(request.app.state, "inbox_consumers", None)
    result = await replay_by_id(ctx=request.app.state.ctx, consumers=factory, parked_id=parked_id,
                                actor=principal.subject)
    return ParkedReplay(**{k: getattr(result, k) for k in ParkedReplay.model_fields})
