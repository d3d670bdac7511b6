"""`natres-transactions bench [--seconds S] [--bidders N] [--workers W] [--pool P]`: a hot listing, API vs raw.

Both sides run in the same invocation, raw first (before the API's bids set the event pipeline
to work), on the same listing row, with the same number of concurrent actors (N) and the same
number of PostgreSQL connections (W x P):
- API: a real `natres-transactions serve` with W uvicorn processes, each with a bid pool of P
  connections (the service's default unless --pool); N bidders, each on its own keep-alive
  HTTP/1.1 connection, with an Idempotency-Key on every request, in two rounds:
  * 加价 (the trading room's button, the headline figure): each request asks for one increment
    over the price at the lock, with the bidder's budget as `max_amount`;
  * quote: each request names the current price + one increment *as the bidder last saw it*
    (its own accepted amount, or the `current_price` of its last 409) — most lose the race.
  A bidder who leads waits 10 ms (as if watching the feed) before trying again.
- raw: the same number of PostgreSQL connections as the API's pools add up to, shared by N
  concurrent loops, each running the single-row `UPDATE … RETURNING` on the same listing row
  (autocommit) back to back: the ceiling of a hot-row write on this box.
The load generator is a minimal HTTP/1.1 client (not httpx) so that the client's own CPU, which
shares the box with the server and PostgreSQL, distorts the API figures as little as possible.
Needs the stack (PostgreSQL, Keycloak) and a free current unit in registry.units.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from natres_platform.testing import infra, password_token

from transactions.bidders import service as bidders
from transactions.bidders.simbank import signed_notice
from transactions.listings import service as listings
from transactions.listings.schemas import ListingCreate
from transactions.listings.states import Transition
from transactions.settings import TransactionsSettings
from transactions.tools.bench_load import (
    INCREMENT,
    PACED,
    START,
    api_round,
    batch_line,
    batching,
    backend_pids,
    cpu_sum,
    free_port,
    line,
    paced_round,
    pct,
    raw_round,
    tree,
)
from transactions.tools.demo import _FREE_UNITS, _await_marks, _wait_state
from transactions.trading import Trading

def main(argv: list[str]) -> None:
    """Run both measurements and print them side by side."""
    parser = argparse.ArgumentParser(prog="natres-transactions bench")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--bidders", type=int, default=50)
    parser.add_argument("--workers", type=int, default=TransactionsSettings().http_workers,
                        help="uvicorn processes of the API under test (default: the service's "
                             "TRANSACTIONS_HTTP_WORKERS; on 2 cores, where PostgreSQL and this load generator "
                             "need CPU too, one measured as fast as two)")
    parser.add_argument("--pool", type=int, default=TransactionsSettings().bid_pool_size,
                        help="bid pool per API process (default: the service's TRANSACTIONS_BID_POOL_SIZE); "
                             "the raw side gets as many connections as the API's pools add up to")
    parser.add_argument("--profile", metavar="FILE",
                        help="run a 1-process server under pyinstrument and write its text report to FILE")
    args = parser.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        pass
    command = "natres-transactions bench " + shlex.join(argv)
    workers = 1 if args.profile else args.workers
    asyncio.run(_bench(seconds=args.seconds, n=args.bidders, workers=workers,
                       pool=args.pool, profile=args.profile, command=command))


def _since(now: tuple[float, float, float], before: tuple[float, float, float]) -> tuple[float, float, float]:
    return now[0] - before[0], now[1] - before[1], now[2] - before[2]


def _ensure_users(n: int) -> list[str]:
    from keycloak import KeycloakAdmin

    admin = KeycloakAdmin(server_url=infra().keycloak_url, username="admin", password="admin",
                          realm_name="natres", user_realm_name="master")
    role = admin.get_realm_role("bidder")
    names = [f"bidder.pool{i:02d}" for i in range(1, n + 1)]
    for i, name in enumerate(names, start=1):
        user_id = admin.get_user_id(name) or admin.create_user({
            "username": name, "enabled": True, "emailVerified": True, "email": f"{name}@example.test",
            "firstName": f"竞买人{i:02d}", "lastName": "测试",
            "credentials": [{"type": "password", "value": "demo1234", "temporary": False}]}, exist_ok=True)
        if "bidder" not in {r["name"] for r in admin.get_realm_roles_of_user(user_id)}:
            admin.assign_realm_roles(user_id, [role])
    return names


async def _setup(trading: Trading, names: list[str]) -> tuple[str, dict[str, str]]:
    admin = await trading.ctx.verifier.verify(password_token("trader.admin"))
    async with trading.ctx.engine.connect() as conn:
        unit = (await conn.execute(text(_FREE_UNITS))).mappings().first()
    if unit is None:
        raise SystemExit("bench: no free current unit in registry.units")
    now = datetime.now(UTC)
    row = await listings.create_listing(trading=trading, actor=admin, data=ListingCreate(
        title="基准测试：热点挂牌", unit_id=unit["id"], right_type="state_construction_land_use", method="listing",
        land_use="industrial", term_years=50, announcement_at=now - timedelta(days=40),
        registration_start=now - timedelta(days=39), registration_end=now + timedelta(hours=1),
        deposit_deadline=now + timedelta(minutes=50), listing_start=now - timedelta(days=20),
        listing_end=now + timedelta(hours=2), start_price=START, increment=INCREMENT,
        no_reserve=True, deposit=Decimal("1000.00")))
    await listings.change_state(trading=trading, listing_id=row.id, event=Transition.ANNOUNCED, actor=admin)
    # Bench-only: the registry's trade mark is applied locally when the registry does not answer.
    await _await_marks(trading, [row], assume_marked=True)
    await _wait_state(trading, row.id, ("bidding",))
    tokens = {}
    for name in names:
        token = password_token(name)
        who = await trading.ctx.verifier.verify(token)
        reg = await bidders.register(trading=trading, listing_id=row.id, principal=who, client_ip="127.0.0.1")
        body, headers = signed_notice(secret=trading.bank_secret, listing_id=row.id, registration_id=reg.id,
                                      amount=row.deposit)
        await bidders.confirm_deposit(trading=trading, body=body, headers=headers)
        await bidders.qualify(trading=trading, listing_id=row.id, registration_id=reg.id, actor=admin)
        tokens[name] = token
    return row.id, tokens


def _server(port: int, *, pool: int, workers: int, profile: str | None) -> subprocess.Popen:
    exe = str(Path(sys.executable).with_name("natres-transactions"))
    env = {**os.environ, "TRANSACTIONS_LOG_LEVEL": "WARNING", "TRANSACTIONS_HTTP_WORKERS": str(workers),
           "TRANSACTIONS_BID_POOL_SIZE": str(pool)}
    cmd = [exe, "serve", "--port", str(port)]
    if profile:
        cmd = [sys.executable, "-m", "pyinstrument", "--renderer", "text", "--show-all", "--outfile", profile, *cmd]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)


async def _wait_ready(port: int) -> None:
    for _ in range(300):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise SystemExit("bench: the API did not start")


async def _bench(*, seconds: float, n: int, workers: int, pool: int, profile: str | None, command: str) -> None:
    settings = TransactionsSettings()
    trading = Trading.build(settings)
    names = _ensure_users(n)
    listing_id, tokens = await _setup(trading, names)
    port = free_port()
    load = os.getloadavg()
    try:
        # The raw ceiling first, on a machine not yet busy with what the API's bids set off afterwards
        # (the outbox relay, Kafka, the audit log and the registry consuming them share these 2 CPUs).
        raw = await raw_round(settings, listing_id, n, workers * pool, seconds)
        server = _server(port, pool=pool, workers=workers, profile=profile)
        try:
            await _wait_ready(port)
            # warm-up: connections, token cache, pools
            await api_round(port, listing_id, tokens, min(2.0, seconds), raising=False)
            procs = tree(server.pid)
            backends = await backend_pids(settings, "natres-transactions-bids")
            # Below saturation first, then flat out: each round leaves the event pipeline (relay, Kafka,
            # audit, registry) a backlog that competes with whatever runs next on these CPUs.
            raw_rate = len(raw.accepted) / raw.seconds
            paced = {}
            for share in PACED:
                before = await batching(port)
                paced[share] = await paced_round(port, listing_id, tokens, seconds, share * raw_rate)
                paced[share].batches = _since(await batching(port), before)
            runs = {}
            for raising in (True, False):
                server_before, pg_before = cpu_sum(procs), cpu_sum(backends)
                before = await batching(port)
                run = await api_round(port, listing_id, tokens, seconds, raising=raising)
                run.batches = _since(await batching(port), before)
                run.server_cpu, run.pg_cpu = cpu_sum(procs) - server_before, cpu_sum(backends) - pg_before
                runs[raising] = run
        finally:
            # uvicorn re-raises SIGTERM after its graceful shutdown, which would kill pyinstrument before it writes.
            server.send_signal(signal.SIGINT if profile else signal.SIGTERM)
            server.wait(timeout=60)
    finally:
        admin = await trading.ctx.verifier.verify(password_token("trader.admin"))
        await listings.change_state(trading=trading, listing_id=listing_id, event=Transition.TERMINATED,
                                    actor=admin, reason="基准测试结束")
        await trading.aclose()
    print(f"\n$ {command}")
    print(f"{os.cpu_count()} CPUs (load average before the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}); "
          f"hot listing {listing_id}; {n} concurrent bidders; {seconds:g} s per side")
    print(f"API: {workers} uvicorn process(es) x bid pool {pool} = {workers * pool} PostgreSQL connections, "
          f"{n} bidders; raw: {workers * pool} connections shared by {n} concurrent UPDATE … RETURNING loops")
    raw_rate = len(raw.accepted) / raw.seconds if raw.seconds else float("nan")
    for raising, label in ((True, "加价 (raise 1 increment at the lock)"), (False, "quote (last seen + 1 increment)")):
        api = runs[raising]
        print(f"-- API, {label}")
        print(line("  accepted bids (201)", api.accepted, api.seconds))
        print(line("  rejected bids (409, with price)", api.rejected, api.seconds))
        print(line("  all bid requests", api.all, api.seconds) + f"  errors {api.errors} {api.error_sample}")
        requests = len(api.all) or 1
        print(f"  CPU per request: API server {api.server_cpu / requests * 1e6:.0f} µs, its PostgreSQL backends "
              f"{api.pg_cpu / requests * 1e6:.0f} µs, load generator {api.client_cpu / requests * 1e6:.0f} µs")
        if workers == 1:  # /metrics is one process's
            print(batch_line(api))
        print(f"  accepted/raw = {len(api.accepted) / api.seconds / raw_rate:.1%}   "
              f"all requests/raw = {len(api.all) / api.seconds / raw_rate:.1%}   "
              f"p99 of accepted = {pct(api.accepted, 0.99):.1f} ms")
    print(line("raw PostgreSQL UPDATE … RETURNING", raw.accepted, raw.seconds)
          + f"  (PostgreSQL {raw.pg_cpu / max(len(raw.accepted), 1) * 1e6:.0f} µs per UPDATE)")
    for share, run in paced.items():
        print(f"-- API, 加价 offered at {share:.0%} of raw = {share * raw_rate:.0f}/s, {n} bidders each every "
              f"{n / (share * raw_rate) * 1000:.0f} ms (latency from the due time)")
        print(line("  accepted bids (201)", run.accepted, run.seconds))
        print(line("  refused (409: already leading)", run.rejected, run.seconds)
              + f"  errors {run.errors} {run.error_sample}")
        if workers == 1:
            print(batch_line(run))
    head = runs[True]
    ratio = len(head.accepted) / head.seconds / raw_rate
    p99 = pct(head.accepted, 0.99)
    at_target = paced[0.40]
    p99_target = pct(at_target.all, 0.99)
    print(f"targets: accepted/raw at saturation {ratio:.1%} {'PASS' if ratio >= 0.40 else 'FAIL'} (>= 40%); "
          f"p99 at 40% of raw offered {p99_target:.1f} ms {'PASS' if p99_target < 50 else 'FAIL'} (< 50 ms); "
          f"p99 at saturation {p99:.1f} ms (= queueing: {n} bidders / throughput)")
    quote = runs[False]
    mean = sum(quote.all) / len(quote.all) if quote.all else float("nan")
    print(f"note: in the quote round a bidder needs a fresh price for each win, so its accepted bids/s stay of the "
          f"order of 1 / mean round trip ({mean * 1000:.1f} ms -> {1 / mean:.0f}/s) whatever the server's capacity")
