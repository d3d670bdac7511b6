"""A concluded deal opens the buyer's registration (地证同交) on the platform's records; a default withdraws it."""

from __future__ import annotations

from datetime import date
from typing import Any

from natres_platform.events import CloudEvent
from natres_platform.uow import UnitOfWork
from registry.admin.calendar import load_calendar, today_beijing
from registry.applications import repository as apps_repo
from registry.applications.common import deadline_for, new_number, now_utc, transition
from registry.applications.events import application_event
from registry.applications.types import WITHDRAWABLE
from registry.applications.workflow import void_provisional_entry
from registry.book import repository as book_repo
from registry.errors import DealAlreadyRecorded, DealNotOpened, DealWinnerMismatch, UnitNotFound
from registry.events import SYSTEM_ACTOR
from registry.units import repository as units_repo


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _winner_party(winner: dict[str, Any]) -> dict[str, Any]:
    org = winner.get("org_code")
    party = {
        "role": "holder",
        "name": winner["name"],
        "id_type": "统一社会信用代码" if org else "居民身份证",
        # The platform never passes a person's full id number across services: the masked one is
        # what the registrar completes from the 成交确认书 at review.
        "id_number": org or winner.get("masked_id") or winner["subject"],
        "share": "1",
        "subject": winner["subject"],
    }
    if org:
        party["org_code"] = org
    return party


async def open_registration(uow: UnitOfWork, *, event: CloudEvent, time_limits: dict[str, int]) -> dict[str, Any] | None:
    """Open a transfer (or first) registration for the winner, status accepted; None if already opened."""
    data = event.data
    existing = await apps_repo.by_listing(uow.session, listing_id=data["listing_id"])
    if existing is not None:
        return None
    unit = await units_repo.get_unit(uow.session, unit_id=data["unit_id"], with_geometry=False, lock=True)
    if unit is None:
        raise UnitNotFound(f"登记单元 {data['unit_id']} 不存在", unit_id=data["unit_id"], listing_id=data["listing_id"])
    prev = await book_repo.latest_entry(uow.session, unit_id=unit["id"])
    reg_type = "transfer" if prev is not None and prev["recorded_state"] == "current" else "first"
    now = now_utc()
    today = today_beijing(now)
    term_years = data.get("term_years")
    details = {
        "right_type": data["right_type"],
        "land_use": data.get("land_use"),
        "term_start": today.isoformat() if term_years else None,
        "term_end": _add_years(today, term_years).isoformat() if term_years else None,
        "source": "出让" if reg_type == "first" else "转让",
        "price": data["price"],
        "listing_id": data["listing_id"],
        "deal_event_id": event.id,
    }
    days = time_limits[reg_type]
    due, provisional = deadline_for(await load_calendar(uow.session), accepted_on=today, days=days)
    county = unit["county_code"]
    app = {
        "number": new_number(office=county, today=today), "type": reg_type, "unit_id": unit["id"],
        "status": "accepted", "channel": "trade", "applicant_subject": data["winner"]["subject"],
        "applicant_name": data["winner"]["name"], "applicant_org_code": data["winner"].get("org_code"),
        "filed_by": SYSTEM_ACTOR, "parties": [_winner_party(data["winner"])],
        "details": {k: v for k, v in details.items() if v is not None}, "receiving_office": county,
        "competent_office": county, "listing_id": data["listing_id"], "accepted_at": now, "accepted_by": SYSTEM_ACTOR,
        "time_limit_days": days, "deadline": due, "deadline_provisional": provisional,
    }
    app["id"] = await apps_repo.insert_application(uow.session, fields=app)
    for action, status in (("submitted", "submitted"), ("accepted", "accepted")):
        await apps_repo.add_history(uow.session, application_id=app["id"], action=action,
                                    from_status=None if action == "submitted" else "submitted", to_status=status,
                                    actor=SYSTEM_ACTOR, office=county, note={"listing_id": data["listing_id"]})
        uow.record(application_event({**app, "status": status}, step=action, actor=SYSTEM_ACTOR,
                                     extra={"listing_id": data["listing_id"], "deal_event_id": event.id}))
    return app


async def withdraw_registration(uow: UnitOfWork, *, event: CloudEvent) -> dict[str, Any] | None:
    """违约: withdraw the winner's application opened on the deal; None when it is closed already."""
    data = event.data
    listing_id = data["listing_id"]
    opened = await apps_repo.by_listing(uow.session, listing_id=listing_id)
    if opened is None:
        # Parked rather than ignored: a deal.concluded replayed later would open an application for a
        # winner who defaulted. Replay the deal first, then this event.
        raise DealNotOpened(
            f"交易项目 {listing_id} 未开立登记申请（未处理其成交事件），不能撤回；请先重放成交事件",
            listing_id=listing_id, unit_id=data["unit_id"],
        )
    app = await apps_repo.get_application(uow.session, application_id=opened["id"], lock=True)
    winner = data.get("winner_subject")
    if winner and winner != app["applicant_subject"]:
        raise DealWinnerMismatch(f"违约竞得人与申请 {app['number']} 的申请人不是同一主体",
                                 listing_id=listing_id, application_id=app["id"])
    if app["status"] in ("recorded", "certified"):
        # The right is in the book (民法典 Art. 214): a default does not undo it here; that takes a
        # correction or cancellation registration on its own grounds.
        raise DealAlreadyRecorded(
            f"申请 {app['number']} 已登簿（{app['status']}），违约不撤销已登记的权利；"
            "须依法另行办理更正或注销登记",
            listing_id=listing_id, application_id=app["id"], status=app["status"], book_entry_id=app["book_entry_id"],
        )
    if app["status"] not in WITHDRAWABLE:
        return None  # withdrawn (an earlier delivery, or the applicant) or refused: nothing left to undo
    await void_provisional_entry(uow, app=app, actor=SYSTEM_ACTOR)
    reason = f"deal.defaulted: {data['reason']}"
    extra = {"reason": reason, "listing_id": listing_id, "default_event_id": event.id}
    return await transition(uow, app, to="withdrawn", action="withdrawn", actor=SYSTEM_ACTOR, office=None,
                            changes={"closed_at": now_utc()}, note=extra, event_extra=extra)
