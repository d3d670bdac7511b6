"""Registering surveyed units: one call of `registry.register_units` per request, a batch all or nothing.

Python does what needs no database: the code (family, kind, layer, county), the bbox and its lock
cells, and the `unit.registered` event, checked against its contract before anything is written.
The database function then, in one round trip, takes the locks, validates the geometry
(ST_IsValidReason, inside the province), checks the interior-overlap rule against current units
and within the batch, inserts the units, their control-line hits and the outbox rows (filling in
the area and hits it computed) and the map change the tile caches follow.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from natres_platform.auth import Principal
from natres_platform.events import CloudEvent, SchemaRegistry
from registry.errors import GeometryInvalid, GeometryOutsideProvince, UnitBatchRejected, UnitCodeTaken, UnitOverlap
from registry.events import registry_event
from registry.geo import bbox_of, geojson_text, lock_cells
from registry.regions import Regions
from registry.units.kinds import UnitIdentity, identify
from registry.units.schemas import UnitCreate

_PARAMS = ("ids", "codes", "layers", "kinds", "counties", "resource_types", "parcel_prefixes", "names", "locations",
           "geojson", "events", "actors", "layer_keys", "layer_exclusive", "cell_keys", "cells", "province", "topic",
           "each")
_TYPES = ("uuid[]", "text[]", "text[]", "text[]", "text[]", "text[]", "text[]", "text[]", "text[]", "text[]", "text[]",
          "text[]", "text[]", "boolean[]", "text[]", "int[]", "float8[]", "text", "boolean")
_COLUMNS = "idx, outcome, reason, other_id, other_code, created_at, area_m2, lines::text AS lines"
# asyncpg ($n) for the autocommit fast path; SQLAlchemy (:name) inside a unit of work (split / merge).
CALL_POSITIONAL = (f"SELECT {_COLUMNS} FROM registry.register_units("
                   + ", ".join(f"${i}::{t}" for i, t in enumerate(_TYPES, start=1)) + ")")
CALL_NAMED = text(f"SELECT {_COLUMNS} FROM registry.register_units("
                  + ", ".join(f"CAST(:{p} AS {t})" for p, t in zip(_PARAMS, _TYPES)) + ")")


@dataclass(frozen=True)
class Planned:
    """One unit ready for the database: identity, geometry text and bbox, its checked event, who registers it."""

    id: str
    identity: UnitIdentity
    data: UnitCreate
    geojson: str
    bbox: tuple[float, float, float, float]
    event: CloudEvent
    actor: str


def plan(units: Sequence[UnitCreate], *, regions: Regions, schemas: SchemaRegistry, actor: Principal) -> list[Planned]:
    """Validate codes and build each unit's event (area and control lines are filled in by the database)."""
    planned = []
    for data in units:
        identity = identify(data.code, regions=regions)
        unit_id = str(uuid.uuid4())
        event = registry_event(
            type="unit.registered", subject=unit_id, actor=actor.subject, region=identity.county_code,
            data={"unit_id": unit_id, "code": identity.code, "family": identity.family, "kind": identity.kind,
                  "layer": identity.layer, "county_code": identity.county_code, "area_m2": "0", "control_lines": []},
        )
        schemas.validate(event)
        bbox = bbox_of(data.geometry)
        if not all(math.isfinite(v) for v in bbox):  # JSON parsers accept Infinity / NaN
            raise GeometryInvalid("坐标须为有限数值", reason="non_finite", unit_code=identity.code)
        planned.append(Planned(unit_id, identity, data, geojson_text(data.geometry), bbox, event,
                               actor.subject))
    return planned


def _locks(planned: Sequence[Planned]) -> tuple[list[str], list[bool], list[str], list[int]]:
    """Layer keys (exclusive when a unit is too big for cells) then (key, cell) pairs, each in one global order."""
    exclusive: dict[str, bool] = {}
    cells: set[tuple[str, int]] = set()
    for p in planned:
        key = f"units:{p.identity.layer}"
        ids = lock_cells(p.bbox)
        exclusive[key] = exclusive.get(key, False) or ids is None
        cells.update((key, c) for c in ids or ())
    keys = sorted(exclusive)
    pairs = sorted((k, c) for k, c in cells if not exclusive[k])
    return keys, [exclusive[k] for k in keys], [k for k, _ in pairs], [c for _, c in pairs]


def changed_area(planned: Sequence[Planned]) -> tuple[float, float, float, float]:
    """The bbox of the batch: tile caches drop only the unit tiles over it."""
    return (min(p.bbox[0] for p in planned), min(p.bbox[1] for p in planned),
            max(p.bbox[2] for p in planned), max(p.bbox[3] for p in planned))


def arguments(planned: Sequence[Planned], *, province_bbox: Sequence[float], topic: str, each: bool = False) -> list[Any]:
    """The function's arguments, in order (`each`: register every unit that passes, else all or none)."""
    ident = [p.identity for p in planned]
    keys, exclusive, cell_keys, cells = _locks(planned)
    return [
        [uuid.UUID(p.id) for p in planned], [i.code for i in ident], [i.layer for i in ident], [i.kind for i in ident],
        [i.county_code for i in ident], [i.resource_type for i in ident], [i.parcel_prefix for i in ident],
        [p.data.name for p in planned], [p.data.location for p in planned], [p.geojson for p in planned],
        [json.dumps(p.event.to_dict(), ensure_ascii=False) for p in planned], [p.actor for p in planned],
        keys, exclusive, cell_keys, cells, list(province_bbox), topic, each,
    ]


async def call_on_connection(conn: asyncpg.Connection, args: list[Any]) -> list[dict[str, Any]]:
    """One round trip; with autocommit this is the whole transaction."""
    try:
        return [dict(r) for r in await conn.fetch(CALL_POSITIONAL, *args)]
    except asyncpg.UniqueViolationError as exc:  # the same code registered concurrently elsewhere
        raise UnitCodeTaken(f"登记单元代码已存在：{exc.detail or exc}") from exc
    except asyncpg.PostgresError as exc:
        if "geojson" in str(exc).lower():
            raise GeometryInvalid(f"图形无法解析：{str(exc).splitlines()[0]}", reason="unparseable") from exc
        raise


async def call_in_session(session: AsyncSession, args: list[Any]) -> list[dict[str, Any]]:
    """Inside an open unit of work: the locks and rows belong to its transaction."""
    params = dict(zip(_PARAMS, args))
    params["ids"] = [str(i) for i in params["ids"]]
    return [dict(r) for r in (await session.execute(CALL_NAMED, params)).mappings()]


def problem_of(p: Planned, row: dict[str, Any], planned: Sequence[Planned], province_bbox: Sequence[float]) -> Exception:
    """The error a refused unit gets (naming the other unit of its batch where that is the reason)."""
    outcome, code, layer = row["outcome"], p.identity.code, p.identity.layer
    if outcome == "empty":
        return GeometryInvalid("图形为空", reason="empty")
    if outcome == "invalid":
        return GeometryInvalid(f"图形不合法：{row['reason']}", reason=row["reason"])
    if outcome == "outside":
        xmin, ymin, xmax, ymax = province_bbox
        return GeometryOutsideProvince(f"图形超出山西省范围（近似范围：东经 {xmin}-{xmax}°，北纬 {ymin}-{ymax}°）",
                                       province_bbox=list(province_bbox))
    if outcome == "code_taken":
        return UnitCodeTaken(f"登记单元代码 {code} 已存在", unit_code=code)
    if outcome == "code_repeated":
        return UnitCodeTaken(f"登记单元代码 {code} 在本批中重复（第 {row['other_id']} 项）", unit_code=code,
                             other_index=int(row["other_id"]) - 1)
    if outcome == "overlap_in_batch":
        other = planned[int(row["other_id"]) - 1]
        return UnitOverlap(f"与本批第 {row['other_id']} 项 {other.identity.code} 存在面状重叠（同一图层 {layer}）",
                           other_index=int(row["other_id"]) - 1, other_unit_code=other.identity.code, layer=layer)
    return UnitOverlap(f"与现势登记单元 {row['other_code']} 存在面状重叠（同一图层 {layer}）",
                       other_unit_id=row["other_id"], other_unit_code=row["other_code"], layer=layer)


def results(planned: Sequence[Planned], rows: list[dict[str, Any]], *, province_bbox: Sequence[float]) -> list[dict[str, Any]]:
    """The registered units, or the error: the unit's own for one, every refused item for a batch."""
    refused = [(p, r) for p, r in zip(planned, rows) if r["outcome"] != "ok"]
    if refused and len(planned) == 1:
        raise problem_of(refused[0][0], refused[0][1], planned, province_bbox)
    if refused:
        items = []
        for p, r in refused:
            problem = problem_of(p, r, planned, province_bbox)
            items.append({"index": r["idx"] - 1, "code": p.identity.code,
                          **{k: v for k, v in problem.to_problem().items() if k not in ("type", "title", "status")}})
        raise UnitBatchRejected(f"本批 {len(planned)} 个登记单元中有 {len(items)} 个不能登记，全部未登记", items=items)
    return [unit_of(p, r) for p, r in zip(planned, rows)]


def unit_of(p: Planned, row: dict[str, Any]) -> dict[str, Any]:
    """The registered unit as the API returns it."""
    i = p.identity
    return {
        "id": p.id, "code": i.code, "family": i.family, "kind": i.kind, "layer": i.layer, "county_code": i.county_code,
        "status": "current", "area_m2": Decimal(row["area_m2"]), "name": p.data.name, "location": p.data.location,
        "in_trade_listing_id": None, "created_at": row["created_at"], "control_lines": json.loads(row["lines"]),
        "geometry": p.data.geometry.model_dump(exclude_none=True),
    }
