"""`natres-transactions bench [--seconds S] [--bidders N]`: hot-listing bids through the API vs raw PostgreSQL.

Both sides run in the same invocation, one after the other, against the same listing row:
- API: a real `natres-transactions serve` subprocess, N bidders each bidding current + increment
  over HTTP (Idempotency-Key on every request), as fast as they can;
- raw: N asyncpg connections doing only the row-lock transaction every bid needs
  (BEGIN; SELECT … FOR UPDATE; UPDATE the listing row; COMMIT) on the same row.
Needs the stack (PostgreSQL, Keycloak) and a free current unit in registry.units.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx

from natres_platform.testing import infra, password_token

from transactions.tools.demo import _FREE_UNITS, _await_marks, _wait_state
from transactions.bidders import service as bidders
from transactions.bidders.simbank import signed_notice
from transactions.listings import service as listings
from transactions.listings.schemas import ListingCreate
from transactions.listings.states import Transition
from transactions.settings import TransactionsSettings
from transactions.trading import Trading

from sqlalchemy import text


@dataclass
class Run:
    """Latencies (seconds) of successful operations and counts."""

    ok: list[float] = field(default_factory=list)
    rejected: int = 0
    errors: int = 0
    seconds: float = 0.0

    def line(self, label: str) -> str:
        lat = sorted(self.ok)
        p = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000) if lat else (lambda q: float("nan"))
        rate = len(lat) / self.seconds if self.seconds else 0
        return (f"{label:<34} {rate:>9.1f}/s  p50 {p(0.50):7.2f} ms  p99 {p(0.99):7.2f} ms"
                f"  ok {len(lat):>6}  409 {self.rejected:>6}  errors {self.errors}")


def main(argv: list[str]) -> None:
    """Run both measurements and print them side by side."""
    parser = argparse.ArgumentParser(prog="natres-transactions bench")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--bidders", type=int, default=50)
    args = parser.parse_args(argv)
    asyncio.run(_bench(seconds=args.seconds, n=args.bidders))


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
        listing_end=now + timedelta(hours=2), start_price=Decimal("1000000.00"), increment=Decimal("100.00"),
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _api(base: str, listing_id: str, tokens: dict[str, str], seconds: float) -> Run:
    run = Run()
    run.all = []  # type: ignore[attr-defined]
    price = {"current": Decimal("0")}
    stop_at = time.perf_counter() + seconds

    async def bidder(client: httpx.AsyncClient, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        while time.perf_counter() < stop_at:
            # Bidders jump by 1-50 increments on a possibly stale price, as real ones do in a hot round.
            amount = max(price["current"], Decimal("999900.00")) + Decimal("100.00") * random.randint(1, 50)
            started = time.perf_counter()
            r = await client.post(f"{base}/api/v1/listings/{listing_id}/bids", json={"amount": f"{amount:.2f}"},
                                  headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
            took = time.perf_counter() - started
            run.all.append(took)  # type: ignore[attr-defined]
            if r.status_code == 201:
                run.ok.append(took)
                price["current"] = max(price["current"], Decimal(r.json()["amount"]))
            elif r.status_code == 409:
                run.rejected += 1
                current = r.json().get("current_price")
                if current:
                    price["current"] = max(price["current"], Decimal(current))
                if r.json().get("code") == "bid.already_leading":
                    await asyncio.sleep(0.002)
            else:
                run.errors += 1

    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(bidder(client, t) for t in tokens.values()))
        run.seconds = time.perf_counter() - started
    return run


async def _raw(settings: TransactionsSettings, listing_id: str, n: int, seconds: float) -> Run:
    run = Run()
    i = settings.infra
    pool = await asyncpg.create_pool(host=i.pg_host, port=i.pg_port, database=i.pg_database, user=settings.db_user,
                                     password=settings.db_password, min_size=n, max_size=n)
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        async with pool.acquire() as conn:
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                async with conn.transaction():
                    await conn.fetchrow("SELECT last_seq FROM transactions.listings WHERE id = $1 FOR UPDATE",
                                        uuid.UUID(listing_id))
                    await conn.execute("UPDATE transactions.listings SET updated_at = clock_timestamp() WHERE id = $1",
                                       uuid.UUID(listing_id))
                run.ok.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(n)))
    run.seconds = time.perf_counter() - started
    await pool.close()
    return run


async def _bench(*, seconds: float, n: int) -> None:
    settings = TransactionsSettings(allow_provisional_calendar=True)
    trading = Trading.build(settings)
    names = _ensure_users(n)
    listing_id, tokens = await _setup(trading, names)
    port = _free_port()
    exe = Path(sys.executable).with_name("natres-transactions")
    env = {**os.environ, "TRANSACTIONS_LOG_LEVEL": "WARNING", "TRANSACTIONS_DB_POOL_SIZE": str(n),
           "TRANSACTIONS_DB_MAX_OVERFLOW": "0"}
    server = subprocess.Popen([str(exe), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as c:
            for _ in range(100):
                try:
                    if (await c.get(f"{base}/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
        await _api(base, listing_id, tokens, min(2.0, seconds))  # warm-up: connections, JWKS, pools
        api = await _api(base, listing_id, tokens, seconds)
        raw = await _raw(settings, listing_id, n, seconds)
    finally:
        server.terminate()
        server.wait(timeout=10)
        admin = await trading.ctx.verifier.verify(password_token("trader.admin"))
        await listings.change_state(trading=trading, listing_id=listing_id, event=Transition.TERMINATED,
                                    actor=admin, reason="基准测试结束")
        await trading.ctx.aclose()
    print(f"\nhot listing {listing_id}, {n} concurrent bidders, {seconds:g} s each, {os.cpu_count()} CPUs")
    print(api.line("API accepted bids (HTTP, uvicorn)"))
    print(Run(ok=api.all, seconds=api.seconds).line("API all bid requests (201 + 409)"))  # type: ignore[attr-defined]
    print(raw.line("raw PostgreSQL row-lock tx"))
    ratio = (len(api.ok) / api.seconds) / (len(raw.ok) / raw.seconds) if raw.ok else float("nan")
    p99 = sorted(api.ok)[int(0.99 * (len(api.ok) - 1))] * 1000 if api.ok else float("nan")
    print(f"ratio API/raw = {ratio:.1%} (target >= 40%)   API p99 of accepted = {p99:.1f} ms (target < 50 ms)")
