"""Reading the book: own records freely; someone else's with an authorised role or a stated purpose (查询留痕)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from natres_platform.auth import Principal
from registry.book import repository as book_repo
from registry.book.rules import RESTRICTION_LABELS, present_entry
from registry.errors import PurposeRequired, UnitNotFound
from registry.events import registry_event
from registry.runtime import Registry
from registry.units import repository as units_repo

AUTHORISED_ROLES = ("registrar", "reviewer", "admin", "supervisor", "auditor")


def holds(entry: dict[str, Any] | None, principal: Principal) -> bool:
    """Whether the caller is a holder named in the entry (by account or credit code)."""
    if entry is None:
        return False
    for h in entry.get("holders") or []:
        if h.get("subject") == principal.subject or (principal.org_code and h.get("org_code") == principal.org_code):
            return True
    return False


def _decide(principal: Principal, latest: dict[str, Any] | None, purpose: str | None) -> str | None:
    """None for one's own record; else the purpose to log (raises when neither role nor purpose)."""
    if holds(latest, principal):
        return None
    purpose = (purpose or "").strip()
    if purpose:
        return purpose
    if principal.has_role(*AUTHORISED_ROLES):
        role = next(r for r in AUTHORISED_ROLES if principal.has_role(r))
        return f"official:{role}"
    raise PurposeRequired("查询他人的登记资料须说明查询目的（purpose），且仅限权利人、利害关系人（民法典第二百一十八、二百一十九条）")


async def read_book(
    *, registry: Registry, unit_id: str, principal: Principal, purpose: str | None, as_of: datetime | None
) -> dict[str, Any]:
    """The unit's book (as of an instant if asked): versions with states, holders masked, restrictions in force."""
    now = datetime.now(UTC)
    at = as_of or now
    async with registry.uow() as uow:
        unit = await units_repo.get_unit(uow.session, unit_id=unit_id, with_geometry=False)
        if unit is None:
            raise UnitNotFound(f"登记单元 {unit_id} 不存在", unit_id=unit_id)
        current = await book_repo.latest_entry(uow.session, unit_id=unit_id)
        logged = _decide(principal, current, purpose)
        entries = await book_repo.entries(uow.session, unit_id=unit_id, as_of=as_of)
        if logged is not None:
            uow.record(registry_event(
                type="record.viewed", subject=unit_id,
                data={"unit_id": unit_id, "unit_code": unit["code"], "viewer": principal.subject, "purpose": logged,
                      "viewer_roles": sorted(principal.roles), "as_of": as_of.isoformat() if as_of else None},
                actor=principal.subject, region=unit["county_code"],
            ))
            await uow.commit()
    latest_version = entries[-1]["version"] if entries else 0
    shown = [present_entry(e, latest_version=latest_version, at=at) for e in entries]
    current_entry = shown[-1] if shown else None
    restrictions = list(current_entry["restrictions"]) if current_entry else []
    if unit["in_trade_listing_id"] and as_of is None:
        restrictions.append({"kind": "in_trade", "label": RESTRICTION_LABELS["in_trade"],
                             "listing_id": unit["in_trade_listing_id"]})
    return {
        "unit": {k: unit[k] for k in ("id", "code", "kind", "layer", "county_code", "status", "area_m2", "location",
                                      "in_trade_listing_id", "control_lines")},
        "as_of": as_of,
        "current": current_entry,
        "restrictions": restrictions,
        "entries": shown,
        "view_logged": logged is not None,
        "purpose": logged,
    }


async def my_records(*, registry: Registry, principal: Principal) -> list[dict[str, Any]]:
    """The units the caller holds (citizens and enterprises see only their own)."""
    now = datetime.now(UTC)
    async with registry.uow() as uow:
        rows = await book_repo.units_held_by(uow.session, subject=principal.subject, org_code=principal.org_code,
                                             id_number=None)
    return [{"unit_code": r["unit_code"], "unit_kind": r["unit_kind"],
             **present_entry(r, latest_version=r["version"], at=now)} for r in rows]


async def records_by_holder(
    *, registry: Registry, principal: Principal, id_number: str | None, name: str | None, org_code: str | None,
    purpose: str | None,
) -> list[dict[str, Any]]:
    """Officials search by holder id number, credit code or name; each unit found is a logged view."""
    if not principal.has_role(*AUTHORISED_ROLES):
        return await my_records(registry=registry, principal=principal)
    now = datetime.now(UTC)
    logged = (purpose or "").strip() or f"official:{next(r for r in AUTHORISED_ROLES if principal.has_role(r))}"
    async with registry.uow() as uow:
        rows = await book_repo.units_held_by(uow.session, subject=None, org_code=org_code, id_number=id_number, name=name)
        for r in rows:
            uow.record(registry_event(
                type="record.viewed", subject=r["unit_id"],
                data={"unit_id": r["unit_id"], "unit_code": r["unit_code"], "viewer": principal.subject,
                      "purpose": logged, "viewer_roles": sorted(principal.roles), "query": "by_holder"},
                actor=principal.subject, region=None,
            ))
        await uow.commit()
    return [{"unit_code": r["unit_code"], "unit_kind": r["unit_kind"],
             **present_entry(r, latest_version=r["version"], at=now)} for r in rows]
