"""Book queries: a unit's book (as of any instant), by code, my records, by holder."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from natres_platform.security import CurrentPrincipal
from registry.dependencies import RegistryDep
from registry.errors import UnitNotFound
from registry.queries import service
from registry.units import repository as units_repo

router = APIRouter(prefix="/api/v1", tags=["book 登记簿"])
Purpose = Annotated[str | None, Query(max_length=500, description="查询目的: required for someone else's record")]


@router.get("/units/{unit_id}/book", summary="A unit's register book (append-only versions)")
async def book(
    unit_id: str,
    registry: RegistryDep,
    principal: CurrentPrincipal,
    purpose: Purpose = None,
    as_of: Annotated[datetime | None, Query(description="RFC 3339 instant: the book as it stood then")] = None,
) -> dict[str, Any]:
    """Holders read their own; others need an authorised role or a purpose, and the view is logged."""
    return await service.read_book(registry=registry, unit_id=unit_id, principal=principal, purpose=purpose, as_of=as_of)


@router.get("/book/by-code/{code}", summary="A unit's book by unit code")
async def book_by_code(code: str, registry: RegistryDep, principal: CurrentPrincipal, purpose: Purpose = None) -> dict[str, Any]:
    """Same rules as by id."""
    async with registry.uow() as uow:
        unit = await units_repo.get_unit_by_code(uow.session, code=code)
    if unit is None:
        raise UnitNotFound(f"单元代码 {code} 不存在", unit_code=code)
    return await service.read_book(registry=registry, unit_id=unit["id"], principal=principal, purpose=purpose, as_of=None)


@router.get("/book/mine", summary="Units I hold (current state)")
async def mine(registry: RegistryDep, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Matched by account subject or the enterprise's credit code."""
    return await service.my_records(registry=registry, principal=principal)


@router.get("/book/by-holder", summary="Search by holder (officials; citizens get their own records)")
async def by_holder(
    registry: RegistryDep,
    principal: CurrentPrincipal,
    id_number: Annotated[str | None, Query(max_length=40)] = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
    org_code: Annotated[str | None, Query(max_length=40)] = None,
    purpose: Purpose = None,
) -> list[dict[str, Any]]:
    """Every unit returned to an official is a logged view (registry.record.viewed.v1)."""
    return await service.records_by_holder(registry=registry, principal=principal, id_number=id_number, name=name,
                                           org_code=org_code, purpose=purpose)
