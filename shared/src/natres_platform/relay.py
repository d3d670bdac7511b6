"""Outbox relay: claims unsent rows, publishes them to Kafka keyed by aggregate, marks them sent.

A topic whose sends fail (it does not exist, or the broker is away) is held back for a while,
with a backoff that doubles up to `max_backoff_seconds`: its rows stay in the outbox, in order,
and the other topics' rows keep flowing instead of queueing behind them. When its hold runs out
the broker's topic list is asked first (a send to a missing topic blocks the Kafka thread for
max_block_ms); a topic still missing is held again, for up to MAX_MISSING_HOLD.

Published rows are kept for `retention_hours` (an operator can re-publish them after a broker loss),
then deleted from the head of the table by a task beside the publishing loop; unsent rows never are.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer
from kafka.errors import KafkaError
from sqlalchemy import Text, cast, delete, func, select, update

from natres_platform.db import SessionMaker
from natres_platform.events import CONTENT_TYPE
from natres_platform.messaging_tables import MessagingTables
from natres_platform.workers import sleep_or_stop

log = logging.getLogger(__name__)
MAX_MISSING_HOLD = 300.0
PRUNE_MAX_BATCHES = 20  # per prune_once() call, so that one call stays short
PRUNE_START_DELAY = 5.0  # the first prune after start (or after one interval, if that is shorter)


def make_producer(bootstrap: str, client_id: str) -> KafkaProducer:
    """An idempotent producer that waits for all in-sync replicas (no silent loss)."""
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        # One record batch per relay batch (kafka-python's default is 16 KiB): a flush of 200 events is then
        # one produce request rather than a dozen sent one after another.
        batch_size=256 * 1024,
        max_block_ms=10_000,
        bootstrap_timeout_ms=10_000,
        request_timeout_ms=10_000,
        delivery_timeout_ms=30_000,
    )


class OutboxRelay:
    """One per service process group; safe to run several (SKIP LOCKED), order kept per key."""

    def __init__(
        self,
        *,
        sessionmaker: SessionMaker,
        tables: MessagingTables,
        bootstrap: str,
        client_id: str,
        batch_size: int = 200,
        idle_seconds: float = 0.2,
        max_backoff_seconds: float = 30.0,
        retention_hours: float = 168.0,
        prune_interval_seconds: float = 300.0,
        prune_batch_size: int = 5000,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._outbox = tables.outbox
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._batch_size = batch_size
        self._idle = idle_seconds
        self._max_backoff = max_backoff_seconds
        self._retention_hours = retention_hours  # 0 or negative: published rows are kept forever
        self._prune_interval = prune_interval_seconds
        self._prune_batch_size = prune_batch_size
        # kafka-python is blocking and not meant for concurrent use: one dedicated thread.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-kafka")
        self._producer: KafkaProducer | None = None
        # topic -> (monotonic time it may be tried again, its current backoff)
        self._held: dict[str, tuple[float, float]] = {}
        self._admin: KafkaAdminClient | None = None

    async def _call(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def _publish(self, rows: list[Any]) -> dict[int, str | None]:
        """Send a batch and wait for every acknowledgement; returns row id -> error or None."""
        if self._producer is None:
            self._producer = make_producer(self._bootstrap, self._client_id)
        futures = {}
        outcome: dict[int, str | None] = {}
        refused: dict[str, str] = {}  # topic -> why send() refused it (its later rows are not tried)
        for row in rows:
            if row.topic in refused:
                outcome[row.id] = refused[row.topic]
                continue
            try:
                futures[row.id] = self._producer.send(
                    row.topic,
                    key=row.key.encode(),
                    value=row.payload.encode(),
                    headers=[("content-type", CONTENT_TYPE.encode()), ("ce_type", row.event_type.encode())],
                )
            except KafkaError as exc:  # e.g. no metadata for the topic within max_block_ms
                refused[row.topic] = outcome[row.id] = repr(exc)
        self._producer.flush(timeout=30)
        for row_id, fut in futures.items():
            try:
                fut.get(timeout=0)
                outcome[row_id] = None
            except Exception as exc:  # noqa: BLE001 - any failure leaves the row for a retry
                outcome[row_id] = repr(exc)
        return outcome

    async def run_once(self) -> int:
        """Publish one batch; returns how many rows were marked sent."""
        o = self._outbox
        held = await self._still_held()
        # The payload as PostgreSQL prints the jsonb: no decode + re-encode per event here. Readers
        # parse JSON (the audit log hashes the RFC 8785 form), so spacing and key order do not matter.
        payload = cast(o.c.payload, Text).label("payload")
        query = select(o.c.id, o.c.topic, o.c.key, o.c.event_type, payload).where(o.c.published_at.is_(None))
        if held:
            query = query.where(o.c.topic.notin_(held))
        async with self._sessionmaker() as session, session.begin():
            rows = (
                await session.execute(
                    query.order_by(o.c.id).limit(self._batch_size).with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            broker_error: KafkaError | None = None
            try:
                outcome = await self._call(self._publish, rows)
            except KafkaError as exc:
                # Broker unreachable: nothing is marked sent, the rows wait in the outbox.
                broker_error = exc
                outcome = {r.id: repr(exc) for r in rows}
            sent = [i for i, err in outcome.items() if err is None]
            failed = {i: err for i, err in outcome.items() if err is not None}
            if sent:
                await session.execute(
                    update(o).where(o.c.id.in_(sent)).values(published_at=func.now(), attempts=o.c.attempts + 1)
                )
            if failed:
                # Attempts and the last error are committed too, so operators see the backlog's cause.
                await session.execute(
                    update(o)
                    .where(o.c.id.in_(list(failed)))
                    .values(attempts=o.c.attempts + 1, last_error=next(iter(failed.values()))[:2000])
                )
        topic_of = {r.id: r.topic for r in rows}
        for topic in {topic_of[i] for i in sent}:
            self._held.pop(topic, None)
        if broker_error is not None:
            await self._reset_producer()
            raise broker_error
        if failed:
            # A fresh producer next time: kafka-python keeps the batches and topics of failed sends and
            # spins (a full core) re-requesting metadata for a topic that no longer exists.
            await self._reset_producer()
            self._hold({topic_of[i]: err for i, err in failed.items()})
            if not sent:
                raise KafkaError(f"{len(failed)} events not acknowledged; will retry")
        return len(sent)

    async def _still_held(self) -> list[str]:
        """The topics held back now; an expired hold is lifted only if the broker lists the topic."""
        now = time.monotonic()
        due = [t for t, (until, _) in self._held.items() if until <= now]
        if due:
            try:
                existing = await self._call(self._list_topics)
            except Exception:  # noqa: BLE001 - broker away: lift the holds, the next batch will tell
                existing = set(due)
            for topic in due:
                if topic in existing:
                    del self._held[topic]
                else:
                    self._hold({topic: "not in the broker's topic list"}, limit=MAX_MISSING_HOLD)
        return sorted(self._held)

    def _list_topics(self) -> set[str]:
        if self._admin is None:
            self._admin = KafkaAdminClient(bootstrap_servers=self._bootstrap, client_id=f"{self._client_id}-admin",
                                           request_timeout_ms=5_000)
        return set(self._admin.list_topics())

    def _hold(self, errors: dict[str, str], *, limit: float | None = None) -> None:
        """Hold back the topics whose sends failed, each with its own doubling backoff."""
        now = time.monotonic()
        for topic, error in errors.items():
            _, previous = self._held.get(topic, (0.0, 0.0))
            backoff = min(max(previous * 2, 1.0), limit or self._max_backoff)
            self._held[topic] = (now + backoff, backoff)
            log.warning("relay: holding back a topic", extra={"topic": topic, "seconds": backoff, "error": error[:300]})

    async def _reset_producer(self) -> None:
        def close() -> None:
            admin, self._admin = self._admin, None
            if admin is not None:
                admin.close()
            if self._producer is not None:
                try:
                    self._producer.close(timeout=1)
                finally:
                    self._producer = None

        await self._call(close)

    async def prune_once(self) -> int:
        """Delete published rows older than the retention, oldest first, in batches; returns how many."""
        if self._retention_hours <= 0:
            return 0
        o = self._outbox
        cutoff = func.now() - timedelta(hours=self._retention_hours)
        after, total = 0, 0
        for _ in range(PRUNE_MAX_BATCHES):
            async with self._sessionmaker() as session, session.begin():
                # The next rows in id order (ids grow with time, so the old ones come first), unlocked.
                head = select(o.c.id, o.c.created_at).where(o.c.id > after).order_by(o.c.id)
                head = head.limit(self._prune_batch_size).subquery()
                edge = (
                    await session.execute(
                        select(head.c.id, head.c.created_at < cutoff).order_by(head.c.id.desc()).limit(1)
                    )
                ).first()
                if edge is None:
                    break
                last, older_rows_follow = edge
                # Only the rows deleted are locked: an unsent row is never waited on, nor skipped by run_once.
                doomed = (
                    select(o.c.id)
                    .where(o.c.id > after, o.c.id <= last, o.c.published_at < cutoff)
                    .with_for_update(skip_locked=True)
                )
                total += (await session.execute(delete(o).where(o.c.id.in_(doomed)))).rowcount
            # Rows created after the cutoff cannot have been published before it: nothing to delete beyond.
            # A batch of old rows that deletes nothing (unsent ones held back) does not stop the walk.
            if not older_rows_follow:
                break
            after = last
        if total:
            log.info("relay: pruned published outbox rows",
                     extra={"rows": total, "retention_hours": self._retention_hours})
        return total

    async def _prune_loop(self, stop: asyncio.Event) -> None:
        """Prune every `prune_interval_seconds`, first shortly after start; a failure waits for the next turn."""
        if self._retention_hours <= 0:
            return
        await sleep_or_stop(stop, min(PRUNE_START_DELAY, self._prune_interval))
        while not stop.is_set():
            try:
                await self.prune_once()
            except Exception as exc:  # noqa: BLE001 - the relay must outlive any outage
                log.warning("relay: pruning the outbox failed, retrying later",
                            extra={"error": repr(exc), "seconds": self._prune_interval})
            await sleep_or_stop(stop, self._prune_interval)

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until `stop` is set, backing off exponentially while Kafka or the DB is down."""
        # Pruning runs beside publishing, on its own connection: a long prune never delays an event.
        pruning = asyncio.create_task(self._prune_loop(stop))
        backoff = 0.5
        try:
            while not stop.is_set():
                try:
                    n = await self.run_once()
                    backoff = 0.5
                    if n < self._batch_size:
                        await sleep_or_stop(stop, self._idle)
                except Exception as exc:  # noqa: BLE001 - the relay must outlive any outage
                    log.warning("relay: publish failed, retrying", extra={"error": repr(exc), "backoff": backoff})
                    await sleep_or_stop(stop, backoff)
                    backoff = min(backoff * 2, self._max_backoff)
            await pruning  # `stop` is set: it ends after its current call
        finally:
            pruning.cancel()  # only matters when run() itself is cancelled
        await self.close()

    async def close(self) -> None:
        """Flush and close the producer."""
        await self._reset_producer()
        self._thread.shutdown(wait=False)

