"""Idempotent consumer: effect + inbox row in one transaction, Kafka offsets committed after."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata
from sqlalchemy.dialects.postgresql import insert as pg_insert

from natres_platform.db import SessionMaker
from natres_platform.errors import PlatformError
from natres_platform.events import CloudEvent, EventSchemaError, SchemaRegistry
from natres_platform.messaging_tables import MessagingTables
from natres_platform.workers import sleep_or_stop
from natres_platform.tracing import continue_trace
from natres_platform.uow import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, CloudEvent], Awaitable[None]]
UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class Outcome:
    """What the effect path made of one record: applied, duplicate, skipped (no handler) or refused (with why)."""

    status: str
    event_id: str | None = None
    event_type: str | None = None
    code: str | None = None
    reason: str | None = None

    @classmethod
    def refused(cls, code: str, reason: str, *, event_id: str | None, event_type: str | None) -> Outcome:
        """A record that cannot be admitted: what gets parked with it."""
        return cls("refused", event_id, event_type, code, reason)


def subscribe(*, bootstrap: str, group_id: str, topics: list[str], max_poll_records: int = 200,
              **options: Any) -> KafkaConsumer:
    """A group member that commits its offsets itself (after the effect) and starts at the earliest offset."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group_id,
        client_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_poll_records,
        # The broker answers a fetch once 1 MiB is there or 500 ms (its default) have passed: under load, a
        # few full fetches a second instead of dozens of small ones. At 1,000 bids/s this took the broker's,
        # the audit log's and the registry's CPU per event to about half of what 32 KiB fetches cost; a
        # quiet topic waits at most the same 0.5 s as before.
        fetch_min_bytes=1024 * 1024,
        fetch_max_wait_ms=500,
        **options,
    )
    consumer.subscribe(topics)
    return consumer


class InboxConsumer:
    """Reads topics in a consumer group and applies each event's effect exactly once."""

    def __init__(
        self,
        *,
        sessionmaker: SessionMaker,
        tables: MessagingTables,
        schemas: SchemaRegistry,
        uow_factory: UowFactory,
        bootstrap: str,
        topics: list[str],
        group_id: str,
        handlers: Mapping[str, Handler],
        default_handler: Handler | None = None,
        after_effect: Callable[[CloudEvent], None] | None = None,
        max_backoff_seconds: float = 30.0,
        session_timeout_ms: int = 10_000,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._tables = tables
        self._schemas = schemas
        self._uow_factory = uow_factory
        self._bootstrap = bootstrap
        self._topics = topics
        self._group_id = group_id
        self._handlers = dict(handlers)
        self._default = default_handler
        # Fault-injection point for crash tests: runs after the effect commits, before offsets do.
        self._after_effect = after_effect
        self._max_backoff = max_backoff_seconds
        # How long a dead member keeps its partitions before the group reassigns them.
        self._session_timeout_ms = session_timeout_ms
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="consumer-kafka")
        self._consumer: KafkaConsumer | None = None

    async def _call(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def _connect(self) -> KafkaConsumer:
        return subscribe(bootstrap=self._bootstrap, group_id=self._group_id, topics=self._topics,
                         session_timeout_ms=self._session_timeout_ms,
                         heartbeat_interval_ms=max(1000, self._session_timeout_ms // 4))

    @property
    def topics(self) -> list[str]:
        """The topics this consumer reads (a parked row is replayed by the consumer of its topic)."""
        return list(self._topics)

    def _handler_for(self, event_type: str) -> Handler | None:
        return self._handlers.get(event_type, self._default)

    async def park(self, record: Any, *, code: str, reason: str, event_id: str | None, event_type: str | None) -> None:
        """Keep a message we cannot admit, verbatim, with the reason; idempotent per position."""
        p = self._tables.parked
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                pg_insert(p)
                .values(
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    key=record.key.decode("utf-8", "replace") if record.key else None,
                    event_id=event_id,
                    event_type=event_type,
                    raw=record.value or b"",
                    reason_code=code,
                    reason=reason[:4000],
                )
                .on_conflict_do_nothing()
            )
        log.warning("consumer: parked event", extra={"reason_code": code, "reason": reason, "topic": record.topic})

    async def apply_record(self, record: Any) -> Outcome:
        """The effect path without parking (`handle_record` parks a refusal; `natres_platform.parked` replays here)."""
        if self._default is None:
            # The relay names the type in a header: an event this consumer has no handler for is
            # skipped without decoding it (the registry reads a topic made mostly of bids).
            named = _header(record, "ce_type")
            if named is not None and named not in self._handlers:
                return Outcome("skipped", None, named)
        try:
            event = self._schemas.parse(record.value or b"")
        except EventSchemaError as exc:
            return Outcome.refused(exc.code, exc.detail, event_id=None,
                                   event_type=(exc.extensions or {}).get("event_type"))
        handler = self._handler_for(event.type)
        if handler is None:
            return Outcome("skipped", event.id, event.type)
        continue_trace(event.traceparent)
        inbox = self._tables.inbox
        try:
            async with self._uow_factory() as uow:
                claimed = await uow.session.execute(
                    pg_insert(inbox)
                    .values(
                        event_id=event.id,
                        event_type=event.type,
                        topic=record.topic,
                        partition=record.partition,
                        offset=record.offset,
                    )
                    .on_conflict_do_nothing()
                    .returning(inbox.c.event_id)
                )
                if claimed.first() is None:
                    return Outcome("duplicate", event.id, event.type)
                await handler(uow, event)
                await uow.commit()
        except PlatformError as exc:
            # A domain refusal is permanent: the caller parks it so the partition keeps moving.
            return Outcome.refused(exc.code, exc.detail, event_id=event.id, event_type=event.type)
        if self._after_effect is not None:
            self._after_effect(event)
        return Outcome("applied", event.id, event.type)

    async def handle_record(self, record: Any) -> str:
        """Process one Kafka record; returns 'applied', 'duplicate', 'skipped' or 'parked'."""
        outcome = await self.apply_record(record)
        if outcome.status == "refused":
            await self.park(record, code=outcome.code, reason=outcome.reason, event_id=outcome.event_id,
                            event_type=outcome.event_type)
            return "parked"
        return outcome.status

    async def poll_once(self, timeout_ms: int = 500) -> int:
        """One poll: process every record in order per partition, then commit offsets."""
        if self._consumer is None:
            self._consumer = await self._call(self._connect)
        batches = await self._call(lambda: self._consumer.poll(timeout_ms=timeout_ms))
        done: dict[TopicPartition, OffsetAndMetadata] = {}
        processed = 0
        failure: BaseException | None = None
        for tp, records in batches.items():
            for record in records:
                try:
                    await self.handle_record(record)
                except Exception as exc:  # noqa: BLE001 - transient: retry this record later
                    failure = exc
                    await self._call(self._consumer.seek, tp, record.offset)
                    break
                done[tp] = OffsetAndMetadata(record.offset + 1, "", -1)
                processed += 1
        if done:
            await self._call(lambda: self._consumer.commit(offsets=done))
        if failure is not None:
            raise failure
        return processed

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until `stop` is set; outages back off and resume from the last committed offset."""
        backoff = 0.5
        while not stop.is_set():
            try:
                await self.poll_once()
                backoff = 0.5
            except Exception as exc:  # noqa: BLE001 - the consumer must outlive any outage
                log.warning("consumer: processing failed, retrying", extra={"error": repr(exc)})
                await sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, self._max_backoff)
        await self.close()

    async def close(self) -> None:
        """Leave the group cleanly."""
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            await self._call(consumer.close)
        self._thread.shutdown(wait=False)


def _header(record: Any, name: str) -> str | None:
    for key, value in getattr(record, "headers", None) or ():
        if key == name and value is not None:
            return value.decode("utf-8", "replace")
    return None
