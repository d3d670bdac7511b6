"""Bench data: the 100,000-square block, fresh squares for each registration run, tiles, raw SQL, cleanup.

Bench units use cadastral zone 999 of 小店区 (140105), placed west of Taiyuan (吕梁山 foothills) where
neither the demo nor the tests put data.
"""

from __future__ import annotations

import math
import time

import asyncpg

LON0, LAT0 = 111.20, 37.20
STEP, SIZE = 0.001, 0.0009
PREFIX = "140105999"


def code(i: int) -> str:
    """The i-th bench unit code (不动产单元代码, zone 999)."""
    subzone, seq = divmod(i, 99_999)
    return f"{PREFIX}{subzone:03d}GB{seq + 1:05d}W00000000"


def square(lon: float, lat: float) -> dict:
    """A GeoJSON Polygon of SIZE degrees with its south-west corner at (lon, lat)."""
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + SIZE, lat], [lon + SIZE, lat + SIZE],
                                                 [lon, lat + SIZE], [lon, lat]]]}


def side(n_units: int) -> int:
    """Squares per row of the bulk block."""
    return math.ceil(math.sqrt(n_units))


def fresh_jobs(n_units: int, n: int, run: int, *, per_run: int) -> list[tuple[int, float, float]]:
    """n (index, lon, lat) squares for registration run number `run`, north of the block, filled row by row.

    Each run owns a band of rows (room for `per_run` squares) and a range of code numbers.
    Consecutive squares share lock cells (0.002°), so concurrent registrations contend as a survey
    import of neighbouring parcels would: every run, service or raw, gets the same layout.
    """
    width = side(n_units)
    band = math.ceil(per_run / width) + 2
    row0 = width + 2 + run * band
    first = n_units + run * per_run
    return [(first + i, LON0 + (i % width) * STEP, LAT0 + (row0 + i // width) * STEP) for i in range(min(n, per_run))]


async def bulk_load(conn: asyncpg.Connection, n: int, *, owner_dsn: str) -> str:
    """Insert n non-overlapping squares in one statement (skipped when present)."""
    have = await conn.fetchval("SELECT count(*) FROM registry.units WHERE code LIKE $1 AND created_by = 'bench'",
                               PREFIX + "%")
    if have >= n:
        return f"bulk load: {have} bench units already present"
    started = time.perf_counter()
    await conn.execute(
        """
        INSERT INTO registry.units (id, code, layer, kind, county_code, geom, area_m2, status, created_by)
        SELECT gen_random_uuid(),
               $1 || lpad((i / 99999)::text, 3, '0') || 'GB' || lpad((i % 99999 + 1)::text, 5, '0') || 'W00000000',
               'parcel', 'construction_land_surface', '140105', g, round(ST_Area(g::geography)::numeric, 2), 'current', 'bench'
        FROM generate_series($2::int, $3::int - 1) AS i,
             LATERAL (SELECT $4::float8 + (i % $5::int) * $6::float8 AS x, $7::float8 + (i / $5::int) * $6::float8 AS y) c,
             LATERAL (SELECT ST_Multi(ST_MakeEnvelope(c.x, c.y, c.x + $8::float8, c.y + $8::float8, 4490)) AS g) s
        ON CONFLICT (code) DO NOTHING
        """,
        PREFIX, have, n, LON0, side(n), STEP, LAT0, SIZE,
    )
    owner = await asyncpg.connect(owner_dsn)  # only the table's owner may ANALYZE it
    try:
        await owner.execute("ANALYZE registry.units")
    finally:
        await owner.close()
    return f"bulk load: {n - have} units in {time.perf_counter() - started:.1f} s (then ANALYZE)"


async def remove_registrations(conn: asyncpg.Connection) -> str:
    """Delete what registration runs added (the bulk block stays for the next run unless `everything`)."""
    return await _delete(conn, "AND created_by IS DISTINCT FROM 'bench'")


async def remove_all(conn: asyncpg.Connection) -> str:
    """Delete every bench unit that nothing else refers to."""
    return await _delete(conn, "")


async def _delete(conn: asyncpg.Connection, extra: str) -> str:
    async with conn.transaction():
        await conn.execute(
            "DELETE FROM registry.unit_control_lines h USING registry.units u "
            f"WHERE h.unit_id = u.id AND u.code LIKE $1 {extra}", PREFIX + "%")
        return await conn.execute(
            f"DELETE FROM registry.units u WHERE u.code LIKE $1 {extra} "
            "AND NOT EXISTS (SELECT 1 FROM registry.book_entries b WHERE b.unit_id = u.id) "
            "AND NOT EXISTS (SELECT 1 FROM registry.unit_lineage l WHERE u.id IN (l.parent_id, l.child_id))",
            PREFIX + "%")


def tiles(n_units: int, count: int, z: int = 15) -> list[tuple[int, int, int]]:
    """Up to `count` z15 tiles over the bulk block, column by column."""
    width = side(n_units)
    lon1, lat1 = LON0 + width * STEP, LAT0 + width * STEP

    def xy(lon: float, lat: float) -> tuple[int, int]:
        k = 2**z
        return int((lon + 180) / 360 * k), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * k)

    (x0, y1), (x1, y0) = xy(LON0, LAT0), xy(lon1, lat1)
    return [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)][:count]


# --- raw SQL: the same validity + interior-overlap check + insert, under the same locks ------------

# The best a hand-written client could do: one round trip, locks then check on a fresh snapshot
# (a temporary function, created on each pooled connection; no outbox, no control lines, no NOTIFY).
RAW_FUNCTION = r"""
CREATE FUNCTION pg_temp.bench_register(p_code text, p_geojson text, p_key text, p_cells int[]) RETURNS uuid
LANGUAGE plpgsql SET jit = off AS $fn$
DECLARE
    c int;
    made uuid;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtext(p_key)::bigint);
    FOREACH c IN ARRAY p_cells LOOP
        PERFORM pg_advisory_xact_lock(hashtext(p_key), c);
    END LOOP;
    WITH g AS (SELECT ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(p_geojson), 4490)) AS geom),
    ok AS (SELECT geom FROM g WHERE ST_IsValid(geom)
           AND NOT EXISTS (SELECT 1 FROM registry.units u WHERE u.layer = 'parcel' AND u.status = 'current'
                           AND u.geom && g.geom AND ST_Relate(u.geom, g.geom, '2********')))
    INSERT INTO registry.units (id, code, layer, kind, county_code, geom, area_m2, status, created_by)
    SELECT gen_random_uuid(), p_code, 'parcel', 'construction_land_surface', '140105', geom,
           round(ST_Area(geom::geography)::numeric, 2), 'current', 'bench-raw' FROM ok
    RETURNING id INTO made;
    RETURN made;
END
$fn$
"""
RAW_CALL = "SELECT pg_temp.bench_register($1, $2, $3, $4)"

# What the previous bench did: lock, then check + insert, in a client-side transaction (4 round trips).
RAW_LOCK = (
    "SELECT count(pg_advisory_xact_lock(hashtext($1), s.c)) FROM (SELECT c, l.held FROM unnest($2::int[]) AS c "
    "CROSS JOIN (SELECT pg_advisory_xact_lock_shared(hashtext($1)::bigint)::text AS held) l ORDER BY c) s"
)
RAW_REGISTER = """
WITH g AS (SELECT ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($1), 4490)) AS geom),
ok AS (SELECT geom FROM g WHERE ST_IsValid(geom)
       AND NOT EXISTS (SELECT 1 FROM registry.units u WHERE u.layer = 'parcel' AND u.status = 'current'
                       AND u.geom && g.geom AND ST_Relate(u.geom, g.geom, '2********')))
INSERT INTO registry.units (id, code, layer, kind, county_code, geom, area_m2, status, created_by)
SELECT gen_random_uuid(), $2, 'parcel', 'construction_land_surface', '140105', geom,
       round(ST_Area(geom::geography)::numeric, 2), 'current', 'bench-raw' FROM ok
RETURNING id
"""
