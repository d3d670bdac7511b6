"""Unit use cases: register surveyed units (validated, inside Shanxi, no interior overlap), split, merge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from natres_platform.auth import Principal
from natres_platform.uow import UnitOfWork
from registry.book import repository as book_repo
from registry.errors import UnitNotCurrent, UnitNotFound
from registry.events import registry_event
from registry.runtime import Registry
from registry.units import repository as repo
from registry.units.lineage import carried_fields, check_parent, child_entry, closing_entry
from registry.units.registration import arguments, call_in_session, call_on_connection, changed_area, plan, results
from registry.units.schemas import UnitCreate


async def create_units(*, registry: Registry, units: Sequence[UnitCreate], actor: Principal) -> list[dict[str, Any]]:
    """A survey batch in one autocommit call: every unit, or none (each refusal listed)."""
    planned = plan(units, regions=registry.regions, schemas=registry.ctx.schemas, actor=actor)
    args = arguments(planned, province_bbox=registry.settings.province_bbox, topic=registry.settings.topic)
    pool = await registry.pg.get()
    async with pool.acquire() as conn:
        rows = await call_on_connection(conn, args)
    made = results(planned, rows, province_bbox=registry.settings.province_bbox)
    registry.tiles.changed(changed_area(planned))  # this process at once; the others from registry.map_changes
    return made


async def create_unit(*, registry: Registry, data: UnitCreate, actor: Principal) -> dict[str, Any]:
    """Register one unit, together with whatever other single registrations arrive meanwhile (units/grouping.py)."""
    [planned] = plan([data], regions=registry.regions, schemas=registry.ctx.schemas, actor=actor)
    unit = await registry.registrations.register(planned)
    registry.tiles.changed(changed_area([planned]))
    return unit


async def _register_in_uow(*, registry: Registry, uow: UnitOfWork, units: Sequence[UnitCreate], actor: Principal
                           ) -> list[dict[str, Any]]:
    """The same registration inside an open transaction (split / merge): its locks and rows are the caller's."""
    planned = plan(units, regions=registry.regions, schemas=registry.ctx.schemas, actor=actor)
    args = arguments(planned, province_bbox=registry.settings.province_bbox, topic=registry.settings.topic)
    rows = await call_in_session(uow.session, args)
    return results(planned, rows, province_bbox=registry.settings.province_bbox)


async def get_unit(*, registry: Registry, unit_id: str) -> dict[str, Any]:
    """A unit with geometry and control-line hits, or 404."""
    async with registry.uow() as uow:
        unit = await repo.get_unit(uow.session, unit_id=unit_id)
    if unit is None:
        raise UnitNotFound(f"登记单元 {unit_id} 不存在", unit_id=unit_id)
    return unit


async def _close_parents(*, uow: UnitOfWork, kind: str, parents: list[tuple[dict, dict | None]], made: list[dict],
                         actor: Principal, now: datetime) -> list[str]:
    """Carry the parents' rights into the children's first entries and close the parents' books."""
    carried = carried_fields(kind=kind, parents=parents, now=now)
    entry_ids = []
    for unit, _ in parents:
        for child in made:
            await repo.add_lineage(uow.session, parent_id=unit["id"], child_id=child["id"], kind=kind,
                                   actor=actor.subject)
    if carried is None:
        return entry_ids
    for child in made:
        entry = await book_repo.append_entry(uow.session, unit_id=child["id"], fields=child_entry(carried, child),
                                             recorded_by=actor.subject)
        entry_ids.append(entry["id"])
    for unit, prev in parents:
        await book_repo.append_entry(uow.session, unit_id=unit["id"], recorded_by=actor.subject,
                                     fields=closing_entry(kind=kind, parent_entry=prev, children=made, now=now))
    return entry_ids


async def _retire(uow: UnitOfWork, unit_ids: list[str], *, kind: str, now: datetime) -> list[tuple[dict, dict | None]]:
    """Lock the parents (in id order), check they may be split / merged, take them off the layer."""
    parents = []
    for pid in sorted(set(unit_ids)):
        unit = await repo.get_unit(uow.session, unit_id=pid, with_geometry=False, lock=True)
        if unit is None:
            raise UnitNotFound(f"登记单元 {pid} 不存在", unit_id=pid)
        if unit["status"] != "current":
            raise UnitNotCurrent(f"登记单元 {unit['code']} 不是现势单元", unit_id=pid)
        prev = await book_repo.latest_entry(uow.session, unit_id=pid)
        check_parent(unit, prev, now=now, kind=kind)
        parents.append((unit, prev))
    # The parents leave the layer first, so the children may take their place.
    await repo.set_status(uow.session, unit_ids=[u["id"] for u, _ in parents], status="historical")
    return parents


async def _lineage_change(*, registry: Registry, kind: str, parent_ids: list[str], children: list[UnitCreate],
                          actor: Principal) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    async with registry.uow() as uow:
        parents = await _retire(uow, parent_ids, kind=kind, now=now)
        made = await _register_in_uow(registry=registry, uow=uow, units=children, actor=actor)
        entry_ids = await _close_parents(uow=uow, kind=kind, parents=parents, made=made, actor=actor, now=now)
        # The parents left the map too, wherever they were: every tile cache starts again.
        await repo.record_map_change(uow.session, scope="units")
        subject = parents[0][0] if kind == "split" else made[0]
        uow.record(registry_event(
            type="unit.lineage_changed", subject=subject["id"], actor=actor.subject, region=subject["county_code"],
            data={"kind": kind, "parent_ids": [u["id"] for u, _ in parents], "child_ids": [u["id"] for u in made],
                  "carried_entry_ids": entry_ids},
        ))
        await uow.commit()
    registry.tiles.invalidate()
    return made


async def split_unit(
    *, registry: Registry, unit_id: str, children: list[UnitCreate], actor: Principal
) -> list[dict[str, Any]]:
    """Retire a unit and register its children, which carry its rights; lineage records where they came from."""
    return await _lineage_change(registry=registry, kind="split", parent_ids=[unit_id], children=children, actor=actor)


async def merge_units(
    *, registry: Registry, parent_ids: list[str], child: UnitCreate, actor: Principal
) -> dict[str, Any]:
    """Retire current units whose rights agree and register the merged one carrying them."""
    made = await _lineage_change(registry=registry, kind="merge", parent_ids=parent_ids, children=[child], actor=actor)
    return made[0]


async def get_lineage(*, registry: Registry, unit_id: str) -> dict[str, Any]:
    """Parents and children of a unit."""
    async with registry.uow() as uow:
        if await repo.get_unit(uow.session, unit_id=unit_id, with_geometry=False) is None:
            raise UnitNotFound(f"登记单元 {unit_id} 不存在", unit_id=unit_id)
        parents, children = await repo.lineage(uow.session, unit_id=unit_id)
    return {"unit_id": unit_id, "parents": parents, "children": children}
