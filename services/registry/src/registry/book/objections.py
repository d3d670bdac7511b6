"""异议 and the lawsuit that keeps it: the court's acceptance notice (受理通知书) recorded on the objection.

民法典 Art. 220: an objection lapses unless its applicant sues within 15 days of its registration.
The registrar records the notice (the document, its court, case number and acceptance date) while
the objection is in force; the book gets a new version whose objection carries the lawsuit and no
lapse date, so it binds until the court's decision is registered. Without a notice the objection
lapses on its own (book/rules.py), and a notice brought afterwards is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from natres_platform.auth import Principal
from registry.admin.calendar import BEIJING, today_beijing
from registry.applications import repository as app_repo
from registry.applications.access import require_competent
from registry.applications.common import load, load_unit, now_utc, require_status
from registry.book import repository as book_repo
from registry.book.effects import BookStateConflict
from registry.book.rules import active_restrictions, is_active
from registry.errors import ApplicationInvalid, ApplicationStateConflict, DocumentInvalid, ObjectionLapsed
from registry.events import registry_event
from registry.runtime import Registry

NOTICE_KIND = "court_acceptance_notice"


def _objection_of(entry: Mapping[str, Any] | None, application_id: str) -> dict[str, Any]:
    for restriction in (entry or {}).get("restrictions") or []:
        if restriction.get("kind") == "objection" and restriction.get("application_id") == application_id:
            return dict(restriction)
    raise BookStateConflict("登记簿中没有该异议登记（已失效或已注销）", application_id=application_id)


def _registered_on(objection: Mapping[str, Any]) -> date:
    return datetime.fromisoformat(str(objection["registered_at"])).astimezone(BEIJING).date()


def keep_objection(objection: Mapping[str, Any], *, lawsuit: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The objection with the lawsuit recorded and no lapse date (raises when it has lapsed already)."""
    if objection.get("lawsuit"):
        raise ApplicationStateConflict("该异议已记载人民法院受理通知书", restriction_id=objection["id"])
    if not is_active(objection, at=now):
        raise ObjectionLapsed(f"异议登记已于 {objection['lapses_at']} 失效，不能再记载起诉受理",
                              lapsed_at=str(objection["lapses_at"]))
    accepted_on = date.fromisoformat(str(lawsuit["accepted_on"]))
    if accepted_on < _registered_on(objection) or accepted_on > today_beijing(now):
        raise ApplicationInvalid("受理日期应在异议登记之日至今天之间", field="accepted_on")
    kept = {k: v for k, v in objection.items() if k not in ("lapses_at", "rank")}
    kept["lawsuit"] = {**lawsuit, "lapse_suspended": objection.get("lapses_at")}
    return kept


async def record_court_acceptance(
    *, registry: Registry, application_id: str, actor: Principal, court: str, case_no: str, accepted_on: date,
    filename: str, media_type: str, content: bytes, now: datetime | None = None,
) -> dict[str, Any]:
    """Record the 受理通知书 on a recorded objection: a new book version; the objection no longer lapses."""
    now = now or now_utc()
    if not content:
        raise DocumentInvalid("受理通知书文件为空")
    if len(content) > registry.settings.max_document_bytes:
        raise DocumentInvalid(f"文件超过 {registry.settings.max_document_bytes} 字节上限")
    if not court.strip() or not case_no.strip():
        raise ApplicationInvalid("须填写受理法院 (court) 与案号 (case_no)")
    digest = hashlib.sha256(content).hexdigest()
    async with registry.uow() as uow:
        app = await load(uow, application_id)
        if app["type"] != "objection":
            raise ApplicationStateConflict("只有异议登记可以记载起诉受理", type=app["type"])
        require_status(app, "recorded", "certified", step="记载起诉受理")
        office = require_competent(principal=actor, unit_county=app["competent_office"], regions=registry.regions,
                                   roles=("registrar",))
        unit = await load_unit(uow, app["unit_id"], lock=True)  # one writer per unit
        prev = await book_repo.latest_entry(uow.session, unit_id=unit["id"])
        objection = _objection_of(prev, application_id)
        doc = await app_repo.insert_document(uow.session, application_id=app["id"], kind=NOTICE_KIND,
                                             filename=filename[:200] or "notice", media_type=media_type[:100],
                                             content=content, sha256=digest, actor=actor.subject)
        lawsuit = {"court": court.strip(), "case_no": case_no.strip(), "accepted_on": accepted_on.isoformat(),
                   "document_id": doc["id"], "document_sha256": digest, "recorded_at": now.isoformat(),
                   "recorded_by": actor.subject}
        kept = keep_objection(objection, lawsuit=lawsuit, now=now)
        others = [{k: v for k, v in r.items() if k != "rank"}
                  for r in active_restrictions(prev.get("restrictions") or [], at=now) if r["id"] != objection["id"]]
        fields = {k: prev.get(k) for k in ("right_type", "holders", "sharing", "term_start", "term_end", "source",
                                           "land_use", "details")}
        fields.update(recorded_state=prev["recorded_state"], registration_type="objection", application_id=app["id"],
                      corrects_entry_id=None, restrictions=[*others, kept])
        entry = await book_repo.append_entry(uow.session, unit_id=unit["id"], fields=fields, recorded_by=actor.subject)
        await app_repo.add_history(uow.session, application_id=app["id"], action="court_acceptance_recorded",
                                   from_status=app["status"], to_status=app["status"], actor=actor.subject,
                                   office=office, note={"court": lawsuit["court"], "case_no": lawsuit["case_no"],
                                                        "accepted_on": lawsuit["accepted_on"], "document_id": doc["id"]})
        uow.record(registry_event(
            type="objection.lawsuit_recorded", subject=unit["id"], actor=actor.subject, region=unit["county_code"],
            data={"unit_id": unit["id"], "application_id": app["id"], "restriction_id": objection["id"],
                  "court": lawsuit["court"], "case_no": lawsuit["case_no"], "accepted_on": lawsuit["accepted_on"],
                  "document_sha256": digest, "book_entry_id": entry["id"], "book_version": entry["version"]},
        ))
        await uow.commit()
    return {"book_entry_id": entry["id"], "book_version": entry["version"], "objection": kept}

