"""SQL for units: reads, status, lineage (registration itself is `registry.register_units`, see registration.py)."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

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


async def record_map_change(session: AsyncSession, *, scope: str) -> None:
    """Every process's tile cache starts again once this transaction commits (maps/changes.py reads the log)."""
    await session.execute(text("INSERT INTO registry.map_changes (scope) VALUES (:s)"), {"s": scope})
