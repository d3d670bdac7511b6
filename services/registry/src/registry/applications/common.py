"""Helpers shared by filing and workflow steps: load-or-404, transitions with history, deadlines."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from natres_platform.uow import UnitOfWork
from natres_platform.workdays import WorkdayCalendar
from registry.applications import repository as repo
from registry.applications.events import application_event
from registry.applications.types import HOLDER_TYPES
from registry.errors import ApplicationNotFound, ApplicationStateConflict, SharesInvalid, UnitNotFound
from registry.units import repository as units_repo


def now_utc() -> datetime:
    """The service clock."""
    return datetime.now(UTC)


def new_number(*, office: str, today: date) -> str:
    """一事一码: office, date and a random suffix, e.g. 140107-20261129-3F9A2C1B."""
    return f"{office}-{today:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"


async def load(uow: UnitOfWork, application_id: str, *, lock: bool = True) -> dict[str, Any]:
    """The application (locked for the step), or 404."""
    app = await repo.get_application(uow.session, application_id=application_id, lock=lock)
    if app is None:
        raise ApplicationNotFound(f"申请 {application_id} 不存在", application_id=application_id)
    return app


async def load_unit(uow: UnitOfWork, unit_id: str, *, lock: bool = False) -> dict[str, Any]:
    """The application's unit, or 404."""
    unit = await units_repo.get_unit(uow.session, unit_id=unit_id, with_geometry=False, lock=lock)
    if unit is None:
        raise UnitNotFound(f"登记单元 {unit_id} 不存在", unit_id=unit_id)
    return unit


def require_status(app: dict[str, Any], *allowed: str, step: str) -> None:
    """409 unless the application is in one of the allowed statuses."""
    if app["status"] not in allowed:
        raise ApplicationStateConflict(
            f"申请处于 {app['status']} 状态，不能{step}", status=app["status"], allowed=list(allowed)
        )


async def transition(
    uow: UnitOfWork,
    app: dict[str, Any],
    *,
    to: str,
    action: str,
    actor: str,
    office: str | None,
    changes: dict[str, Any] | None = None,
    note: dict[str, Any] | None = None,
    event_extra: dict[str, Any] | None = None,
    event_step: str | None = None,
) -> dict[str, Any]:
    """Move to a status, keep the trail, and record the matching event in the same transaction."""
    changes = {**(changes or {}), "status": to}
    await repo.update_application(uow.session, application_id=app["id"], changes=changes)
    await repo.add_history(
        uow.session, application_id=app["id"], action=action, from_status=app["status"], to_status=to,
        actor=actor, office=office, note=note,
    )
    updated = {**app, **changes}
    uow.record(application_event(updated, step=event_step or action, actor=actor, extra=event_extra))
    return updated


def deadline_for(
    calendar: WorkdayCalendar, *, accepted_on: date, days: int, notice: tuple[date, date] | None = None
) -> tuple[date, bool]:
    """Due date counting working days from acceptance, with the 公告 period paused out."""
    result = calendar.add_working_days(start=accepted_on, days=days, paused=[notice] if notice else [])
    return result.due, result.provisional


def check_shares(parties: list[dict[str, Any]], *, reg_type: str) -> list[dict[str, Any]]:
    """Holders' shares are decimals summing to exactly 1; a sole holder gets 1."""
    holders = [p for p in parties if p.get("role", "holder") == "holder"]
    if reg_type in HOLDER_TYPES and not holders:
        raise SharesInvalid("至少需要一名权利人", field="parties")
    if not holders:
        return parties
    if len(holders) == 1 and holders[0].get("share") is None:
        holders[0]["share"] = Decimal(1)
    shares = [p.get("share") for p in holders]
    if any(s is None for s in shares):
        raise SharesInvalid("共有权利人须逐一载明份额", field="parties")
    total = sum((Decimal(str(s)) for s in shares), Decimal(0))
    if total != Decimal(1):
        raise SharesInvalid(f"权利人份额之和为 {total}，应等于 1", total=str(total))
    for p in holders:
        p["share"] = str(Decimal(str(p["share"])).normalize())
    return parties
