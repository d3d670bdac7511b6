"""Sustained append rate, Kafka → durable entries, beside plain INSERTs of the same rows."""

from __future__ import annotations

import time
from dataclasses import dataclass

from kafka import KafkaProducer
from sqlalchemy import text

from audit.intake.admission import admit
from audit.intake.consumer import AuditIntake
from audit.testing import FakeRecord
from common import BenchLog, superuser_exec, synthetic_event
from natres_platform.testing import infra


@dataclass
class AppendFigures:
    events: int
    workers: int
    raw_rate: float
    inline_rate: float
    intake_rate: float
    intake_wall: float


def produce(topic: str, events: list) -> None:
    producer = KafkaProducer(bootstrap_servers=infra().kafka_bootstrap, acks="all", linger_ms=20, batch_size=256 * 1024)
    for e in events:
        producer.send(topic, key=e.subject.encode(), value=e.to_bytes())
    producer.flush()
    producer.close()


async def intake_rate(log: BenchLog, n: int, batch: int, workers: int) -> tuple[float, float]:
    """Consume n pre-produced events; the rate runs from the first durable batch to the last."""
    commits: list[tuple[float, int]] = []
    intake = AuditIntake(
        runtime=log.runtime,
        max_poll_records=batch,
        parse_workers=workers,
        on_appended=lambda r: commits.append((time.perf_counter(), r.size)),
    )
    started = time.perf_counter()
    while not commits or commits[-1][1] < n:
        await intake.poll_once(timeout_ms=500)
    await intake.close()
    (t0, s0), (t1, s1) = commits[0], commits[-1]
    return (s1 - s0) / (t1 - t0), t1 - started


async def raw_rate(log: BenchLog, events: list, batch: int) -> float:
    """Baseline: the same entry rows by plain batched INSERT into a copy of `entries` (same indexes), no tree."""
    superuser_exec(
        f"CREATE TABLE {log.schema}.raw_entries (LIKE {log.schema}.entries INCLUDING ALL)",
        f"GRANT INSERT ON {log.schema}.raw_entries TO audit_app",
    )
    record = FakeRecord(log.topic, 0, 0, None, b"")
    leaves = [admit(e, record) for e in events]
    insert = text(
        f"INSERT INTO {log.schema}.raw_entries (idx, event_id, event_type, source, subject, actor, region, "
        'event_time, topic, "partition", "offset", canonical) '
        "SELECT * FROM unnest(CAST(:idx AS bigint[]), CAST(:ids AS text[]), CAST(:types AS text[]), "
        "CAST(:sources AS text[]), CAST(:subjects AS text[]), CAST(:actors AS text[]), CAST(:regions AS text[]), "
        "CAST(:times AS timestamptz[]), CAST(:topics AS text[]), CAST(:parts AS integer[]), "
        "CAST(:offsets AS bigint[]), CAST(:canonical AS bytea[]))"
    )
    ctx = log.runtime.ctx
    started = time.perf_counter()
    for i in range(0, len(leaves), batch):
        chunk = leaves[i : i + batch]
        async with ctx.sessionmaker() as session, session.begin():
            await session.execute(
                insert,
                {
                    "idx": list(range(i, i + len(chunk))),
                    "ids": [x.event_id for x in chunk],
                    "types": [x.event_type for x in chunk],
                    "sources": [x.source for x in chunk],
                    "subjects": [x.subject for x in chunk],
                    "actors": [x.actor for x in chunk],
                    "regions": [x.region for x in chunk],
                    "times": [x.event_time for x in chunk],
                    "topics": [x.topic for x in chunk],
                    "parts": [x.partition for x in chunk],
                    "offsets": [x.offset for x in chunk],
                    "canonical": [x.canonical for x in chunk],
                },
            )
    return len(leaves) / (time.perf_counter() - started)


async def run(*, n: int, batch: int, workers: int) -> AppendFigures:
    """Three runs over the same n events, each in a fresh schema (and topic)."""
    events = [synthetic_event(i) for i in range(n)]
    log = BenchLog.create("append_raw", with_topic=False)
    try:
        raw = await raw_rate(log, events, batch)
    finally:
        await log.close()
    rates = {}
    for w in (0, workers):
        log = BenchLog.create(f"append_w{w}")
        try:
            produce(log.topic, events)
            rates[w] = await intake_rate(log, n, batch, w)
        finally:
            await log.close()
    return AppendFigures(
        events=n,
        workers=workers,
        raw_rate=raw,
        inline_rate=rates[0][0],
        intake_rate=rates[workers][0],
        intake_wall=rates[workers][1],
    )
