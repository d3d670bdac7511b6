"""SQL of the map: features as GeoJSON, and vector tiles from ST_AsMVT."""

from __future__ import annotations

import json
import uuid
from functools import lru_cache
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from registry.maps.collections import COLLECTIONS, Collection


@lru_cache(maxsize=None)
def tile_sql(collection: Collection) -> str:
    """One tile ($1 z, $2 x, $3 y, $4 layer name): clip in Web Mercator, filter by the envelope in CGCS2000 (GiST).

    Features go in id order, so the same data gives the same bytes (and ETag) whatever plan ran, in any worker.
    """
    return f"""
        WITH b AS (SELECT ST_TileEnvelope($1, $2, $3) AS env,
                          ST_Transform(ST_TileEnvelope($1, $2, $3), 4490) AS env4490),
        m AS (
            SELECT ST_AsMVTGeom(ST_Transform(t.geom, 3857), b.env, 4096, 64, true) AS geom,
                   t.id::text AS id, {collection.properties_sql}
            FROM {collection.from_sql}, b
            WHERE {collection.where} AND t.geom && b.env4490
        )
        SELECT ST_AsMVT(m.*, $4, 4096, 'geom' ORDER BY m.id) FROM m WHERE m.geom IS NOT NULL
    """


async def warm_connection(conn: asyncpg.Connection) -> None:
    """Ready a new connection for tiles: its first tile would otherwise pay the PostGIS catalog lookups,
    the plan and the PROJ pipelines (about 100 ms of database CPU) inside a request."""
    await conn.execute("SELECT ST_Transform(ST_SetSRID(ST_MakePoint(112.5, 37.8), 4490), 3857)")
    for collection in (COLLECTIONS["parcels"], COLLECTIONS["units"]):
        await conn.fetchval(tile_sql(collection), 22, 0, 0, collection.id)  # a tile with nothing in it


async def render_tile(conn: asyncpg.Connection, *, collection: Collection, z: int, x: int, y: int) -> bytes:
    """The MVT bytes of one tile (possibly empty): one prepared statement, one round trip."""
    body = await conn.fetchval(tile_sql(collection), z, x, y, collection.id)
    return bytes(body or b"")


async def items(
    session: AsyncSession, *, collection: Collection, bbox: tuple[float, float, float, float] | None, limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], bool]:
    """A page of features; the flag says whether more follow."""
    where, params = collection.where, {"limit": limit + 1, "offset": offset}
    if bbox is not None:
        where += " AND t.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490)"
        params.update(dict(zip(("x0", "y0", "x1", "y1"), bbox)))
    rows = await session.execute(
        text(
            f"SELECT t.id::text AS id, ST_AsGeoJSON(t.geom, 7)::text AS geometry, {collection.properties_sql} "
            f"FROM {collection.from_sql} WHERE {where} ORDER BY t.id LIMIT :limit OFFSET :offset"
        ),
        params,
    )
    features = [_feature(dict(r)) for r in rows.mappings()]
    return features[:limit], len(features) > limit


async def item(session: AsyncSession, *, collection: Collection, feature_id: str) -> dict[str, Any] | None:
    """One feature of the collection."""
    try:
        uuid.UUID(feature_id)
    except ValueError:
        return None
    row = (
        await session.execute(
            text(
                f"SELECT t.id::text AS id, ST_AsGeoJSON(t.geom, 7)::text AS geometry, {collection.properties_sql} "
                f"FROM {collection.from_sql} WHERE {collection.where} AND t.id = :id"
            ),
            {"id": feature_id},
        )
    ).mappings().first()
    return _feature(dict(row)) if row else None


async def extent(session: AsyncSession, *, collection: Collection) -> list[float] | None:
    """The collection's bounding box (estimated from the data)."""
    row = (
        await session.execute(
            text(
                f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                f"(SELECT ST_Extent(t.geom) AS e FROM {collection.from_sql} WHERE {collection.where}) s"
            )
        )
    ).one()
    return None if row[0] is None else [float(v) for v in row]


def _feature(row: dict[str, Any]) -> dict[str, Any]:
    geometry = json.loads(row.pop("geometry"))
    fid = row.pop("id")
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": {k: v for k, v in row.items()}}
