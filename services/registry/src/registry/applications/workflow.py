"""The office's side: 受理 / 不予受理, 审核, 公告, 登簿, 不予登记, 发证 — each step one transaction."""

from __future__ import annotations

from typing import Any

from natres_platform.auth import Principal
from natres_platform.uow import UnitOfWork
from registry.admin.calendar import load_calendar, today_beijing
from registry.admin.zones import effective_zones
from registry.applications import repository as repo
from registry.applications.access import require_competent, require_receiving
from registry.applications.common import deadline_for, load, load_unit, now_utc, require_status, transition
from registry.applications.types import CERTIFICATE_KIND, DOCUMENT_LABELS, REQUIRED_DOCUMENTS
from registry.book import repository as book_repo
from registry.book.effects import next_entry
from registry.errors import ApplicationIncomplete, ApplicationStateConflict, PublicNoticeRunning, SameOfficerForbidden
from registry.runtime import Registry
from registry.trading.marks import clear_mark
from registry.units import repository as units_repo
from registry.units.kinds import is_natural_resource


def needs_public_notice(app: dict[str, Any], unit: dict[str, Any]) -> bool:
    """First registration of a natural resource goes through 公告 before 登簿."""
    return app["type"] == "first" and is_natural_resource(unit["kind"])


async def missing_documents(uow: UnitOfWork, app: dict[str, Any]) -> list[dict[str, str]]:
    """Required document kinds not uploaded yet (trade-opened applications carry the platform's records)."""
    if app["channel"] == "trade":
        return []
    have = {d["kind"] for d in await repo.documents(uow.session, application_id=app["id"])}
    return [
        {"item": kind, "label": DOCUMENT_LABELS.get(kind, kind)}
        for kind in REQUIRED_DOCUMENTS[app["type"]] if kind not in have
    ]


async def accept(*, registry: Registry, application_id: str, actor: Principal) -> dict[str, Any]:
    """受理 by a registrar of any office sharing an enabled zone with the unit's county; starts the clock."""
    now = now_utc()
    async with registry.uow() as uow:
        app = await load(uow, application_id)
        zones = await effective_zones(uow.session, registry.zone_definitions)
        office = require_receiving(principal=actor, unit_county=app["competent_office"], zones=zones, regions=registry.regions)
        require_status(app, "submitted", step="受理")
        missing = await missing_documents(uow, app)
        if missing:
            raise ApplicationIncomplete(
                "材料不齐全，不能受理；请以不予受理一次性告知补正内容", missing_items=missing
            )
        days = registry.settings.time_limits[app["type"]]
        due, provisional = deadline_for(await load_calendar(uow.session), accepted_on=today_beijing(now), days=days)
        app = await transition(
            uow, app, to="accepted", action="accepted", actor=actor.subject, office=office,
            changes={"receiving_office": office, "accepted_at": now, "accepted_by": actor.subject, "missing_items": [],
                     "time_limit_days": days, "deadline": due, "deadline_provisional": provisional},
            event_extra={"time_limit_days": days},
        )
        await uow.commit()
    return app


async def refuse_acceptance(
    *, registry: Registry, application_id: str, actor: Principal, extra_items: list[str], note: str | None
) -> dict[str, Any]:
    """不予受理 with one complete list: every missing document plus what the officer found (一次性告知)."""
    async with registry.uow() as uow:
        app = await load(uow, application_id)
        zones = await effective_zones(uow.session, registry.zone_definitions)
        office = require_receiving(principal=actor, unit_county=app["competent_office"], zones=zones, regions=registry.regions)
        require_status(app, "submitted", step="不予受理")
        items = await missing_documents(uow, app)
        items += [{"item": "officer_note", "label": text} for text in extra_items if text.strip()]
        if not items:
            raise ApplicationStateConflict("材料齐全，应当受理；不予受理须列明全部补正内容")
        app = await transition(
            uow, app, to="refused_acceptance", action="refused_acceptance", actor=actor.subject, office=office,
            changes={"missing_items": items}, note={"note": note}, event_extra={"missing_items": items, "note": note},
        )
        await uow.commit()
    return app


async def review(*, registry: Registry, application_id: str, actor: Principal, approve: bool, opinion: str,
                 reasons: list[str]) -> dict[str, Any]:
    """审核 by a reviewer of the competent office who did not accept the application."""
    now = now_utc()
    async with registry.uow() as uow:
        app = await load(uow, application_id)
        office = require_competent(principal=actor, unit_county=app["competent_office"], regions=registry.regions,
                                   roles=("reviewer",))
        require_status(app, "accepted", step="审核")
        if actor.subject == app["accepted_by"]:
            raise SameOfficerForbidden("受理人不得审核同一申请", rule="review.other_than_acceptor")
        changes = {"reviewed_at": now, "reviewed_by": actor.subject, "review_opinion": opinion}
        if approve:
            app = await transition(uow, app, to="reviewed", action="reviewed", actor=actor.subject, office=office,
                                   changes=changes, note={"opinion": opinion}, event_extra={"approved": True})
        else:
            reasons = reasons or [opinion]
            await void_provisional_entry(uow, app=app, actor=actor.subject)
            app = await transition(uow, app, to="refused", action="refused", actor=actor.subject, office=office,
                                   changes={**changes, "refusal_reasons": reasons, "closed_at": now},
                                   event_extra={"reasons": reasons})
        await uow.commit()
    return app


async def refuse(*, registry: Registry, application_id: str, actor: Principal, reasons: list[str]) -> dict[str, Any]:
    """不予登记 with written reasons, by the competent office before recording (条例 Art. 22)."""
    async with registry.uow() as uow:
        app = await load(uow, application_id)
        office = require_competent(principal=actor, unit_county=app["competent_office"], regions=registry.regions,
                                   roles=("registrar", "reviewer"))
        require_status(app, "accepted", "public_notice", "reviewed", step="不予登记")
        await void_provisional_entry(uow, app=app, actor=actor.subject)
        app = await transition(uow, app, to="refused", action="refused", actor=actor.subject, office=office,
                               changes={"refusal_reasons": reasons, "closed_at": now_utc()},
                               event_extra={"reasons": reasons})
        await uow.commit()
    return app


async def start_public_notice(*, registry: Registry, application_id: str, actor: Principal) -> dict[str, Any]:
    """公告 of a natural-resource first registration: a provisional entry, and the clock paused."""
    now = now_utc()
    async with registry.uow() as uow:
        app = await load(uow, application_id)
        office = require_competent(principal=actor, unit_county=app["competent_office"], regions=registry.regions,
                                   roles=("registrar",))
        require_status(app, "reviewed", step="公告")
        unit = await load_unit(uow, app["unit_id"], lock=True)
        if not needs_public_notice(app, unit):
            raise ApplicationStateConflict("只有自然资源首次登记需要公告")
        calendar = await load_calendar(uow.session)
        start = today_beijing(now)
        end = calendar.add_working_days(start=start, days=registry.settings.public_notice_working_days).due
        due, provisional = deadline_for(calendar, accepted_on=today_beijing(app["accepted_at"]),
                                        days=app["time_limit_days"], notice=(start, end))
        prev = await book_repo.latest_entry(uow.session, unit_id=unit["id"])
        fields = next_entry(app=app, prev=prev, unit=unit, now=now, provisional=True,
                            objection_days=registry.settings.objection_lapse_days,
                            advance_notice_days=registry.settings.advance_notice_lapse_days)
        entry = await book_repo.append_entry(uow.session, unit_id=unit["id"], fields=fields, recorded_by=actor.subject)
        app = await transition(
            uow, app, to="public_notice", action="public_notice_started", actor=actor.subject, office=office,
            changes={"notice_start": start, "notice_end": end, "deadline": due, "deadline_provisional": provisional},
            event_extra={"notice_start": start.isoformat(), "notice_end": end.isoformat(),
                         "provisional_entry_id": entry["id"]},
        )
        await uow.commit()
    return app


def _notice_over(app: dict[str, Any], *, today: Any) -> bool:
    start, end = app.get("notice_start"), app.get("notice_end")
    return start is not None and (end == start or today > end)


async def record(*, registry: Registry, application_id: str, actor: Principal) -> dict[str, Any]:
    """登簿: append the book entry the type calls for; the right arises now (民法典 Art. 214)."""
    from registry.applications.filing import check_farmland

    now = now_utc()
    async with registry.uow() as uow:
        app = await load(uow, application_id)
        office = require_competent(principal=actor, unit_county=app["competent_office"], regions=registry.regions,
                                   roles=("registrar",))
        unit = await load_unit(uow, app["unit_id"], lock=True)  # one writer per unit: versions never race
        if needs_public_notice(app, unit):
            require_status(app, "public_notice", step="登簿（须先公告）")
            if not _notice_over(app, today=today_beijing(now)):
                raise PublicNoticeRunning(f"公告期至 {app['notice_end']} 届满后方可登簿", notice_end=str(app["notice_end"]))
        else:
            require_status(app, "reviewed", step="登簿")
        check_farmland(reg_type=app["type"], details=app["details"], unit=unit)
        prev = await book_repo.latest_entry(uow.session, unit_id=unit["id"])
        fields = next_entry(app=app, prev=prev, unit=unit, now=now,
                            objection_days=registry.settings.objection_lapse_days,
                            advance_notice_days=registry.settings.advance_notice_lapse_days)
        entry = await book_repo.append_entry(uow.session, unit_id=unit["id"], fields=fields, recorded_by=actor.subject)
        if app["type"] == "cancellation":
            # 注销: the unit leaves the current layer (and the map, and units_for_trade's current rows).
            await units_repo.set_status(uow.session, unit_ids=[unit["id"]], status="cancelled")
            await units_repo.record_map_change(uow.session, scope="units")
        if app.get("listing_id") and unit.get("in_trade_listing_id") == app["listing_id"]:
            # 地证同交: the sold unit leaves the trade once the buyer's right is in the book.
            await clear_mark(uow, unit_id=unit["id"], listing_id=app["listing_id"], reason="registered",
                             actor=actor.subject, region=unit["county_code"])
        done = CERTIFICATE_KIND[app["type"]] is None
        app = await transition(
            uow, app, to="recorded", action="recorded", actor=actor.subject, office=office,
            changes={"recorded_at": now, "recorded_by": actor.subject, "book_entry_id": entry["id"],
                     **({"closed_at": now} if done else {})},
            event_extra={"book_entry_id": entry["id"], "book_version": entry["version"],
                         "entry_state": entry["recorded_state"]},
        )
        await uow.commit()
    return app


async def void_provisional_entry(uow: UnitOfWork, *, app: dict[str, Any], actor: str) -> None:
    """A withdrawn or refused first registration leaves its 公告 entry void: append a terminating entry."""
    if app["status"] != "public_notice":
        return
    await load_unit(uow, app["unit_id"], lock=True)
    prev = await book_repo.latest_entry(uow.session, unit_id=app["unit_id"])
    if prev is None or prev["recorded_state"] != "provisional" or prev["application_id"] != app["id"]:
        return
    await book_repo.append_entry(
        uow.session, unit_id=app["unit_id"], recorded_by=actor,
        fields={"recorded_state": "terminated", "application_id": app["id"], "registration_type": app["type"],
                "holders": [], "restrictions": [], "details": {"voids_entry_id": prev["id"]}},
    )


async def issue_certificate(*, registry: Registry, application_id: str, actor: Principal) -> dict[str, Any]:
    """发证: a gap-free number, a signed payload and the PDF, in the recording office's transaction."""
    from registry.certificates.service import issue_for

    async with registry.uow() as uow:
        app = await load(uow, application_id)
        office = require_competent(principal=actor, unit_county=app["competent_office"], regions=registry.regions,
                                   roles=("registrar",))
        require_status(app, "recorded", step="发证")
        if CERTIFICATE_KIND[app["type"]] is None:
            raise ApplicationStateConflict(f"{app['type']} 登记不发放证书或证明")
        cert = await issue_for(uow, registry=registry, app=app, office=office, actor=actor.subject)
        app = await transition(
            uow, app, to="certified", action="certificate_issued", actor=actor.subject, office=office,
            changes={"certificate_id": cert["id"], "closed_at": cert["issued_at"]},
            event_extra={"certificate_id": cert["id"], "certificate_number": cert["number"],
                         "certificate_kind": cert["kind"], "payload_sha256": cert["payload_sha256"]},
        )
        await uow.commit()
    return app


async def overdue(*, registry: Registry, actor: Principal) -> list[dict[str, Any]]:
    """Open applications past their deadline: an office sees its own, overseers see all."""
    office = None if actor.has_role("admin", "supervisor") else actor.region
    async with registry.uow() as uow:
        return await repo.overdue(uow.session, today=today_beijing(), office=office)
