"""Who may see and act on an application: applicant, filer, the offices involved, overseers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from natres_platform.auth import Principal
from natres_platform.errors import Forbidden
from registry.errors import NotYourApplication
from registry.regions import Regions
from registry.zones.rules import Zone, can_receive, competence_decision

OVERSEERS = ("admin", "supervisor", "auditor")


def is_party_to(app: Mapping[str, Any], principal: Principal) -> bool:
    """The applicant or the officer who filed on their behalf."""
    return principal.subject in (app["applicant_subject"], app["filed_by"]) or (
        principal.org_code is not None and principal.org_code == app.get("applicant_org_code")
    )


def require_view(app: Mapping[str, Any], principal: Principal) -> None:
    """Applicant, filer, officials of the receiving or competent office, or an overseer."""
    if is_party_to(app, principal) or principal.has_role(*OVERSEERS):
        return
    if principal.has_role("registrar", "reviewer") and principal.region in (app["receiving_office"], app["competent_office"]):
        return
    raise NotYourApplication("无权查看该申请", application_id=app["id"])


def require_applicant(app: Mapping[str, Any], principal: Principal) -> None:
    """Steps only the applicant side may take (resubmit, withdraw, add documents)."""
    if not is_party_to(app, principal):
        raise NotYourApplication("只有申请人或代为申请的登记人员可以办理", application_id=app["id"])


def require_receiving(*, principal: Principal, unit_county: str, zones: tuple[Zone, ...], regions: Regions) -> str:
    """受理: a registrar of an office sharing an enabled zone with the unit's county; returns the office."""
    principal.require_role("registrar")
    can_receive(office_region=principal.region or "", unit_county=unit_county, zones=zones, regions=regions).raise_if_denied()
    return principal.region or ""


def require_competent(*, principal: Principal, unit_county: str, regions: Regions, roles: tuple[str, ...]) -> str:
    """审核 / 登簿 / 发证: only officials of the unit's own county (条例 Art. 7)."""
    principal.require_role(*roles)
    if not principal.region:
        raise Forbidden("令牌未携带办理机构辖区 (region)")
    competence_decision(office_region=principal.region, unit_county=unit_county, regions=regions).raise_if_denied()
    return principal.region
