"""Batch intake: one Kafka poll becomes one log transaction; offsets are committed after it."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from audit.intake.admission import Leaf
from audit.intake.parsing import (
    Item,
    Position,
    Refusal,
    admit_values,
    admit_values_in_worker,
    init_worker,
    worker_ready,
)
from audit.intake.sequencer import AppendResult, append_leaves
from audit.runtime import AuditRuntime
from natres_platform.consumer import InboxConsumer, Outcome, subscribe

log = logging.getLogger(__name__)

# Data exceptions, integrity violations, program limits: retrying the same rows cannot succeed.
_PERMANENT_SQLSTATE_CLASSES = ("22", "23", "54")
# Below this many records the round trip to a worker process costs more than parsing here.
_MIN_OFFLOAD = 64

Batches = dict[TopicPartition, list[Any]]


def _sqlstate(exc: BaseException | None) -> str | None:
    while exc is not None:
        for attr in ("sqlstate", "pgcode"):
            code = getattr(exc, attr, None)
            if isinstance(code, str):
                return code
        exc = getattr(exc, "orig", None) or exc.__cause__
    return None


def _items(records: list[Any]) -> list[Item]:
    return [(Position(r.topic, r.partition, r.offset), r.value or b"") for r in records]


def is_permanent(exc: BaseException) -> bool:
    """Whether a failed append is about the rows themselves (park them) rather than an outage."""
    code = _sqlstate(exc)
    return code is not None and code[:2] in _PERMANENT_SQLSTATE_CLASSES


class AuditIntake(InboxConsumer):
    """Reuses the shared consumer's parking, inbox table and run loop; works a whole poll per transaction.

    Parsing and JSON Schema validation are CPU-bound, so large polls are split across
    `parse_workers` processes (which load the platform contracts, as ServiceContext does), and the
    next poll is fetched and parsed while the current one is written.
    """

    def __init__(
        self,
        *,
        runtime: AuditRuntime,
        topics: list[str] | None = None,
        group_id: str | None = None,
        max_poll_records: int | None = None,
        parse_workers: int | None = None,
        on_appended: Callable[[AppendResult], None] | None = None,
        max_backoff_seconds: float = 30.0,
    ) -> None:
        ctx, s = runtime.ctx, runtime.settings
        super().__init__(
            sessionmaker=ctx.sessionmaker,
            tables=ctx.tables,
            schemas=ctx.schemas,
            uow_factory=ctx.uow,
            bootstrap=s.infra.kafka_bootstrap,
            topics=topics or list(s.intake_topics),
            group_id=group_id or s.consumer_group,
            handlers={},
            max_backoff_seconds=max_backoff_seconds,
        )
        self._runtime = runtime
        self._max_records = max_poll_records or s.intake_max_poll_records
        self._parse_workers = s.intake_parse_workers if parse_workers is None else parse_workers
        self._pool: ProcessPoolExecutor | None = None
        self._prefetch: asyncio.Future | None = None
        # Hook for benchmarks and crash tests: runs after the batch commits, before offsets do.
        self._on_appended = on_appended

    def _connect(self) -> KafkaConsumer:
        return subscribe(bootstrap=self._bootstrap, group_id=self._group_id, topics=self._topics,
                         max_poll_records=self._max_records)

    async def start_workers(self) -> None:
        """Start the parse processes now, so that a burst does not wait a second for them to spawn."""
        workers = self._parse_workers
        if workers <= 0 or self._pool is not None:
            return
        # spawn, not fork: this process runs threads (Kafka client) and an event loop.
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=init_worker)
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self._pool, worker_ready) for _ in range(workers)))

    async def _parse(self, items: list[Item]) -> list[Leaf | Refusal]:
        workers = self._parse_workers
        if workers <= 0 or len(items) < _MIN_OFFLOAD:
            return admit_values(self._schemas, items)
        await self.start_workers()
        step = -(-len(items) // workers)
        loop = asyncio.get_running_loop()
        try:
            chunks = [items[i : i + step] for i in range(0, len(items), step)]
            parts = await asyncio.gather(*(loop.run_in_executor(self._pool, admit_values_in_worker, c) for c in chunks))
        except Exception:
            self._shutdown_pool()  # a dead worker breaks the pool: start afresh on the retry
            raise
        return [result for part in parts for result in part]

    async def admit_all(self, records: list[Any], parsed: list[Leaf | Refusal] | None = None) -> list[Leaf]:
        """Leaves for the admissible records; everything else is parked (committed) with its reason."""
        if parsed is None:
            parsed = await self._parse(_items(records))
        leaves: list[Leaf] = []
        for record, result in zip(records, parsed, strict=True):
            if isinstance(result, Refusal):
                await self.park(
                    record, code=result.code, reason=result.reason, event_id=result.event_id, event_type=result.event_type
                )
            else:
                leaves.append(result)
        return leaves

    async def apply_record(self, record: Any) -> Outcome:
        """One record through admission and the log append (the path replay-parked re-runs a parked one on)."""
        [result] = admit_values(self._schemas, _items([record]))
        if isinstance(result, Refusal):
            return Outcome.refused(result.code, result.reason, event_id=result.event_id, event_type=result.event_type)
        try:
            appended = await self._append([result])
        except Exception as exc:
            if not is_permanent(exc):
                raise
            return Outcome.refused("audit.unstorable", f"database refused the entry: {exc}"[:4000],
                                   event_id=result.event_id, event_type=result.event_type)
        return Outcome("applied" if appended.appended else "duplicate", result.event_id, result.event_type)

    async def _append(self, leaves: list[Leaf]) -> AppendResult:
        async with self._sessionmaker() as session, session.begin():
            return await append_leaves(session=session, tables=self._runtime.tables, inbox=self._tables, leaves=leaves)

    async def _append_one_by_one(self, records: dict[tuple[str, int, int], Any], leaves: list[Leaf]) -> AppendResult:
        """After a batch failed on its data: find the row(s) at fault, park them, append the rest."""
        total = AppendResult(size=0, root=b"")
        for leaf in leaves:
            try:
                result = await self._append([leaf])
            except Exception as exc:
                if not is_permanent(exc):
                    raise
                await self.park(
                    records[(leaf.topic, leaf.partition, leaf.offset)],
                    code="audit.unstorable",
                    reason=f"database refused the entry: {exc}"[:4000],
                    event_id=leaf.event_id,
                    event_type=leaf.event_type,
                )
                continue
            total.appended += result.appended
            total.duplicates += result.duplicates
            total.size, total.root = result.size, result.root
        return total

    async def process(self, records: list[Any], parsed: list[Leaf | Refusal] | None = None) -> AppendResult | None:
        """Admit, then append the whole batch durably (one transaction); None when nothing was admissible."""
        leaves = await self.admit_all(records, parsed)
        if not leaves:
            return None
        try:
            result = await self._append(leaves)
        except Exception as exc:
            if not is_permanent(exc):
                raise
            log.warning("intake: batch refused by the database, isolating the culprit", extra={"error": repr(exc)})
            by_position = {(r.topic, r.partition, r.offset): r for r in records}
            result = await self._append_one_by_one(by_position, leaves)
        if self._on_appended is not None:
            self._on_appended(result)
        return result

    async def _fetch(self, timeout_ms: int) -> tuple[Batches, list[Any], list[Leaf | Refusal]]:
        """Poll, then parse (no side effects), so this can run ahead while the previous batch is written."""
        batches: Batches = await self._call(
            lambda: self._consumer.poll(timeout_ms=timeout_ms, max_records=self._max_records)
        )
        records = [record for batch in batches.values() for record in batch]
        parsed = await self._parse(_items(records)) if records else []
        return batches, records, parsed

    async def _rewind(self, *batches: Batches) -> None:
        """Seek every partition back to the first record not made durable.

        If seeking fails, the client is dropped instead: a new one resumes from the committed
        offsets, whereas reading on from where the failed batch left off would skip it for good.
        """
        first: dict[TopicPartition, int] = {}
        for batch in batches:
            for tp, records in batch.items():
                first[tp] = min(first.get(tp, records[0].offset), records[0].offset)
        try:
            for tp, offset in first.items():
                await self._call(self._consumer.seek, tp, offset)
        except Exception as exc:  # noqa: BLE001 - any doubt about the position means reconnecting
            log.warning("intake: rewind failed, reconnecting", extra={"error": repr(exc)})
            consumer, self._consumer = self._consumer, None
            try:
                await self._call(consumer.close)
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass

    async def _take_prefetch(self) -> Batches:
        future, self._prefetch = self._prefetch, None
        if future is None:
            return {}
        try:
            return (await future)[0]
        except Exception:  # noqa: BLE001 - its records were never handed out; the next poll retries
            return {}

    async def poll_once(self, timeout_ms: int = 500) -> int:
        """One batch, one transaction, then its offsets; on failure rewind so nothing is skipped."""
        if self._consumer is None:
            await self.start_workers()
            self._consumer = await self._call(self._connect)
        pending, self._prefetch = self._prefetch or asyncio.ensure_future(self._fetch(timeout_ms)), None
        batches, records, parsed = await pending
        if not records:
            return 0
        # The next batch is polled and parsed while this one is written.
        self._prefetch = asyncio.ensure_future(self._fetch(timeout_ms))
        try:
            await self.process(records, parsed)
        except Exception:
            await self._rewind(batches, await self._take_prefetch())
            raise
        offsets = {tp: OffsetAndMetadata(batch[-1].offset + 1, "", -1) for tp, batch in batches.items()}
        await self._call(lambda: self._consumer.commit(offsets=offsets))
        return len(records)

    def _shutdown_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    async def close(self) -> None:
        """Drop an unprocessed prefetch (never committed, so re-read later), stop workers, leave the group."""
        await self._take_prefetch()
        self._shutdown_pool()
        await super().close()
