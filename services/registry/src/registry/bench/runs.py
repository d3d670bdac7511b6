"""The measured runs: registrations (service one by one, service in batches, raw SQL) and tiles (cold, warm, raw)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import asyncpg

from registry.bench import data
from registry.bench.http import CpuMeter, ProcessTree, connection, run_workers
from registry.geo import lock_cells
from registry.maps.collections import COLLECTIONS
from registry.maps.repository import tile_sql


@dataclass
class Result:
    """One measured run."""

    label: str
    ops: int
    meter: CpuMeter
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    unit: str = "/s"
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Operations per second."""
        return self.ops / max(self.meter.wall, 1e-9)

    def absorb(self, other: Result) -> Result:
        """Add another round of the same kind (ops, wall time, CPU, latencies, counts)."""
        self.ops += other.ops
        self.meter.wall += other.meter.wall
        for name, seconds in other.meter.spent.items():
            self.meter.spent[name] = self.meter.spent.get(name, 0.0) + seconds
        self.latencies += other.latencies
        self.failures += other.failures
        self.counts.update(other.counts)
        return self

    def latency(self) -> str:
        """p50 / p99 in ms."""
        if not self.latencies:
            return ""
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return f"p50 {statistics.median(ordered) * 1000:5.1f} ms  p99 {p99 * 1000:6.1f} ms"


class Bench:
    """Shared state of one bench run: the server, the pool for raw SQL, the token, the process trees."""

    def __init__(self, *, port: int, pool: asyncpg.Pool, token: str, trees: dict[str, ProcessTree],
                 concurrency: int, client: str) -> None:
        self.port, self.pool, self.concurrency, self.client = port, pool, concurrency, client
        self.trees = trees
        self.auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    async def _measure(self, result: Result, jobs: Sequence, fn: Callable[[object, object], Awaitable[None]],
                       *, concurrency: int | None = None, http: bool = True) -> Result:
        n = concurrency or self.concurrency
        conns = [connection(self.client, "127.0.0.1", self.port) for _ in range(n)] if http else [None] * n

        async def timed(worker: int, job: object) -> None:
            started = time.perf_counter()
            await fn(conns[worker], job)
            result.latencies.append(time.perf_counter() - started)

        await result.meter.measure(lambda: run_workers(n, jobs, timed))
        for conn in conns:
            if conn is not None:
                conn.close()
        return result

    def _result(self, label: str, ops: int, unit: str = "/s") -> Result:
        return Result(label, ops, CpuMeter(dict(self.trees)), unit=unit)

    # --- registration ---------------------------------------------------------------------------

    async def warm_up(self, jobs: list[tuple[int, float, float]]) -> None:
        """Open connections, pools and caches in every worker (not measured)."""
        await self._measure(self._result("warm-up", len(jobs)), jobs, self._register_one)

    async def _register_one(self, conn, job) -> None:
        i, lon, lat = job
        body = json.dumps({"code": data.code(i), "geometry": data.square(lon, lat)}).encode()
        reply = await conn.request("POST", "/api/v1/units", headers=self.auth, body=body)
        if reply.status != 201:
            raise RuntimeError(f"registration refused: {reply.status} {reply.body[:300]!r}")

    async def register_single(self, jobs: list[tuple[int, float, float]]) -> Result:
        """POST /api/v1/units, one unit per request."""
        result = self._result("service, one unit per request (POST /api/v1/units)", len(jobs))
        return await self._measure(result, jobs, self._register_one)

    async def register_batches(self, jobs: list[tuple[int, float, float]], batch: int) -> Result:
        """POST /api/v1/units/batch, `batch` neighbouring units per request."""
        chunks = [jobs[k:k + batch] for k in range(0, len(jobs), batch)]
        result = self._result(f"service, batches of {batch} (POST /api/v1/units/batch)", len(jobs), unit=" units/s")

        async def one(conn, chunk) -> None:
            units = [{"code": data.code(i), "geometry": data.square(lon, lat)} for i, lon, lat in chunk]
            reply = await conn.request("POST", "/api/v1/units/batch", headers=self.auth,
                                       body=json.dumps({"units": units}).encode())
            if reply.status != 201:
                raise RuntimeError(f"batch refused: {reply.status} {reply.body[:300]!r}")

        return await self._measure(result, chunks, one, concurrency=min(self.concurrency, len(chunks)))

    async def register_raw(self, jobs: list[tuple[int, float, float]]) -> Result:
        """The same check + insert as one call of a temporary plpgsql function (asyncpg)."""
        result = self._result("raw SQL, one call (lock; check + insert)", len(jobs))

        async def one(_, job) -> None:
            i, lon, lat = job
            cells = lock_cells((lon, lat, lon + data.SIZE, lat + data.SIZE))
            async with self.pool.acquire() as conn:
                made = await conn.fetchval(data.RAW_CALL, data.code(i), json.dumps(data.square(lon, lat)),
                                           "units:parcel", cells)
            if made is None:
                result.failures.append(f"raw overlap at {i}")

        return await self._measure(result, jobs, one, http=False)

    async def register_raw_transaction(self, jobs: list[tuple[int, float, float]]) -> Result:
        """What the previous bench did: BEGIN; lock; check + insert; COMMIT."""
        result = self._result("raw SQL, transaction (BEGIN; lock; check + insert; COMMIT)", len(jobs))

        async def one(_, job) -> None:
            i, lon, lat = job
            cells = lock_cells((lon, lat, lon + data.SIZE, lat + data.SIZE))
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute(data.RAW_LOCK, "units:parcel", cells)
                if await conn.fetchrow(data.RAW_REGISTER, json.dumps(data.square(lon, lat)), data.code(i)) is None:
                    result.failures.append(f"raw overlap at {i}")

        return await self._measure(result, jobs, one, http=False)

    # --- tiles ----------------------------------------------------------------------------------

    async def _tiles(self, label: str, tiles: Sequence[tuple[int, int, int]], *, etags: dict | None = None,
                     remember: dict | None = None, concurrency: int | None = None) -> Result:
        result = self._result(label, len(tiles))

        async def one(conn, t) -> None:
            headers = {"If-None-Match": etags[t]} if etags is not None else None
            reply = await conn.request("GET", f"/tiles/parcels/{t[0]}/{t[1]}/{t[2]}.mvt", headers=headers)
            result.counts[reply.status] += 1
            result.counts[f"cache {reply.headers.get('x-tile-cache', '?')}"] += 1
            result.counts["bytes"] += len(reply.body)
            if remember is not None:
                remember[t] = reply.headers.get("etag")

        return await self._measure(result, tiles, one)

    async def group_sizes(self) -> tuple[float, float]:
        """(calls, units) of registry_registration_group_size from the server's /metrics."""
        conn = connection(self.client, "127.0.0.1", self.port)
        reply = await conn.request("GET", "/metrics")
        conn.close()
        found = {"count": 0.0, "sum": 0.0}
        for line in reply.body.decode().splitlines():
            for key in found:
                if line.startswith(f"registry_registration_group_size_{key}"):
                    found[key] += float(line.rsplit(" ", 1)[1])
        return found["count"], found["sum"]

    async def drain_outbox(self, timeout: float = 120) -> float:
        """Wait until the relay has published every registry event, so one run's relay work does not slow the next."""
        started = time.perf_counter()
        async with self.pool.acquire() as conn:
            while await conn.fetchval("SELECT count(*) FROM registry.outbox WHERE published_at IS NULL"):
                if time.perf_counter() - started > timeout:
                    print(f"  ! the outbox did not drain in {timeout:.0f} s (is `natres-registry worker` running?)")
                    break
                await asyncio.sleep(0.2)
        return time.perf_counter() - started

    async def clear_tile_caches(self) -> None:
        """Log a map change without an area, as loading control lines would: every worker's cache empties."""
        async with self.pool.acquire() as conn:
            await conn.execute("INSERT INTO registry.map_changes (scope) VALUES ('bench')")

    async def tiles_cold(self, tiles: Sequence[tuple[int, int, int]], etags: dict) -> Result:
        """Every tile rendered once (the caches were just emptied)."""
        return await self._tiles("service, cold cache (each tile rendered)", tiles, remember=etags)

    async def tiles_warm(self, tiles: Sequence[tuple[int, int, int]], passes: int) -> Result:
        """The same tiles again, `passes` times: 200 with the body from the cache."""
        return await self._tiles(f"service, warm cache ({passes} passes, 200 with body)", list(tiles) * passes)

    async def tiles_not_modified(self, tiles: Sequence[tuple[int, int, int]], etags: dict, passes: int) -> Result:
        """Conditional requests with the ETag of the cold pass: 304, no body (not tile throughput)."""
        return await self._tiles(f"service, If-None-Match ({passes} passes, 304 no body)", list(tiles) * passes,
                                 etags=etags)

    async def tiles_raw(self, tiles: Sequence[tuple[int, int, int]]) -> Result:
        """ST_AsMVT of the same SQL on the same tiles through asyncpg."""
        result = self._result("raw ST_AsMVT (same SQL, asyncpg)", len(tiles))
        sql = tile_sql(COLLECTIONS["parcels"])

        async def one(_, t) -> None:
            async with self.pool.acquire() as conn:
                body = await conn.fetchval(sql, t[0], t[1], t[2], "parcels")
            result.counts["bytes"] += len(body or b"")

        return await self._measure(result, tiles, one, http=False)
