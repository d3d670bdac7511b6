"""The applicant's side: file (申请), add documents, resubmit after 一次性告知, withdraw (撤回)."""

from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from natres_platform.auth import Principal
from natres_platform.errors import Forbidden
from registry.admin.calendar import today_beijing
from registry.admin.zones import effective_zones
from registry.applications import repository as repo
from registry.applications.access import require_applicant, require_receiving
from registry.applications.events import application_event
from registry.applications.common import check_shares, load, load_unit, new_number, now_utc, require_status, transition
from registry.applications.schemas import ApplicationCreate
from registry.applications.types import RIGHT_TYPES, WITHDRAWABLE
from registry.book import repository as book_repo
from registry.book.effects import next_entry
from registry.errors import ApplicationInvalid, BasicFarmlandRefused, DocumentInvalid, UnitCancelled, UnitNotCurrent
from registry.runtime import Registry
from registry.zones.rules import can_receive


def _require(details: dict[str, Any], *keys: str, reg_type: str) -> None:
    missing = [k for k in keys if details.get(k) in (None, "")]
    if missing:
        raise ApplicationInvalid(f"{reg_type} 登记须填写 {', '.join(missing)}", missing_fields=missing)


def check_farmland(*, reg_type: str, details: dict[str, Any], unit: dict[str, Any]) -> None:
    """国有建设用地使用权 first registration inside 永久基本农田 is refused."""
    if reg_type != "first" or details.get("right_type") != "state_construction_land_use":
        return
    hits = [h for h in unit.get("control_lines") or [] if h["line_type"] == "basic_farmland" and Decimal(h["overlap_m2"]) > 0]
    if hits:
        area = sum(Decimal(h["overlap_m2"]) for h in hits)
        raise BasicFarmlandRefused(
            f"单元与永久基本农田重叠 {area} 平方米，不得办理国有建设用地使用权首次登记",
            overlap_m2=str(area), line_ids=[h["line_id"] for h in hits],
        )


def validate_details(*, data: ApplicationCreate, parties: list[dict[str, Any]], unit: dict[str, Any]) -> dict[str, Any]:
    """Type-specific required details and parties."""
    details, kind = dict(data.details), data.type
    roles = {p.get("role", "holder") for p in parties}
    if kind == "first":
        _require(details, "right_type", reg_type=kind)
        if details["right_type"] not in RIGHT_TYPES:
            raise ApplicationInvalid(f"未知的权利类型 {details['right_type']}", allowed=sorted(RIGHT_TYPES))
        if details["right_type"] == "state_natural_resource_ownership":
            if unit["family"] != "natural_resource":
                raise ApplicationInvalid("自然资源国家所有权只能登记在自然资源登记单元上")
            # 所有权代表行使主体 (e.g. 自然资源部) and 代理行使主体 (e.g. 山西省人民政府)
            _require(details, "owner_representative", reg_type=kind)
    elif kind == "mortgage":
        if "mortgagee" not in roles:
            raise ApplicationInvalid("抵押登记须载明抵押权人 (role=mortgagee)")
        _require(details, "amount", reg_type=kind)
        try:
            amount = Decimal(str(details["amount"]))
        except InvalidOperation:
            amount = Decimal(-1)
        if not amount.is_finite() or amount <= 0 or isinstance(details["amount"], float):
            raise ApplicationInvalid("被担保债权数额应为正的十进制字符串（元）", field="amount")
        details["amount"] = str(amount)
    elif kind == "mortgage_discharge":
        _require(details, "mortgage_id", reg_type=kind)
    elif kind == "seizure":
        _require(details, "court", "document_no", reg_type=kind)
    elif kind == "correction":
        if not details.get("corrections") and "holder" not in roles:
            raise ApplicationInvalid("更正登记须载明更正内容 (details.corrections) 或更正后的权利人")
    elif kind == "advance_notice" and "holder" not in roles:
        raise ApplicationInvalid("预告登记须载明预告登记权利人 (role=holder)")
    elif kind == "objection" and not roles & {"holder", "applicant"}:
        raise ApplicationInvalid("异议登记须载明异议申请人")
    return details


async def submit(*, registry: Registry, data: ApplicationCreate, actor: Principal) -> dict[str, Any]:
    """申请: online by a citizen / enterprise, or at the counter by a registrar on someone's behalf."""
    if data.type == "seizure" and not actor.has_role("registrar"):
        raise Forbidden("查封登记由登记机构依人民法院嘱托办理", rule="seizure.by_court_request")
    now = now_utc()
    async with registry.uow() as uow:
        unit = await load_unit(uow, data.unit_id)
        if unit["status"] == "cancelled" and data.type != "correction":
            raise UnitCancelled(f"登记单元 {unit['code']} 已注销，只能申请更正登记", unit_id=unit["id"],
                                allowed_types=["correction"])
        if unit["status"] not in ("current", "cancelled"):
            raise UnitNotCurrent(f"登记单元 {unit['code']} 不是现势单元", unit_id=unit["id"])
        zones = await effective_zones(uow.session, registry.zone_definitions)
        county = unit["county_code"]
        if actor.has_role("registrar"):
            office, channel = require_receiving(principal=actor, unit_county=county, zones=zones, regions=registry.regions), "counter"
            applicant = data.applicant_subject or f"counter:{actor.subject}"
            applicant_name = data.applicant_name
            org_code = None
        else:
            office, channel = data.receiving_office or county, "online"
            can_receive(office_region=office, unit_county=county, zones=zones, regions=registry.regions).raise_if_denied()
            applicant, applicant_name, org_code = actor.subject, data.applicant_name or actor.name, actor.org_code
        parties = check_shares([p.model_dump(mode="json", exclude_none=True) for p in data.parties], reg_type=data.type)
        for p in parties:
            if p.get("share") is not None:
                p["share"] = str(p["share"])
        details = validate_details(data=data, parties=parties, unit=unit)
        check_farmland(reg_type=data.type, details=details, unit=unit)
        app = {
            "id": None, "number": new_number(office=office, today=today_beijing(now)), "type": data.type,
            "unit_id": unit["id"], "status": "submitted", "channel": channel, "applicant_subject": applicant,
            "applicant_name": applicant_name, "applicant_org_code": org_code, "filed_by": actor.subject,
            "parties": parties, "details": details, "receiving_office": office, "competent_office": county,
            "listing_id": None, "deadline": None,
        }
        # Refuse now what the book would refuse at recording (a unit in trade, a seizure, ...).
        prev = await book_repo.latest_entry(uow.session, unit_id=unit["id"])
        next_entry(app={**app, "id": "dry-run"}, prev=prev, unit=unit, now=now,
                   objection_days=registry.settings.objection_lapse_days,
                   advance_notice_days=registry.settings.advance_notice_lapse_days)
        app["id"] = await repo.insert_application(uow.session, fields=app)
        await repo.add_history(uow.session, application_id=app["id"], action="submitted", from_status=None,
                               to_status="submitted", actor=actor.subject, office=office)
        uow.record(application_event(app, step="submitted", actor=actor.subject,
                                     extra={"unit_code": unit["code"], "filed_on_behalf": channel == "counter"}))
        app = await repo.get_application(uow.session, application_id=app["id"])
        await uow.commit()
    return app


async def add_document(
    *, registry: Registry, application_id: str, kind: str, filename: str, media_type: str, content: bytes,
    actor: Principal,
) -> dict[str, Any]:
    """Store an uploaded document with its SHA-256 while the application awaits acceptance."""
    if not content:
        raise DocumentInvalid("上传的文件为空")
    if len(content) > registry.settings.max_document_bytes:
        raise DocumentInvalid(f"文件超过 {registry.settings.max_document_bytes} 字节上限")
    if not kind or len(kind) > 60:
        raise DocumentInvalid("材料类型 (kind) 不合法")
    digest = hashlib.sha256(content).hexdigest()
    async with registry.uow() as uow:
        app = await load(uow, application_id)
        if not (actor.has_role("registrar") and actor.region == app["receiving_office"]):
            require_applicant(app, actor)
        require_status(app, "submitted", "refused_acceptance", step="补充材料")
        doc = await repo.insert_document(uow.session, application_id=app["id"], kind=kind, filename=filename[:200] or "file",
                                         media_type=media_type[:100] or "application/octet-stream", content=content,
                                         sha256=digest, actor=actor.subject)
        await repo.add_history(uow.session, application_id=app["id"], action="document_added", from_status=app["status"],
                               to_status=app["status"], actor=actor.subject, office=None,
                               note={"document_id": doc["id"], "kind": kind, "sha256": digest})
        uow.record(application_event(app, step="document_added", actor=actor.subject,
                                     extra={"document_id": doc["id"], "kind": kind, "sha256": digest,
                                            "size_bytes": len(content)}))
        await uow.commit()
    return doc


async def resubmit(*, registry: Registry, application_id: str, actor: Principal) -> dict[str, Any]:
    """After 不予受理 the applicant completes the file and submits again."""
    async with registry.uow() as uow:
        app = await load(uow, application_id)
        require_applicant(app, actor)
        require_status(app, "refused_acceptance", step="重新提交")
        app = await transition(uow, app, to="submitted", action="resubmitted", actor=actor.subject, office=None)
        await uow.commit()
    return app


async def withdraw(*, registry: Registry, application_id: str, actor: Principal, reason: str | None) -> dict[str, Any]:
    """撤回: allowed until the book is written."""
    from registry.applications.workflow import void_provisional_entry

    async with registry.uow() as uow:
        app = await load(uow, application_id)
        require_applicant(app, actor)
        require_status(app, *WITHDRAWABLE, step="撤回")
        await void_provisional_entry(uow, app=app, actor=actor.subject)
        app = await transition(uow, app, to="withdrawn", action="withdrawn", actor=actor.subject, office=None,
                               changes={"closed_at": now_utc()}, note={"reason": reason},
                               event_extra={"reason": reason})
        await uow.commit()
    return app
