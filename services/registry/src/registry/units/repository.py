"""SQL for units: insert with the interior-overlap check, control-line hits, reads, lineage."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from registry.units.kinds import UnitIdentity

# One statement: validate (ST_IsValid with the reason; inside the province), find a current unit
# of the layer whose interior overlaps the new one (DE-9IM 2******** = the interiors meet in an
# area: touching edges do not count, a bbox hit alone does not either), insert only when all is
# well, record the control lines the unit's interior overlaps, and notify the tile caches.
# The caller holds the area lock, so the check and the insert cannot race.
_INSERT_SQL = text(
    """
    WITH g AS (SELECT ST_Multi(ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(:gj), 4490))) AS geom),
    chk AS (
        SELECT ST_IsValid(g.geom) AS valid, ST_IsEmpty(g.geom) AS empty,
               ST_CoveredBy(g.geom, ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4490)) AS inside
        FROM g
    ),
    clash AS (
        SELECT u.id, u.code FROM registry.units u, g, chk
        WHERE chk.valid AND NOT chk.empty AND chk.inside
          AND u.layer = :layer AND u.status = 'current' AND u.geom && g.geom
          AND (CAST(:parcel_prefix AS text) IS NULL OR left(u.code, 19) <> :parcel_prefix)
          AND ST_Relate(u.geom, g.geom, '2********')
        LIMIT 1
    ),
    ins AS (
        INSERT INTO registry.units (id, code, layer, kind, county_code, geom, area_m2, status, resource_type,
                                    name, location, created_by)
        SELECT :id, :code, :layer, :kind, :county, g.geom, round(ST_Area(g.geom::geography)::numeric, 2), 'current',
               :resource_type, :name, :location, :actor
        FROM g, chk WHERE chk.valid AND NOT chk.empty AND chk.inside AND NOT EXISTS (SELECT 1 FROM clash)
        RETURNING id, created_at, area_m2
    ),
    lines AS (
        INSERT INTO registry.unit_control_lines (unit_id, line_id, line_type, overlap_m2, share)
        SELECT ins.id, cl.id, cl.line_type, x.overlap, round(x.overlap / greatest(ins.area_m2, 0.01), 6)
        FROM ins, g, registry.control_lines cl,
             LATERAL (SELECT round(ST_Area(ST_Intersection(cl.geom, g.geom)::geography)::numeric, 2) AS overlap) x
        WHERE cl.geom && g.geom AND ST_Relate(cl.geom, g.geom, '2********')
        RETURNING line_id, line_type, overlap_m2, share
    )
    SELECT chk.valid, chk.empty, chk.inside,
           CASE WHEN NOT chk.valid THEN (SELECT ST_IsValidReason(geom) FROM g) END AS reason,
           (SELECT id::text FROM clash) AS clash_id, (SELECT code FROM clash) AS clash_code,
           (SELECT created_at FROM ins) AS created_at, (SELECT area_m2 FROM ins) AS area_m2,
           (SELECT coalesce(json_agg(json_build_object('line_id', line_id::text, 'line_type', line_type,
                    'overlap_m2', overlap_m2, 'share', share)), '[]') FROM lines) AS lines,
           pg_notify('registry_map', :layer) AS notified
    FROM chk
    """
)


async def insert_unit(
    session: AsyncSession,
    *,
    identity: UnitIdentity,
    geojson: str,
    province_bbox: tuple[float, float, float, float],
    name: str | None,
    location: str | None,
    actor: str,
) -> dict[str, Any]:
    """Validate and insert unless it overlaps; returns the row of checks, ids and control-line hits."""
    unit_id = str(uuid.uuid4())
    xmin, ymin, xmax, ymax = province_bbox
    row = (
        await session.execute(
            _INSERT_SQL,
            {
                "gj": geojson,
                "xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax,
                "id": unit_id,
                "code": identity.code,
                "layer": identity.layer,
                "kind": identity.kind,
                "county": identity.county_code,
                "resource_type": identity.resource_type,
                "parcel_prefix": identity.parcel_prefix,
                "name": name,
                "location": location,
                "actor": actor,
            },
        )
    ).mappings().one()
    return {"id": unit_id, **row}


_UNIT_COLUMNS = """
    u.id::text AS id, u.code, u.kind, u.layer, u.county_code, u.status, u.area_m2, u.name, u.location,
    u.in_trade_listing_id, u.created_at, u.resource_type
"""


async def get_unit(session: AsyncSession, *, unit_id: str, with_geometry: bool = True, lock: bool = False) -> dict | None:
    """One unit by id (optionally locked FOR UPDATE), with its control-line hits."""
    try:
        uuid.UUID(unit_id)
    except ValueError:
        return None
    geom = ", ST_AsGeoJSON(u.geom, 9)::text AS geojson" if with_geometry else ""
    sql = f"SELECT {_UNIT_COLUMNS}{geom} FROM registry.units u WHERE u.id = :id"
    if lock:
        sql += " FOR UPDATE"
    row = (await session.execute(text(sql), {"id": unit_id})).mappings().first()
    if row is None:
        return None
    unit = dict(row)
    unit["family"] = "natural_resource" if unit["resource_type"] else "real_estate"
    unit["control_lines"] = await control_line_hits(session, unit_id=unit_id)
    return unit


async def get_unit_by_code(session: AsyncSession, *, code: str) -> dict | None:
    """One unit by code."""
    unit_id = await session.scalar(text("SELECT id::text FROM registry.units WHERE code = :c"), {"c": code})
    return await get_unit(session, unit_id=unit_id) if unit_id else None


async def control_line_hits(session: AsyncSession, *, unit_id: str) -> list[dict]:
    """The control lines a unit overlaps."""
    rows = await session.execute(
        text(
            "SELECT h.line_id::text AS line_id, h.line_type, cl.name, h.overlap_m2, h.share "
            "FROM registry.unit_control_lines h JOIN registry.control_lines cl ON cl.id = h.line_id "
            "WHERE h.unit_id = :id ORDER BY h.line_type, cl.name"
        ),
        {"id": unit_id},
    )
    return [dict(r) for r in rows.mappings()]


async def find_units(
    session: AsyncSession,
    *,
    point: tuple[float, float] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    limit: int = 100,
) -> list[dict]:
    """Current and past units containing a point or intersecting a bbox."""
    if point is not None:
        where, params = "ST_Intersects(u.geom, ST_SetSRID(ST_MakePoint(:x, :y), 4490))", {"x": point[0], "y": point[1]}
    elif bbox is not None:
        where = "u.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490)"
        params = dict(zip(("x0", "y0", "x1", "y1"), bbox))
    else:
        raise ValueError("point or bbox required")
    rows = await session.execute(
        text(f"SELECT {_UNIT_COLUMNS} FROM registry.units u WHERE {where} ORDER BY u.code LIMIT :limit"),
        {**params, "limit": limit},
    )
    return [dict(r) for r in rows.mappings()]


async def set_status(session: AsyncSession, *, unit_ids: list[str], status: str) -> None:
    """Change the status of units (split / merge retire the parents)."""
    await session.execute(
        text("UPDATE registry.units SET status = :s, updated_at = now() WHERE id = ANY(CAST(:ids AS uuid[]))"),
        {"s": status, "ids": unit_ids},
    )


async def add_lineage(session: AsyncSession, *, parent_id: str, child_id: str, kind: str, actor: str) -> None:
    """Record that `child` came from `parent`."""
    await session.execute(
        text(
            "INSERT INTO registry.unit_lineage (parent_id, child_id, kind, created_by) "
            "VALUES (:p, :c, :k, :a) ON CONFLICT DO NOTHING"
        ),
        {"p": parent_id, "c": child_id, "k": kind, "a": actor},
    )


async def lineage(session: AsyncSession, *, unit_id: str) -> tuple[list[dict], list[dict]]:
    """Parents and children of a unit."""
    parents = await session.execute(
        text(
            "SELECT u.id::text AS id, u.code, l.kind FROM registry.unit_lineage l "
            "JOIN registry.units u ON u.id = l.parent_id WHERE l.child_id = :id ORDER BY u.code"
        ),
        {"id": unit_id},
    )
    children = await session.execute(
        text(
            "SELECT u.id::text AS id, u.code, l.kind FROM registry.unit_lineage l "
            "JOIN registry.units u ON u.id = l.child_id WHERE l.parent_id = :id ORDER BY u.code"
        ),
        {"id": unit_id},
    )
    return [dict(r) for r in parents.mappings()], [dict(r) for r in children.mappings()]


async def notify_map_change(session: AsyncSession, *, layer: str) -> None:
    """Tell every process's tile cache (LISTEN registry_map) once this transaction commits."""
    await session.execute(text("SELECT pg_notify('registry_map', :layer)"), {"layer": layer})
