"""Units over HTTP: register (地籍调查 result), read, find by location, split / merge, lineage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import TypeAdapter

from natres_platform.auth import Principal
from natres_platform.errors import ValidationFailed
from natres_platform.security import CurrentPrincipal
from registry.dependencies import AdminOrRegistrar, RegistryDep
from registry.units import repository as repo
from registry.units import service
from registry.units.kinds import identify
from registry.units.schemas import (
    LineageRead,
    MergeRequest,
    SplitRequest,
    UnitBatchCreate,
    UnitCreate,
    UnitRead,
    UnitSummary,
)
from registry.zones.rules import competence_decision

router = APIRouter(prefix="/api/v1/units", tags=["units 登记单元"])


def _require_county_office(actor: Principal, county: str, registry) -> None:
    """Registrars survey units of their own county; an admin may load any."""
    if actor.has_role("admin"):
        return
    competence_decision(office_region=actor.region or "", unit_county=county, regions=registry.regions).raise_if_denied()


_UNITS_JSON = TypeAdapter(list[UnitRead])


def _created(units: list[dict]) -> Response:
    """201 with the units serialised once (pydantic), skipping FastAPI's second validation pass."""
    body = _UNITS_JSON.dump_json([UnitRead(**u) for u in units])
    return Response(content=body, status_code=201, media_type="application/json")


def _read(unit: dict) -> UnitRead:
    return UnitRead(**{**unit, "geometry": unit.get("geometry") or _geojson(unit.get("geojson"))})


def _geojson(text: str | None) -> dict | None:
    import json

    return json.loads(text) if text else None


@router.post("", status_code=201, response_model=UnitRead, summary="Register a surveyed unit (registrar of its county, admin)")
async def create(body: UnitCreate, registry: RegistryDep, actor: AdminOrRegistrar) -> UnitRead:
    """422 invalid code / geometry (with ST_IsValidReason) / outside Shanxi; 409 interior overlap naming the other unit."""
    return Response(content=await register_one(registry, body, actor), status_code=201, media_type="application/json")


async def register_one(registry, body: UnitCreate, actor: Principal) -> bytes:
    """The registered unit as JSON (the route and units/fastpath.py both answer with this)."""
    identity = identify(body.code, regions=registry.regions)
    _require_county_office(actor, identity.county_code, registry)
    unit = await service.create_unit(registry=registry, data=body, actor=actor)
    return UnitRead(**unit).model_dump_json().encode()


@router.post("/batch", status_code=201, response_model=list[UnitRead],
             summary="Register a survey import: up to 1,000 units, all or none (registrar of their counties, admin)")
async def create_batch(body: UnitBatchCreate, registry: RegistryDep, actor: AdminOrRegistrar) -> list[UnitRead]:
    """Each unit gets the single-unit checks, and the units of the batch must not overlap each other either.

    422 `unit.batch_rejected` lists every refused unit (`index`, `code` and its own problem `code`:
    unit.overlap, unit.geometry_invalid, ...); nothing is registered then.
    """
    for unit in body.units:
        _require_county_office(actor, identify(unit.code, regions=registry.regions).county_code, registry)
    return _created(await service.create_units(registry=registry, units=body.units, actor=actor))


@router.get("", response_model=list[UnitSummary], summary="Units at a point or in a bbox")
async def find(
    registry: RegistryDep,
    _: CurrentPrincipal,
    point: Annotated[str | None, Query(description="lon,lat")] = None,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[UnitSummary]:
    """Location search (no holder data here; read the book for that)."""
    try:
        p = tuple(float(v) for v in point.split(",")) if point else None
        b = tuple(float(v) for v in bbox.split(",")) if bbox else None
    except ValueError as exc:
        raise ValidationFailed("point 应为 lon,lat；bbox 应为 minx,miny,maxx,maxy") from exc
    if (p is None) == (b is None) or (p and len(p) != 2) or (b and len(b) != 4):
        raise ValidationFailed("须且只须给出 point=lon,lat 或 bbox=minx,miny,maxx,maxy 之一")
    async with registry.uow() as uow:
        rows = await repo.find_units(uow.session, point=p, bbox=b, limit=limit)
    return [UnitSummary(**r) for r in rows]


@router.get("/{unit_id}", response_model=UnitRead, summary="One unit with geometry and control lines")
async def get(unit_id: str, registry: RegistryDep, _: CurrentPrincipal) -> UnitRead:
    """404 when unknown."""
    return _read(await service.get_unit(registry=registry, unit_id=unit_id))


@router.get("/{unit_id}/lineage", response_model=LineageRead, summary="Split / merge lineage")
async def lineage(unit_id: str, registry: RegistryDep, _: CurrentPrincipal) -> LineageRead:
    """Parents and children."""
    return LineageRead(**await service.get_lineage(registry=registry, unit_id=unit_id))


@router.post("/{unit_id}/split", status_code=201, response_model=list[UnitRead], summary="Split a unit")
async def split(unit_id: str, body: SplitRequest, registry: RegistryDep, actor: AdminOrRegistrar) -> list[UnitRead]:
    """The parent becomes historical; children are registered with the usual checks."""
    for child in body.children:
        _require_county_office(actor, identify(child.code, regions=registry.regions).county_code, registry)
    return [_read(u) for u in await service.split_unit(registry=registry, unit_id=unit_id, children=body.children, actor=actor)]


@router.post("/merge", status_code=201, response_model=UnitRead, summary="Merge units")
async def merge(body: MergeRequest, registry: RegistryDep, actor: AdminOrRegistrar) -> UnitRead:
    """Parents become historical; the merged unit is registered with the usual checks."""
    _require_county_office(actor, identify(body.child.code, regions=registry.regions).county_code, registry)
    return _read(await service.merge_units(registry=registry, parent_ids=body.parent_ids, child=body.child, actor=actor))
