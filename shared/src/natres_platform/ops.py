"""Endpoints every service offers: who am I, and the state of its outbox and parked events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from natres_platform.auth import Principal
from natres_platform.messaging_tables import list_parked, outbox_backlog
from natres_platform.security import CurrentPrincipal, require_role

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
) -> list[ParkedEvent]:
    """Keyset-paged list of parked messages with their reasons."""
    ctx = request.app.state.ctx
    async with ctx.sessionmaker() as session:
        rows = await list_parked(session, ctx.tables, after_id=after_id, limit=limit)
    return [ParkedEvent(**{k: r[k] for k in ParkedEvent.model_fields}) for r in rows]
