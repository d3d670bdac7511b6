"""Benchmark (not part of the test suite): the service over real HTTP vs raw SQL, side by side in one run.

`uv run natres-registry bench [--units 100000] [--registrations 1000] [--tiles 200] [--concurrency 8]
[--workers N] [--batch 100] [--client lean|httpx] [--keep]`

1. Loads --units squares in bulk (SQL) unless they are there already.
2. Starts `natres-registry serve` on a free port with the production settings (from the environment,
   --workers uvicorn workers) and drives it over HTTP/1.1 keep-alive from this process.
3. Registration: --registrations overlap-checked registrations one per request, the same number in
   batches (POST /api/v1/units/batch), and the same check + insert in raw SQL two ways, each on
   fresh neighbouring squares at the same concurrency.
4. Tiles: z15 tiles over the block through the service with emptied caches (cold), then warm, then
   conditional (304, reported apart), vs raw ST_AsMVT of the same SQL.
Every run prints the CPU each process group spent per operation: this client, the server, the
PostgreSQL backends of the registry's role (other services' backends and PostgreSQL's own background
processes are not counted), the registry worker (outbox relay and consumers) and Kafka. Service and
raw runs alternate in --rounds rounds so that changing background load hits both alike. Bench units
are removed at the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
from collections.abc import Awaitable, Callable

import asyncpg

from natres_platform.testing import password_token
from registry.bench import data
from registry.bench.http import ProcessTree, parent_of
from registry.bench.runs import Bench, Result
from registry.bench.server import Server
from registry.maps.repository import warm_connection
from registry.settings import RegistrySettings


def _row(result: Result) -> str:
    line = f"  {result.label:58s} {result.rate:8.0f}{result.unit:9s} {result.latency()}"
    line += f"\n  {'':58s} {result.meter.per_op(result.ops)}, machine {result.meter.busy():.0%} busy"
    return "".join([line, *(f"\n  {'':58s} {note}" for note in result.notes)])


def _verdict(ratio: float, target: float) -> str:
    return "met" if ratio >= target else "NOT met"


async def _trees(pool: asyncpg.Pool, server: Server, settings: RegistrySettings) -> dict[str, ProcessTree]:
    async with pool.acquire() as conn:
        postmaster = parent_of(await conn.fetchval("SELECT pg_backend_pid()"))
    trees = {"server": ProcessTree(server.process.pid),
             "postgres": ProcessTree(postmaster, match=f" {settings.db_user} ", include_root=False)}
    state = settings.state_dir.parent
    for name, pid_file in (("relay", state / "services" / "registry-worker.pid"), ("kafka", state / "run" / "kafka.pid")):
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
        if parent_of(pid) is not None:
            trees[name] = ProcessTree(pid)
    return trees


def _rounds(total: int, rounds: int) -> list[int]:
    """`total` split into `rounds` near-equal parts."""
    return [total // rounds + (1 if r < total % rounds else 0) for r in range(rounds)]


async def _interleaved(kinds: dict[str, Callable[[int], Awaitable[Result]]], rounds: int) -> dict[str, Result]:
    """Run every kind once per round, alternating, so that background load changes hit each alike."""
    merged: dict[str, Result] = {}
    for r in range(rounds):
        for name, run in kinds.items():
            result = await run(r)
            merged[name] = merged[name].absorb(result) if name in merged else result
    return merged


async def _registration(bench: Bench, args: argparse.Namespace) -> None:
    n, rounds = args.registrations, args.rounds
    print(f"registration: {n} overlap-checked registrations per kind, concurrency {args.concurrency}, "
          f"{rounds} interleaved rounds, fresh neighbouring squares each")
    spare = 4 * args.workers * args.concurrency
    sizes = _rounds(n, rounds)
    per_run = max(max(sizes), spare)
    band = iter(range(10, 10 + 4 * rounds + 3))

    def jobs(count: int, run: int) -> list:
        return data.fresh_jobs(args.units, count, run=run, per_run=per_run)

    # Unmeasured: every worker's pools, plans and caches, and the raw pool's, get their first use here.
    await bench.warm_up(jobs(spare, next(band)))
    await bench.register_raw(jobs(spare, next(band)))
    await bench.register_raw_transaction(jobs(spare, next(band)))
    await bench.drain_outbox()

    async def single(r: int) -> Result:
        calls, units = await bench.group_sizes()
        result = await bench.register_single(jobs(sizes[r], next(band)))
        await bench.drain_outbox()  # the next run starts with the relay idle (not timed)
        after_calls, after_units = await bench.group_sizes()
        result.counts["database calls"] += int(after_calls - calls)
        return result

    async def batched(r: int) -> Result:
        result = await bench.register_batches(jobs(sizes[r], next(band)), args.batch)
        await bench.drain_outbox()
        return result

    results = await _interleaved({
        "single": single, "batched": batched,
        "raw": lambda r: bench.register_raw(jobs(sizes[r], next(band))),
        "raw_txn": lambda r: bench.register_raw_transaction(jobs(sizes[r], next(band))),
    }, rounds)
    calls = results["single"].counts.pop("database calls", 0)
    if calls:
        results["single"].notes.append(f"{results['single'].ops} registrations in {calls} database calls "
                                       f"(group commit: {results['single'].ops / calls:.1f} per call on average)")
    for result in results.values():
        print(_row(result))
        if result.failures:
            print(f"  ! {len(result.failures)} failures, e.g. {result.failures[0]}")
    best = max(results["raw"], results["raw_txn"], key=lambda r: r.rate)
    for name, label in (("single", "one unit per request"), ("batched", f"batches of {args.batch}")):
        ratio = results[name].rate / best.rate
        print(f"  ratio {label + ' / best raw':33s} {ratio:6.0%}   (target >= 50%: {_verdict(ratio, 0.5)})")


async def _tiles(bench: Bench, args: argparse.Namespace) -> None:
    rounds = args.rounds
    # Enough parallel requests that every worker opens every connection of its pool during the warm-up.
    opening = 2 * RegistrySettings().hot_pool_size * args.workers
    spare_count = max(4 * args.workers * args.concurrency, 2 * opening)
    every = data.tiles(args.units, args.tiles + spare_count)
    tiles, spare = every[:args.tiles], every[args.tiles:]
    parts = [tiles[r::rounds] for r in range(rounds)]
    print(f"tiles: {len(tiles)} z15 tiles of `parcels` over the block, concurrency {args.concurrency}, "
          f"{rounds} interleaved rounds")
    # Unmeasured: other tiles of the block through the service and raw, so that each worker's pool
    # connections and the raw pool's have planned the query and loaded PROJ.
    await bench._tiles("warm-up", spare, concurrency=opening)
    await bench.tiles_raw(spare)
    # And the measured tiles' rows and index pages into PostgreSQL's buffers, for service and raw alike:
    # "cold" is about the tile cache, not the database's.
    await bench.tiles_raw(tiles)
    etags: dict = {}

    async def cold(r: int) -> Result:
        await bench.clear_tile_caches()  # as a change with no area would (the workers read it within 0.2 s)
        await asyncio.sleep(1)
        return await bench.tiles_cold(parts[r], etags)

    async def fill_then_warm(r: int) -> Result:
        # With several workers each keeps its own cache: fill them all before measuring hits.
        while (await bench._tiles("fill", parts[r])).counts["cache miss"]:
            pass
        return await bench.tiles_warm(parts[r], args.warm_passes)

    results = await _interleaved({"cold": cold, "raw": lambda r: bench.tiles_raw(parts[r])}, rounds)
    results.update(await _interleaved({
        "warm": fill_then_warm,
        "not_modified": lambda r: bench.tiles_not_modified(parts[r], etags, args.warm_passes),
        "raw_again": lambda r: bench.tiles_raw(parts[r]),
    }, rounds))
    raw = results["raw"].absorb(results.pop("raw_again"))
    raw.label += ", measured alongside cold and warm"
    for name in ("cold", "warm", "not_modified", "raw"):
        print(_row(results[name]))
        counts = {k: v for k, v in results[name].counts.items() if k != "bytes"}
        if counts:
            print(f"  {'':58s} responses {dict(sorted(counts.items(), key=str))}")
    print(f"  mean tile {raw.counts['bytes'] / max(raw.ops, 1) / 1024:.1f} KiB")
    cold_ratio, warm_ratio = results["cold"].rate / raw.rate, results["warm"].rate / raw.rate
    print(f"  ratio cold / raw    {cold_ratio:6.0%}    (target >= 60%: {_verdict(cold_ratio, 0.6)})")
    print(f"  ratio warm / raw    {warm_ratio:6.1f}x   (target >= 5x: {_verdict(warm_ratio, 5)})")
    print(f"  (304 / raw          {results['not_modified'].rate / raw.rate:6.1f}x   conditional requests, no tile sent)")


async def _init_raw(conn: asyncpg.Connection) -> None:
    await conn.execute(data.RAW_FUNCTION)
    await warm_connection(conn)  # as the service's pool does for its connections


async def _keep_session(_: asyncpg.Connection) -> None:
    """Same release policy as the service's hot-path pool (no reset query per release)."""


async def main_async(args: argparse.Namespace) -> None:
    settings = RegistrySettings()
    dsn = settings.database_url(driver="asyncpg").replace("postgresql+asyncpg", "postgresql")
    print(f"natres registry bench: {os.cpu_count()} CPU cores, load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())} at start")
    print(f"command: uv run natres-registry bench {shlex.join(args.argv)}".rstrip())
    pool = await asyncpg.create_pool(dsn, min_size=args.concurrency, max_size=args.concurrency, init=_init_raw,
                                     reset=_keep_session)
    server = None
    try:
        async with pool.acquire() as conn:
            await data.remove_registrations(conn)
            owner_dsn = settings.database_url(owner=True).replace("postgresql+asyncpg", "postgresql")
            print(await data.bulk_load(conn, args.units, owner_dsn=owner_dsn))
        server = await Server.start(workers=args.workers)
        print(f"server: {shlex.join(server.command[1:])} on 127.0.0.1:{server.port} "
              f"(production settings from the environment; {args.workers} worker process(es))")
        print(f"client: {args.client} HTTP/1.1 keep-alive, {args.concurrency} connections, in this process "
              "(its CPU is the `client` figure)")
        bench = Bench(port=server.port, pool=pool, token=password_token("natres.admin"),
                      trees=await _trees(pool, server, settings), concurrency=args.concurrency, client=args.client)
        await _registration(bench, args)
        await _tiles(bench, args)
        print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            async with pool.acquire() as conn:
                print(f"cleanup: {await data.remove_all(conn)}")
        await pool.close()


def main(argv: list[str] | None = None) -> None:
    """`natres-registry bench`."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="natres-registry bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--registrations", type=int, default=1000)
    parser.add_argument("--tiles", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=RegistrySettings().http_workers,
                        help="uvicorn workers (default: REGISTRY_HTTP_WORKERS, as in production)")
    parser.add_argument("--batch", type=int, default=100, help="units per POST /api/v1/units/batch")
    parser.add_argument("--warm-passes", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=4,
                        help="interleave service and raw runs in this many rounds (background load hits both alike)")
    parser.add_argument("--client", choices=("lean", "httpx"), default="lean")
    parser.add_argument("--keep", action="store_true", help="keep the bench units (the block is reused next time)")
    args = parser.parse_args(argv)
    args.argv = argv
    try:
        import uvloop  # the server runs on uvloop too (uvicorn[standard]); the client then costs less
    except ImportError:
        asyncio.run(main_async(args))
    else:
        uvloop.run(main_async(args))


if __name__ == "__main__":
    main()
