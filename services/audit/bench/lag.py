"""End-to-end lag at a steady producer rate: outbox commit (producer schema) → relay → Kafka → durable entry."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

from audit.intake.consumer import AuditIntake
from audit.testing import build_schema, drop_schema
from common import BenchLog, percentile, synthetic_event
from natres_platform.messaging_tables import MessagingTables
from natres_platform.relay import OutboxRelay
from natres_platform.uow import UnitOfWork


@dataclass
class LagFigures:
    rate: float
    events: int
    p50: float
    p99: float
    worst: float


async def run(*, rate: int, seconds: int) -> LagFigures:
    log = BenchLog.create("lag")
    producer_schema = f"audit_bench_producer_{uuid.uuid4().hex[:6]}"
    build_schema(producer_schema)  # an outbox like any producing service's
    ctx = log.runtime.ctx
    outbox = MessagingTables(producer_schema)
    committed: dict[str, float] = {}
    durable: dict[str, float] = {}

    def on_appended(result) -> None:
        now = time.perf_counter()
        for _, event_id in result.appended:
            durable[event_id] = now

    def uow() -> UnitOfWork:
        return UnitOfWork(sessionmaker=ctx.sessionmaker, tables=outbox, schemas=ctx.schemas, topic=log.topic)

    async def emit(i: int) -> None:
        async with uow() as u:
            event = u.record(synthetic_event(i))
            await u.commit()
        committed[event.id] = time.perf_counter()

    relay = OutboxRelay(
        sessionmaker=ctx.sessionmaker,
        tables=outbox,
        bootstrap=log.runtime.settings.infra.kafka_bootstrap,
        client_id="bench-relay",
        batch_size=log.runtime.settings.relay_batch_size,
        idle_seconds=log.runtime.settings.relay_idle_seconds,
    )
    intake = AuditIntake(runtime=log.runtime, on_appended=on_appended)
    stop = asyncio.Event()
    loops = [asyncio.create_task(relay.run(stop)), asyncio.create_task(intake.run(stop))]
    try:
        # Warm-up: the consumer group must have its partitions before the clock starts.
        for i in range(10):
            await emit(i)
        while len(durable) < 10:
            await asyncio.sleep(0.1)
        committed.clear()
        durable.clear()

        n = rate * seconds
        start = time.perf_counter()
        # One transaction per event, started on schedule (several in flight when commits are slow).
        emitting = []
        for i in range(n):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            emitting.append(asyncio.create_task(emit(1000 + i)))
        await asyncio.gather(*emitting)
        achieved = n / (time.perf_counter() - start)
        deadline = time.perf_counter() + 60
        while len(durable) < n and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.gather(*loops, return_exceptions=True)
        await log.close()
        drop_schema(producer_schema)
    lags = [durable[e] - committed[e] for e in committed if e in durable]
    if len(lags) < n:
        raise RuntimeError(f"only {len(lags)} of {n} events became entries within 60 s")
    return LagFigures(rate=achieved, events=n, p50=percentile(lags, 50), p99=percentile(lags, 99), worst=max(lags))
