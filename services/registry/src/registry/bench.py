"""Benchmark (not part of the test suite): service vs raw SQL, side by side in one run.

`uv run natres-registry bench [--units 100000] [--registrations 1000] [--tiles 200] [--concurrency 8]`

1. Loads --units units in bulk (SQL, a bench-only cadastral zone 999 of 小店区 140105, placed west of
   Taiyuan where neither demo nor tests put data) unless they are there already.
2. Registration: --registrations overlap-checked registrations through the service (HTTP in-process,
   token verified, problem handling, outbox event) vs the same validity + interior-overlap check +
   insert in raw SQL under the same advisory lock, same concurrency.
3. Tiles over the loaded area at z15: through the service with a cold cache, again warm, vs raw
   ST_AsMVT of the same SQL.
Bench rows are removed at the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time

import asyncpg
import httpx

from natres_platform.testing import password_token
from registry.geo import lock_cells
from registry.main import create_app
from registry.maps.collections import COLLECTIONS
from registry.maps.repository import tile_sql
from registry.settings import RegistrySettings

LON0, LAT0 = 111.20, 37.20  # bench area (吕梁山 foothills west of Taiyuan)
STEP, SIZE = 0.001, 0.0009
ZONE = 999  # cadastral zone reserved for benchmark units
PREFIX = "140105999"


def _code(i: int) -> str:
    subzone, seq = divmod(i, 99_999)
    return f"{PREFIX}{subzone:03d}GB{seq + 1:05d}W00000000"


def _square(lon: float, lat: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + SIZE, lat], [lon + SIZE, lat + SIZE], [lon, lat + SIZE], [lon, lat]]]}


def _grid(n: int) -> int:
    return math.ceil(math.sqrt(n))


async def bulk_load(conn: asyncpg.Connection, n: int) -> None:
    """Insert n non-overlapping squares (skipped when present)."""
    have = await conn.fetchval("SELECT count(*) FROM registry.units WHERE code LIKE $1", PREFIX + "%")
    if have >= n:
        print(f"bulk load: {have} bench units already present")
        return
    side = _grid(n)
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
        PREFIX, have, n, LON0, side, STEP, LAT0, SIZE,
    )
    await conn.execute("ANALYZE registry.units")
    print(f"bulk load: {n - have} units in {time.perf_counter() - started:.1f} s")


async def _run(concurrency: int, jobs: list, fn) -> float:
    """Run jobs through fn with bounded concurrency; returns seconds."""
    queue: asyncio.Queue = asyncio.Queue()
    for j in jobs:
        queue.put_nowait(j)

    async def worker() -> None:
        while not queue.empty():
            await fn(queue.get_nowait())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


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


async def bench_registration(app, pool: asyncpg.Pool, n_units: int, n: int, concurrency: int) -> tuple[float, float]:
    """Registrations/s: service vs raw, each on fresh non-overlapping squares north of the bulk block."""
    import json

    side = _grid(n_units)
    row0 = side + 2
    token = password_token("natres.admin")
    headers = {"Authorization": f"Bearer {token}"}
    jobs_service = [(n_units + i, LON0 + (i % side) * STEP, LAT0 + (row0 + i // side) * STEP) for i in range(n)]
    jobs_raw = [(n_units + n + i, LON0 + (i % side) * STEP, LAT0 + (row0 + 2 + (n // side) + i // side) * STEP) for i in range(n)]
    failures = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        await client.get("/api/v1/whoami", headers=headers)  # warm the JWKS cache

        async def via_service(job) -> None:
            i, lon, lat = job
            r = await client.post("/api/v1/units", json={"code": _code(i), "geometry": _square(lon, lat)}, headers=headers)
            if r.status_code != 201:
                failures.append(r.text)

        service_s = await _run(concurrency, jobs_service, via_service)

    async def raw(job) -> None:
        i, lon, lat = job
        # The same serialisation as the service (cells under a shared layer lock): without it the
        # raw check-then-insert would let two overlapping registrations through.
        cells = lock_cells((lon, lat, lon + SIZE, lat + SIZE))
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(RAW_LOCK, "units:parcel", cells)
            row = await conn.fetchrow(RAW_REGISTER, json.dumps(_square(lon, lat)), _code(i))
            if row is None:
                failures.append("raw overlap")

    raw_s = await _run(concurrency, jobs_raw, raw)
    if failures:
        print(f"  failures: {len(failures)} e.g. {failures[0][:200]}")
    return n / service_s, n / raw_s


def _tiles(n_units: int, count: int, z: int = 15) -> list[tuple[int, int, int]]:
    side = _grid(n_units)
    lon1, lat1 = LON0 + side * STEP, LAT0 + side * STEP

    def xy(lon: float, lat: float) -> tuple[int, int]:
        k = 2**z
        return int((lon + 180) / 360 * k), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * k)

    (x0, y1), (x1, y0) = xy(LON0, LAT0), xy(lon1, lat1)
    tiles = [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return tiles[:count]


async def bench_tiles(app, pool: asyncpg.Pool, n_units: int, count: int, concurrency: int) -> tuple[float, float, float, float]:
    """Tiles/s: service cold, service warm, raw ST_AsMVT; plus mean tile size."""
    tiles = _tiles(n_units, count)
    registry = app.state.registry
    sizes = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        async def fetch(t) -> None:
            r = await client.get(f"/tiles/parcels/{t[0]}/{t[1]}/{t[2]}.mvt")
            sizes.append(len(r.content))

        await registry.tiles.ensure_listener()
        registry.tiles.invalidate()
        cold = len(tiles) / await _run(concurrency, tiles, fetch)
        warm = len(tiles) * 5 / await _run(concurrency, tiles * 5, fetch)
    sql = tile_sql(COLLECTIONS["parcels"]).replace(":z", "$1").replace(":x", "$2").replace(":y", "$3").replace(":layer", "$4")

    async def raw(t) -> None:
        async with pool.acquire() as conn:
            await conn.fetchval(sql, t[0], t[1], t[2], "parcels")

    raw_rate = len(tiles) / await _run(concurrency, tiles, raw)
    return cold, warm, raw_rate, sum(sizes) / max(len(sizes), 1)


async def main_async(args: argparse.Namespace) -> None:
    settings = RegistrySettings(db_pool_size=args.concurrency + 2)
    dsn = settings.database_url(driver="asyncpg").replace("postgresql+asyncpg", "postgresql")
    pool = await asyncpg.create_pool(dsn, min_size=args.concurrency, max_size=args.concurrency + 2)
    app = create_app(settings)
    try:
        async with pool.acquire() as conn:
            # Registrations of an earlier run go; the bulk block stays for reuse.
            await conn.execute("DELETE FROM registry.units WHERE code LIKE $1 AND created_by IS DISTINCT FROM 'bench' "
                               "AND NOT EXISTS (SELECT 1 FROM registry.unit_control_lines c WHERE c.unit_id = registry.units.id)",
                               PREFIX + "%")
            await bulk_load(conn, args.units)
        print(f"registration: {args.registrations} overlap-checked inserts, concurrency {args.concurrency}")
        svc, raw = await bench_registration(app, pool, args.units, args.registrations, args.concurrency)
        print(f"  {'service (HTTP in-process)':32s} {svc:8.0f} /s")
        print(f"  {'raw SQL (same checks)':32s} {raw:8.0f} /s")
        print(f"  ratio service/raw              {svc / raw:8.0%}   (target >= 50%)")
        print(f"tiles: {args.tiles} z15 tiles over the bench block, concurrency {args.concurrency}")
        cold, warm, raw_t, size = await bench_tiles(app, pool, args.units, args.tiles, args.concurrency)
        print(f"  {'service cold cache':32s} {cold:8.0f} /s")
        print(f"  {'service warm cache':32s} {warm:8.0f} /s")
        print(f"  {'raw ST_AsMVT':32s} {raw_t:8.0f} /s   (mean tile {size / 1024:.1f} KiB)")
        print(f"  ratio cold/raw                 {cold / raw_t:8.0%}   (target >= 60%)")
        print(f"  ratio warm/raw                 {warm / raw_t:8.1f}x   (target >= 5x)")
    finally:
        if not args.keep:
            async with pool.acquire() as conn:
                deleted = await conn.execute("DELETE FROM registry.units WHERE code LIKE $1 AND NOT EXISTS "
                                             "(SELECT 1 FROM registry.book_entries b WHERE b.unit_id = registry.units.id) "
                                             "AND NOT EXISTS (SELECT 1 FROM registry.unit_control_lines c WHERE c.unit_id = registry.units.id)",
                                             PREFIX + "%")
                print(f"cleanup: {deleted}")
        await pool.close()
        await app.state.registry.tiles.close()
        await app.state.ctx.aclose()


def main(argv: list[str] | None = None) -> None:
    """`natres-registry bench`."""
    parser = argparse.ArgumentParser(prog="natres-registry bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--registrations", type=int, default=1000)
    parser.add_argument("--tiles", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the bench units")
    asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
