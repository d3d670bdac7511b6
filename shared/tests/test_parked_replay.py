"""replay-parked on the real broker and database: re-admitted once, the row kept, failures stay parked."""

from __future__ import annotations

import asyncio
import itertools
from types import SimpleNamespace

import pytest
from kafka import KafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from natres_platform.consumer import InboxConsumer
from natres_platform.db import make_sessionmaker
from natres_platform.errors import Conflict
from natres_platform.parked import replay_command, replay_parked
from natres_platform.testing import drain, infra, superuser_dsn
from natres_platform.uow import UnitOfWork

pytestmark = pytest.mark.stack
TEST_TYPE = "platformtest.thing.happened.v1"  # what the messaging fixture's consumer handles
TEST_SCHEMA = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}, "required": ["n"]}
LATE_TYPE = "platformtest.late.arrival.v1"  # a type whose contract and handler come after its first events
_offsets = itertools.count(1)


class Refused(Conflict):
    code = "platformtest.refused"


class StillRefused(Conflict):
    code = "platformtest.still_refused"


def late_event(messaging, n: int):
    return messaging.event(n).model_copy(update={"type": LATE_TYPE})


def record(messaging, value: bytes) -> SimpleNamespace:
    """What kafka-python hands the consumer, at a fresh position of the test topic."""
    return SimpleNamespace(topic=messaging.topic, partition=0, offset=next(_offsets), key=b"k", value=value)


def with_late_handler(messaging, group: str, handler=None) -> InboxConsumer:
    """The consumer after the release that knows LATE_TYPE: its contract loaded, its handler wired."""
    messaging.schemas.add(LATE_TYPE, TEST_SCHEMA)
    consumer = messaging.consumer(group)
    consumer._handlers[LATE_TYPE] = handler or messaging.apply_effect
    return consumer


async def parked_row(messaging, parked_id: int):
    async with messaging.engine.connect() as conn:
        return (await conn.execute(text(f"SELECT * FROM {messaging.schema}.parked_events WHERE id = :id"),
                                   {"id": parked_id})).mappings().one()


async def replay(messaging, consumers, **kwargs):
    return await replay_parked(sessionmaker=messaging.sessionmaker, tables=messaging.tables, consumers=consumers,
                               actor="tester", **kwargs)


async def test_event_parked_before_its_contract_is_admitted_once_by_replay(messaging):
    late, good = late_event(messaging, 1), messaging.event(2)
    producer = KafkaProducer(bootstrap_servers=infra().kafka_bootstrap)
    for ev in (late, good):
        producer.send(messaging.topic, key=b"agg", value=ev.to_bytes()).get(timeout=30)
    producer.close()
    before = messaging.consumer("g-before")

    async def parked_and_applied():
        return await messaging.scalar("SELECT count(*) FROM {s}.parked_events") == 1 and (
            await messaging.scalar("SELECT count(*) FROM {s}.effects") == 1
        )

    await drain(before, until=parked_and_applied)
    await before.close()
    parked_id = await messaging.scalar("SELECT id FROM {s}.parked_events")
    assert (await parked_row(messaging, parked_id))["reason_code"] == "event.unknown_type"

    after = with_late_handler(messaging, "g-after")
    [result] = await replay(messaging, [after], ids=None)
    assert (result.id, result.outcome, result.event_type) == (parked_id, "applied", LATE_TYPE)
    assert await messaging.scalar("SELECT applied FROM {s}.effects WHERE event_id = :id", id=late.id) == 1
    row = await parked_row(messaging, parked_id)  # kept, with what happened
    assert row["resolution"] == "applied" and row["resolved_at"] is not None and bytes(row["raw"]) == late.to_bytes()
    assert row["event_id"] == late.id  # unknown when it was parked
    assert row["reason_code"] == "event.unknown_type"  # why it was parked stays on the row
    [attempt] = row["replays"]
    assert attempt["outcome"] == "applied" and attempt["by"] == "tester"
    assert attempt["previous_reason_code"] == "event.unknown_type"
    inbox = await messaging.scalar("SELECT \"offset\" FROM {s}.inbox WHERE event_id = :id", id=late.id)
    assert inbox == row["offset"]  # the same inbox row the consumer would have written

    # Nothing left to replay; asking for the row again changes nothing.
    assert await replay(messaging, [after], ids=None) == []
    [again] = await replay(messaging, [after], ids=[parked_id])
    assert again.outcome == "already_resolved"
    # The broker delivering it once more (a new group reads from the start) is a duplicate too.
    seen = []
    reread = with_late_handler(messaging, "g-reread")
    handle = reread.handle_record

    async def spy(rec):
        seen.append(await handle(rec))
        return seen[-1]

    reread.handle_record = spy

    async def both_read():
        return len(seen) >= 2

    await drain(reread, until=both_read)
    await reread.close()
    assert seen == ["duplicate", "duplicate"]
    assert await messaging.scalar("SELECT max(applied) FROM {s}.effects") == 1
    await after.close()


async def test_replay_that_still_fails_stays_parked_with_the_new_reason(messaging):
    async def refuse(uow: UnitOfWork, event) -> None:
        raise Refused("not yet")

    async def still_refuse(uow: UnitOfWork, event) -> None:
        raise StillRefused("still not", n=event.data["n"])

    ev = messaging.event(13)
    consumer = messaging.consumer("g-refuse")
    consumer._handlers[TEST_TYPE] = refuse
    assert await consumer.handle_record(record(messaging, ev.to_bytes())) == "parked"
    parked_id = await messaging.scalar("SELECT id FROM {s}.parked_events WHERE event_id = :id", id=ev.id)

    consumer._handlers[TEST_TYPE] = still_refuse
    [result] = await replay(messaging, [consumer], ids=[parked_id])
    assert (result.outcome, result.reason_code, result.reason) == ("parked", "platformtest.still_refused", "still not")
    row = await parked_row(messaging, parked_id)
    assert row["resolved_at"] is None and row["reason_code"] == "platformtest.still_refused"
    assert [(a["previous_reason_code"], a["outcome"]) for a in row["replays"]] == [("platformtest.refused", "parked")]
    assert await messaging.scalar("SELECT count(*) FROM {s}.inbox WHERE event_id = :id", id=ev.id) == 0

    consumer._handlers[TEST_TYPE] = messaging.apply_effect  # the fix is released
    [result] = await replay(messaging, [consumer], reason_like="STILL_refused")
    assert result.outcome == "applied"
    row = await parked_row(messaging, parked_id)
    assert [a["outcome"] for a in row["replays"]] == ["parked", "applied"]
    assert row["replays"][1]["previous_reason_code"] == "platformtest.still_refused"
    assert await messaging.scalar("SELECT applied FROM {s}.effects WHERE event_id = :id", id=ev.id) == 1
    await consumer.close()


async def test_event_applied_meanwhile_replays_as_duplicate(messaging):
    late = late_event(messaging, 4)
    before = messaging.consumer("g-dup-before")
    assert await before.handle_record(record(messaging, late.to_bytes())) == "parked"
    after = with_late_handler(messaging, "g-dup-after")
    # the producer sent it again after the release: applied at its new position
    assert await after.handle_record(record(messaging, late.to_bytes())) == "applied"
    [result] = await replay(messaging, [after], ids=None)
    assert result.outcome == "duplicate"
    row = await parked_row(messaging, result.id)
    assert row["resolution"] == "duplicate"
    assert await messaging.scalar("SELECT applied FROM {s}.effects WHERE event_id = :id", id=late.id) == 1
    await before.close()
    await after.close()


async def test_dry_run_filter_and_missing_consumer_change_nothing_they_should_not(messaging):
    consumer = messaging.consumer("g-dry")
    assert await consumer.handle_record(record(messaging, b"not json at all")) == "parked"
    assert await consumer.handle_record(record(messaging, late_event(messaging, 5).to_bytes())) == "parked"
    listed = await replay(messaging, [consumer], reason_like="unknown", dry_run=True)
    assert [(r.outcome, r.reason_code) for r in listed] == [("would_replay", "event.unknown_type")]
    assert await messaging.scalar("SELECT count(*) FROM {s}.parked_events WHERE replays <> '[]'") == 0

    # A row of a topic no consumer here reads is reported, and the attempt noted on the row.
    other = messaging.consumer("g-other")
    other._topics = ["natres.somewhere.else.v1"]
    [result] = await replay(messaging, [other], reason_like="unknown")
    assert result.outcome == "no_consumer" and not result.resolved
    row = await parked_row(messaging, result.id)
    assert row["resolved_at"] is None and row["replays"][0]["outcome"] == "no_consumer"

    # Still not parseable: stays parked under the same reason, the attempt noted.
    results = await replay(messaging, [consumer], ids=None)
    assert {r.outcome for r in results} == {"parked"}
    assert [r for r in await replay(messaging, [consumer], ids=[10**9])][0].outcome == "not_found"
    await consumer.close()
    await other.close()


async def test_replay_command_replays_the_ids_it_is_given(messaging, capsys):
    late = late_event(messaging, 6)
    before = messaging.consumer("g-cli-before")
    assert await before.handle_record(record(messaging, late.to_bytes())) == "parked"
    assert await before.handle_record(record(messaging, b"{}")) == "parked"
    await before.close()
    parked_id = await messaging.scalar("SELECT id FROM {s}.parked_events WHERE event_type = :t", t=LATE_TYPE)
    messaging.schemas.add(LATE_TYPE, TEST_SCHEMA)

    class Context:
        """What the command takes from a ServiceContext, built inside the command's own event loop."""

        def __init__(self) -> None:
            self.engine = create_async_engine(superuser_dsn())
            self.sessionmaker = make_sessionmaker(self.engine)
            self.tables = messaging.tables

        def uow(self) -> UnitOfWork:
            return UnitOfWork(sessionmaker=self.sessionmaker, tables=self.tables, schemas=messaging.schemas,
                              topic=messaging.topic)

        async def aclose(self) -> None:
            await self.engine.dispose()

    def consumers(ctx: Context) -> list:
        consumer = InboxConsumer(sessionmaker=ctx.sessionmaker, tables=ctx.tables, schemas=messaging.schemas,
                                 uow_factory=ctx.uow, bootstrap=infra().kafka_bootstrap, topics=[messaging.topic],
                                 group_id="g-cli", handlers={LATE_TYPE: messaging.apply_effect})
        return [consumer, object()]  # what `consume` also runs (schedulers ...) is not replayed through

    def run(*argv: str) -> int:
        return replay_command(list(argv), context_factory=Context, consumers=consumers)

    # asyncio.run inside the command needs a thread without a running loop
    assert await asyncio.to_thread(run, "--id", str(parked_id), "--dry-run") == 0
    assert "would_replay" in capsys.readouterr().out
    assert await messaging.scalar("SELECT count(*) FROM {s}.effects") == 0
    assert await asyncio.to_thread(run, "--id", str(parked_id)) == 0
    out = capsys.readouterr()
    assert f"{parked_id}\tapplied\t{LATE_TYPE}\t{late.id}" in out.out and "applied 1" in out.err
    assert await messaging.scalar("SELECT applied FROM {s}.effects WHERE event_id = :id", id=late.id) == 1
    assert await asyncio.to_thread(run, "--all") == 1  # the `{}` row cannot be admitted: exit 1, still parked
    assert "parked" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        run()  # nothing selected is a usage error
    assert (await parked_row(messaging, parked_id))["replays"][0]["by"].startswith("cli")
