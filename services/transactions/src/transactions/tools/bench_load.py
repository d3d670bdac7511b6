"""The load side of `natres-transactions bench`: the HTTP client, the bidders' rounds, the raw ceiling, CPU counters."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import asyncpg

from transactions.settings import TransactionsSettings

INCREMENT = Decimal("100.00")
START = Decimal("1000000.00")
LEADER_PAUSE = 0.010
# Offered 加价 loads, as shares of the raw ceiling, at which latency is measured below saturation.
PACED = (0.25, 0.40)


@dataclass
class Run:
    """Latencies (seconds) by outcome, and how long the run lasted."""

    accepted: list[float] = field(default_factory=list)
    rejected: list[float] = field(default_factory=list)
    errors: int = 0
    error_sample: str = ""
    seconds: float = 0.0
    server_cpu: float = 0.0
    pg_cpu: float = 0.0
    client_cpu: float = 0.0
    batches: tuple[float, float, float] = (0.0, 0.0, 0.0)  # place_bid(s) calls, bids, seconds (server)

    @property
    def all(self) -> list[float]:
        return self.accepted + self.rejected


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def line(label: str, latencies: list[float], seconds: float) -> str:
    rate = len(latencies) / seconds if seconds else 0.0
    return (f"{label:<38} {rate:>8.1f}/s  p50 {pct(latencies, 0.50):7.2f} ms  p90 {pct(latencies, 0.90):7.2f} ms"
            f"  p99 {pct(latencies, 0.99):7.2f} ms  n {len(latencies):>6}")


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def tree(pid: int) -> list[int]:
    """A process and its descendants (the uvicorn supervisor and its workers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children") if Path(f"/proc/{p}").exists() else ():
            todo += [int(c) for c in task.read_text().split()]
    return out


async def backend_pids(settings: TransactionsSettings, application_name: str) -> list[int]:
    """PostgreSQL backend pids of one application_name (to count the database's CPU per request)."""
    i = settings.infra
    conn = await asyncpg.connect(host=i.pg_host, port=i.pg_port, database=i.pg_database, user=settings.db_user,
                                 password=settings.db_password)
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE application_name = $1", application_name)
    finally:
        await conn.close()
    return [r["pid"] for r in rows]


def cpu_sum(pids: list[int]) -> float:
    return sum(cpu(p) for p in pids)


async def batching(port: int) -> tuple[float, float, float]:
    """(place_bid(s) calls, bids they carried, seconds they held the listing) so far, from /metrics."""
    conn = HttpConnection(port)
    try:
        _, body = await conn.request("GET", "/metrics", b"", {})
    finally:
        conn.close()
    values = dict(line.rsplit(" ", 1) for line in body.decode().splitlines() if line.startswith("transactions_bid_"))
    calls, bids, held = (float(values.get(f"transactions_bid_{name}", 0.0))
                         for name in ("batch_size_count", "batch_size_sum", "batch_seconds_sum"))
    return calls, bids, held


def batch_line(run: Run) -> str:
    calls, bids, held = run.batches
    if not calls:
        return "  place_bid(s) calls: none counted"
    return (f"  place_bid(s) calls: {calls / run.seconds:.0f}/s, {bids / calls:.1f} bids each, "
            f"{held / calls * 1000:.2f} ms each (the listing's serial section, busy {held / run.seconds:.0%})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HttpConnection:
    """One keep-alive HTTP/1.1 connection: just enough client for POST + Content-Length responses."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        return await self.request("POST", path, body, headers)

    async def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self._port)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._writer.write(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {len(body)}\r\n{head}\r\n".encode() + body)
        reader = self._reader
        status = int((await reader.readline()).split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await reader.readexactly(length)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


BUDGET = "9999999999.00"  # each bench bidder's 加价 limit: never reached in a run


async def api_round(port: int, listing_id: str, tokens: dict[str, str], seconds: float, *, raising: bool) -> Run:
    run = Run()
    path = f"/api/v1/listings/{listing_id}/bids"
    raise_body = json.dumps({"raise_steps": 1, "max_amount": BUDGET}).encode()
    stop_at = time.perf_counter() + seconds

    async def bidder(token: str) -> None:
        conn = HttpConnection(port)
        seen = START - INCREMENT  # nothing seen yet: the first quote is the start price
        try:
            while time.perf_counter() < stop_at:
                amount = seen + INCREMENT
                payload = raise_body if raising else json.dumps({"amount": f"{amount:.2f}"}).encode()
                started = time.perf_counter()
                status, body = await conn.post(
                    path, payload, {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
                took = time.perf_counter() - started
                if status == 201:
                    run.accepted.append(took)
                    seen = amount if not raising else Decimal(json.loads(body)["amount"])
                    await asyncio.sleep(LEADER_PAUSE)  # leading: nothing to do until outbid
                elif status == 409:
                    run.rejected.append(took)
                    problem = json.loads(body)
                    if problem.get("current_price"):
                        seen = Decimal(problem["current_price"])
                    if problem.get("code") == "bid.already_leading":
                        await asyncio.sleep(LEADER_PAUSE)
                else:
                    run.errors += 1
                    run.error_sample = run.error_sample or f"{status} {body[:200]!r}"
        finally:
            conn.close()

    client_before = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(bidder(t) for t in tokens.values()))
    run.seconds = time.perf_counter() - started
    run.client_cpu = time.process_time() - client_before
    return run


async def paced_round(port: int, listing_id: str, tokens: dict[str, str], seconds: float, rate: float) -> Run:
    """加价 requests offered at `rate`/s in all, spread evenly over the bidders (constant throughput).

    Each latency runs from the moment the request was due, not from when it could be sent: a
    response that comes back late delays its bidder's next request, and that wait is counted
    (no coordinated omission). A leader's refusal (already leading) counts as a rejected bid.
    """
    run = Run()
    path = f"/api/v1/listings/{listing_id}/bids"
    body = json.dumps({"raise_steps": 1, "max_amount": BUDGET}).encode()
    names = list(tokens)
    interval = len(names) / rate
    started = time.perf_counter()

    async def bidder(i: int, token: str) -> None:
        conn = HttpConnection(port)
        due = started + i / rate
        try:
            while due < started + seconds:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                status, reply = await conn.post(
                    path, body, {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
                took = time.perf_counter() - due
                if status == 201:
                    run.accepted.append(took)
                elif status == 409:
                    run.rejected.append(took)
                else:
                    run.errors += 1
                    run.error_sample = run.error_sample or f"{status} {reply[:200]!r}"
                due += interval
        finally:
            conn.close()

    client_before = time.process_time()
    await asyncio.gather(*(bidder(i, tokens[n]) for i, n in enumerate(names)))
    run.seconds = time.perf_counter() - started
    run.client_cpu = time.process_time() - client_before
    return run


async def raw_round(settings: TransactionsSettings, listing_id: str, n: int, connections: int, seconds: float) -> Run:
    run = Run()
    i = settings.infra
    pool = await asyncpg.create_pool(host=i.pg_host, port=i.pg_port, database=i.pg_database, user=settings.db_user,
                                     password=settings.db_password, min_size=connections, max_size=connections,
                                     server_settings={"application_name": "natres-bench-raw"})
    backends = await backend_pids(settings, "natres-bench-raw")
    pg_before = cpu_sum(backends)
    stop_at = time.perf_counter() + seconds
    lid = uuid.UUID(listing_id)
    update = ("UPDATE transactions.listings SET updated_at = clock_timestamp() WHERE id = $1 "
              "RETURNING last_seq, current_price")

    async def worker() -> None:
        # N clients share the connections as the API's N bidders share its pools: the wait for a
        # connection is part of each latency on both sides.
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            async with pool.acquire() as conn:
                await conn.fetchrow(update, lid)
            run.accepted.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(n)))
    run.seconds = time.perf_counter() - started
    run.pg_cpu = cpu_sum(backends) - pg_before
    await pool.close()
    return run
