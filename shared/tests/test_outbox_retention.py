"""Outbox retention on the real database: published rows go after the retention, unsent rows never."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from sqlalchemy import text

from natres_platform.relay import PRUNE_MAX_BATCHES, OutboxRelay
from natres_platform.testing import infra

pytestmark = pytest.mark.stack


def relay(messaging, **kwargs) -> OutboxRelay:
    """The fixture's relay with retention settings of the test's choosing."""
    return OutboxRelay(sessionmaker=messaging.sessionmaker, tables=messaging.tables,
                       bootstrap=infra().kafka_bootstrap, client_id="test-relay", **kwargs)


async def record(messaging, count: int, *, start: int = 0) -> None:
    """Record `count` events in the outbox."""
    async with messaging.uow() as uow:
        for i in range(count):
            uow.record(messaging.event(start + i))
        await uow.commit()


async def publish(messaging, count: int) -> None:
    """Record `count` events and relay them."""
    await record(messaging, count)
    while await messaging.relay().run_once():
        pass


async def age(messaging, *, oldest: int, hours: float) -> None:
    """Move the `oldest` rows (by id) back in time by `hours`, as if written and sent that long ago."""
    async with messaging.engine.begin() as conn:
        await conn.execute(
            text(
                f"UPDATE {messaging.schema}.outbox SET created_at = created_at - :h * interval '1 hour', "
                f"published_at = published_at - :h * interval '1 hour' "
                f"WHERE id IN (SELECT id FROM {messaging.schema}.outbox ORDER BY id LIMIT :n)"
            ),
            {"h": hours, "n": oldest},
        )


async def unsend(messaging, *, oldest: int) -> None:
    """Mark the `oldest` rows unsent, as rows held back for a missing topic stay."""
    async with messaging.engine.begin() as conn:
        await conn.execute(
            text(
                f"UPDATE {messaging.schema}.outbox SET published_at = NULL "
                f"WHERE id IN (SELECT id FROM {messaging.schema}.outbox ORDER BY id LIMIT :n)"
            ),
            {"n": oldest},
        )


async def test_prune_deletes_published_rows_older_than_the_retention_and_keeps_recent_ones(messaging):
    await publish(messaging, 10)
    await age(messaging, oldest=6, hours=200)

    assert await relay(messaging, retention_hours=168).prune_once() == 6

    assert await messaging.scalar("SELECT count(*) FROM {s}.outbox") == 4
    assert await messaging.scalar("SELECT count(*) FROM {s}.outbox WHERE published_at < now() - interval '1 hour'") == 0
    assert await relay(messaging, retention_hours=168).prune_once() == 0


async def test_prune_never_deletes_unsent_rows_however_old(messaging):
    await publish(messaging, 12)
    await age(messaging, oldest=12, hours=1000)
    await unsend(messaging, oldest=4)  # the head of the table: four old rows still waiting

    # A batch of exactly the unsent rows deletes nothing; the walk still goes on to the old sent rows.
    assert await relay(messaging, retention_hours=168, prune_batch_size=4).prune_once() == 8

    assert await messaging.scalar("SELECT count(*) FROM {s}.outbox") == 4
    assert await messaging.scalar("SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL") == 4


async def test_prune_with_retention_disabled_deletes_nothing(messaging):
    await publish(messaging, 5)
    await age(messaging, oldest=5, hours=10_000)

    assert await relay(messaging, retention_hours=0).prune_once() == 0
    assert await relay(messaging, retention_hours=-1).prune_once() == 0

    assert await messaging.scalar("SELECT count(*) FROM {s}.outbox") == 5


async def test_one_prune_takes_several_batches_up_to_its_limit(messaging):
    await publish(messaging, 2 * PRUNE_MAX_BATCHES + 8)
    await age(messaging, oldest=2 * PRUNE_MAX_BATCHES + 5, hours=200)  # the newest three stay recent
    pruner = relay(messaging, retention_hours=168, prune_batch_size=2)

    assert await pruner.prune_once() == 2 * PRUNE_MAX_BATCHES  # every batch it may take, then it stops
    assert await pruner.prune_once() == 5  # the rest, at the next call
    assert await pruner.prune_once() == 0

    assert await messaging.scalar("SELECT count(*) FROM {s}.outbox") == 3


async def test_relay_loop_prunes_beside_publishing_and_retries_a_failed_prune(messaging, caplog):
    await publish(messaging, 6)
    await age(messaging, oldest=6, hours=200)
    looping = relay(messaging, retention_hours=168, prune_interval_seconds=0.2)
    prune, calls = looping.prune_once, []

    async def database_away_once() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("database away")
        return await prune()

    looping.prune_once = database_away_once
    stop = asyncio.Event()
    caplog.set_level(logging.WARNING, logger="natres_platform.relay")
    task = asyncio.create_task(looping.run(stop))
    try:
        await record(messaging, 4, start=100)  # recorded while the loop runs: the loop sends them
        deadline = time.monotonic() + 30
        while await messaging.scalar("SELECT count(*) FROM {s}.outbox") != 4 or await messaging.scalar(
            "SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL"
        ):
            assert time.monotonic() < deadline, "the old rows were not pruned by the running relay"
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await task
    assert len(calls) >= 2
    assert any("pruning the outbox failed" in r.getMessage() for r in caplog.records)
