"""Unit use cases: register a surveyed unit (validated, inside Shanxi, no interior overlap), split, merge."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError

from natres_platform.auth import Principal
from natres_platform.uow import UnitOfWork
from registry.errors import (
    GeometryInvalid,
    GeometryOutsideProvince,
    UnitCodeTaken,
    UnitNotCurrent,
    UnitNotFound,
    UnitOverlap,
)
from registry.events import registry_event
from registry.geo import bbox_of, geojson_text, lock_area
from registry.regions import Regions
from registry.runtime import Registry
from registry.units import repository as repo
from registry.units.kinds import identify
from registry.units.schemas import UnitCreate


def _unit_event_data(unit: dict[str, Any], identity: Any) -> dict[str, Any]:
    return {
        "unit_id": unit["id"],
        "code": identity.code,
        "family": identity.family,
        "kind": identity.kind,
        "layer": identity.layer,
        "county_code": identity.county_code,
        "area_m2": str(unit["area_m2"]),
        "control_lines": [
            {"line_id": h["line_id"], "line_type": h["line_type"], "overlap_m2": str(h["overlap_m2"]), "share": str(h["share"])}
            for h in unit["control_lines"]
        ],
    }


async def _create_in_uow(
    *, uow: UnitOfWork, data: UnitCreate, actor: Principal, regions: Regions, province_bbox: tuple
) -> dict[str, Any]:
    identity = identify(data.code, regions=regions)
    session = uow.session
    # Lock first (the bbox comes from the coordinates), then validate, check and insert in one statement.
    await lock_area(session, layer=identity.layer, bbox=bbox_of(data.geometry))
    try:
        result = await repo.insert_unit(
            session, identity=identity, geojson=geojson_text(data.geometry), province_bbox=province_bbox,
            name=data.name, location=data.location, actor=actor.subject,
        )
    except IntegrityError as exc:
        if "units_code_key" in str(exc.orig):
            raise UnitCodeTaken(f"登记单元代码 {identity.code} 已存在", unit_code=identity.code) from exc
        raise
    except DBAPIError as exc:
        if "geojson" not in str(exc.orig).lower():
            raise
        # ST_GeomFromGeoJSON refused the input outright
        raise GeometryInvalid(f"图形无法解析：{str(exc.orig).splitlines()[0]}", reason="unparseable") from exc
    if result["empty"]:
        raise GeometryInvalid("图形为空", reason="empty")
    if not result["valid"]:
        raise GeometryInvalid(f"图形不合法：{result['reason']}", reason=result["reason"])
    if not result["inside"]:
        xmin, ymin, xmax, ymax = province_bbox
        raise GeometryOutsideProvince(
            f"图形超出山西省范围（近似范围：东经 {xmin}-{xmax}°，北纬 {ymin}-{ymax}°）", province_bbox=list(province_bbox)
        )
    if result["clash_id"]:
        raise UnitOverlap(
            f"与现势登记单元 {result['clash_code']} 存在面状重叠（同一图层 {identity.layer}）",
            other_unit_id=result["clash_id"],
            other_unit_code=result["clash_code"],
            layer=identity.layer,
        )
    unit = {
        "id": result["id"],
        "code": identity.code,
        "family": identity.family,
        "kind": identity.kind,
        "layer": identity.layer,
        "county_code": identity.county_code,
        "status": "current",
        "area_m2": Decimal(result["area_m2"]),
        "name": data.name,
        "location": data.location,
        "in_trade_listing_id": None,
        "created_at": result["created_at"],
        "control_lines": result["lines"],
        "geometry": data.geometry.model_dump(exclude_none=True),
    }
    uow.record(
        registry_event(
            type="unit.registered",
            subject=unit["id"],
            data=_unit_event_data(unit, identity),
            actor=actor.subject,
            region=identity.county_code,
        )
    )
    return unit


async def create_unit(*, registry: Registry, data: UnitCreate, actor: Principal) -> dict[str, Any]:
    """Register one unit; the overlap check and the insert are serialised per layer and area."""
    async with registry.uow() as uow:
        unit = await _create_in_uow(uow=uow, data=data, actor=actor, regions=registry.regions,
                                    province_bbox=registry.settings.province_bbox)
        await uow.commit()
    registry.tiles.invalidate()
    return unit


async def get_unit(*, registry: Registry, unit_id: str) -> dict[str, Any]:
    """A unit with geometry and control-line hits, or 404."""
    async with registry.uow() as uow:
        unit = await repo.get_unit(uow.session, unit_id=unit_id)
    if unit is None:
        raise UnitNotFound(f"登记单元 {unit_id} 不存在", unit_id=unit_id)
    return unit


async def split_unit(
    *, registry: Registry, unit_id: str, children: list[UnitCreate], actor: Principal
) -> list[dict[str, Any]]:
    """Retire a unit and register its children; lineage records where they came from."""
    regions, province_bbox = registry.regions, registry.settings.province_bbox
    async with registry.uow() as uow:
        parent = await repo.get_unit(uow.session, unit_id=unit_id, with_geometry=False, lock=True)
        if parent is None:
            raise UnitNotFound(f"登记单元 {unit_id} 不存在", unit_id=unit_id)
        if parent["status"] != "current":
            raise UnitNotCurrent(f"登记单元 {parent['code']} 不是现势单元", unit_id=unit_id)
        # The parent leaves the layer first, so the children may take its place.
        await repo.set_status(uow.session, unit_ids=[unit_id], status="historical")
        made = []
        for child in children:
            unit = await _create_in_uow(uow=uow, data=child, actor=actor, regions=regions, province_bbox=province_bbox)
            await repo.add_lineage(uow.session, parent_id=unit_id, child_id=unit["id"], kind="split", actor=actor.subject)
            made.append(unit)
        uow.record(
            registry_event(
                type="unit.lineage_changed",
                subject=unit_id,
                data={"kind": "split", "parent_ids": [unit_id], "child_ids": [u["id"] for u in made]},
                actor=actor.subject,
                region=parent["county_code"],
            )
        )
        await uow.commit()
    registry.tiles.invalidate()
    return made


async def merge_units(
    *, registry: Registry, parent_ids: list[str], child: UnitCreate, actor: Principal
) -> dict[str, Any]:
    """Retire current units and register the merged one."""
    regions, province_bbox = registry.regions, registry.settings.province_bbox
    async with registry.uow() as uow:
        parents = []
        for pid in sorted(set(parent_ids)):
            parent = await repo.get_unit(uow.session, unit_id=pid, with_geometry=False, lock=True)
            if parent is None:
                raise UnitNotFound(f"登记单元 {pid} 不存在", unit_id=pid)
            if parent["status"] != "current":
                raise UnitNotCurrent(f"登记单元 {parent['code']} 不是现势单元", unit_id=pid)
            parents.append(parent)
        await repo.set_status(uow.session, unit_ids=[p["id"] for p in parents], status="historical")
        unit = await _create_in_uow(uow=uow, data=child, actor=actor, regions=regions, province_bbox=province_bbox)
        for p in parents:
            await repo.add_lineage(uow.session, parent_id=p["id"], child_id=unit["id"], kind="merge", actor=actor.subject)
        uow.record(
            registry_event(
                type="unit.lineage_changed",
                subject=unit["id"],
                data={"kind": "merge", "parent_ids": [p["id"] for p in parents], "child_ids": [unit["id"]]},
                actor=actor.subject,
                region=unit["county_code"],
            )
        )
        await uow.commit()
    registry.tiles.invalidate()
    return unit


async def get_lineage(*, registry: Registry, unit_id: str) -> dict[str, Any]:
    """Parents and children of a unit."""
    async with registry.uow() as uow:
        if await repo.get_unit(uow.session, unit_id=unit_id, with_geometry=False) is None:
            raise UnitNotFound(f"登记单元 {unit_id} 不存在", unit_id=unit_id)
        parents, children = await repo.lineage(uow.session, unit_id=unit_id)
    return {"unit_id": unit_id, "parents": parents, "children": children}
