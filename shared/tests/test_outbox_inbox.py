"""Outbox → Kafka → inbox on the real broker and database: exactly one effect per event."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from kafka import KafkaProducer
from sqlalchemy import text

from natres_platform.events import EventSchemaError
from natres_platform.testing import drain, infra

pytestmark = pytest.mark.stack


async def test_recorded_event_is_published_and_applied_once(messaging):
    async with messaging.uow() as uow:
        events = [uow.record(messaging.event(i)) for i in range(10)]
        await uow.commit()
    assert await messaging.scalar("SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL") == 10

    assert await messaging.relay().run_once() == 10
    assert await messaging.scalar("SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL") == 0

    consumer = messaging.consumer("g-once")

    async def all_applied():
        return await messaging.scalar("SELECT count(*) FROM {s}.effects") == 10

    await drain(consumer, until=all_applied)
    await consumer.close()
    assert await messaging.scalar("SELECT max(applied) FROM {s}.effects") == 1
    ids = {e.id for e in events}
    assert await messaging.scalar("SELECT count(*) FROM {s}.inbox WHERE event_id = ANY(:ids)", ids=list(ids)) == 10


async def test_redelivered_event_has_no_second_effect(messaging):
    async with messaging.uow() as uow:
        event = uow.record(messaging.event(1))
        await uow.commit()
    await messaging.relay().run_once()
    # The same event a second time, as a retrying producer or a replay would deliver it.
    producer = KafkaProducer(bootstrap_servers=infra().kafka_bootstrap)
    producer.send(messaging.topic, key=event.subject.encode(), value=event.to_bytes()).get(timeout=30)
    producer.close()
    consumer = messaging.consumer("g-dup")
    seen = []

    async def both_seen():
        seen.append(await messaging.scalar("SELECT count(*) FROM {s}.inbox"))
        return await messaging.scalar("SELECT count(*) FROM {s}.effects") == 1 and len(seen) > 5

    await drain(consumer, until=both_seen)
    await consumer.close()
    assert await messaging.scalar("SELECT applied FROM {s}.effects WHERE event_id = :id", id=event.id) == 1


async def test_rolled_back_transaction_publishes_nothing(messaging):
    async with messaging.uow() as uow:
        uow.record(messaging.event(7))
        await uow.flush_events()
        await uow.rollback()
    async with messaging.uow() as uow:
        uow.record(messaging.event(8))
        # leaving the block without commit also rolls back
    assert await messaging.scalar("SELECT count(*) FROM {s}.outbox") == 0
    assert await messaging.relay().run_once() == 0


async def test_producer_refuses_event_that_breaks_its_schema(messaging):
    async with messaging.uow() as uow:
        with pytest.raises(EventSchemaError) as err:
            uow.record(messaging.event(-1))
        assert err.value.code == "event.schema_invalid"
        assert "n" in err.value.detail
        await uow.commit()
    assert await messaging.scalar("SELECT count(*) FROM {s}.outbox") == 0


async def test_consumer_parks_invalid_and_unknown_events_with_reason(messaging):
    good = messaging.event(3)
    bad = good.to_dict() | {"id": "bad-1", "data": {"n": "three"}}
    unknown = good.to_dict() | {"id": "unk-1", "type": "platformtest.unheard.of.v1"}
    producer = KafkaProducer(bootstrap_servers=infra().kafka_bootstrap)
    for value in (b"not json at all", json.dumps(bad).encode(), json.dumps(unknown).encode(), good.to_bytes()):
        producer.send(messaging.topic, key=b"agg-3", value=value).get(timeout=30)
    producer.close()
    consumer = messaging.consumer("g-park")

    async def done():
        return await messaging.scalar("SELECT count(*) FROM {s}.effects") == 1 and (
            await messaging.scalar("SELECT count(*) FROM {s}.parked_events") == 3
        )

    await drain(consumer, until=done)
    await consumer.close()
    async with messaging.engine.connect() as conn:
        rows = (
            await conn.execute(text(f"SELECT reason_code, reason, raw FROM {messaging.schema}.parked_events ORDER BY id"))
        ).all()
    codes = sorted(r.reason_code for r in rows)
    assert codes == ["event.schema_invalid", "event.schema_invalid", "event.unknown_type"]
    assert any("data n" in r.reason or "data/n" in r.reason or "n:" in r.reason for r in rows)
    assert any(r.raw == b"not json at all" for r in rows)


async def test_relay_loop_survives_and_delivers_everything(messaging):
    stop = asyncio.Event()
    relay = messaging.relay()
    task = asyncio.create_task(relay.run(stop))
    for batch in range(3):
        async with messaging.uow() as uow:
            for i in range(20):
                uow.record(messaging.event(batch * 100 + i))
            await uow.commit()
    deadline = time.monotonic() + 30
    while await messaging.scalar("SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL"):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    stop.set()
    await task
    assert await messaging.scalar("SELECT count(*) FROM {s}.outbox WHERE published_at IS NOT NULL") == 60


async def test_trace_id_travels_from_producer_to_consumer_logs(messaging, caplog):
    import logging

    from natres_platform.logs import _TraceFilter
    from natres_platform.tracing import continue_trace, current_trace_id, parse_trace_id

    incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    continue_trace(incoming)  # as the HTTP middleware does for a request carrying this header
    async with messaging.uow() as uow:
        event = uow.record(messaging.event(5))
        await uow.commit()
    assert parse_trace_id(event.traceparent) == "4bf92f3577b34da6a3ce929d0e0e4736"
    await messaging.relay().run_once()
    continue_trace(None)  # the consumer starts from an unrelated context

    seen: list[str | None] = []
    original = messaging.apply_effect

    async def effect(uow, ev):
        seen.append(current_trace_id())
        record = logging.LogRecord("t", logging.INFO, __file__, 1, "applied", None, None)
        _TraceFilter().filter(record)
        seen.append(record.trace_id)
        await original(uow, ev)

    messaging.apply_effect = effect
    consumer = messaging.consumer("g-trace")

    async def applied():
        return bool(seen)

    await drain(consumer, until=applied)
    await consumer.close()
    assert seen == ["4bf92f3577b34da6a3ce929d0e0e4736"] * 2


async def test_a_topic_that_fails_is_held_back_while_the_others_flow(messaging):
    from natres_platform.testing import create_topic, delete_topic
    from natres_platform.uow import UnitOfWork

    missing = f"{messaging.topic}.missing"
    elsewhere = UnitOfWork(sessionmaker=messaging.sessionmaker, tables=messaging.tables, schemas=messaging.schemas,
                           topic=missing)
    async with elsewhere as uow:  # the oldest rows: 250 for a topic the broker does not have
        for i in range(250):
            uow.record(messaging.event(i))
        await uow.commit()
    async with messaging.uow() as uow:
        for i in range(5):
            uow.record(messaging.event(1000 + i))
        await uow.commit()
    relay = messaging.relay()
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        deadline = time.monotonic() + 60
        while await messaging.scalar("SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL AND topic = :t",
                                     t=messaging.topic):
            assert time.monotonic() < deadline, "the healthy topic stayed behind the failing one"
            await asyncio.sleep(0.2)
        assert await messaging.scalar("SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL AND topic = :t",
                                      t=missing) == 250  # all kept
        assert "KafkaTimeoutError" in await messaging.scalar(  # with the reason, on the first try's rows
            "SELECT last_error FROM {s}.outbox WHERE topic = :t ORDER BY id LIMIT 1", t=missing)
        create_topic(missing)  # the topic appears: its rows follow once its hold runs out
        deadline = time.monotonic() + 90
        while await messaging.scalar("SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL"):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.5)
    finally:
        stop.set()
        await task
        delete_topic(missing)


async def test_an_event_named_by_its_header_for_no_handler_is_skipped_unread(messaging):
    # Bodies that could not even be parsed: only the header is read for types nobody here handles.
    good = messaging.event(4)
    producer = KafkaProducer(bootstrap_servers=infra().kafka_bootstrap)
    for kind in ("platformtest.other.thing.v1", "platformtest.other.else.v1"):
        producer.send(messaging.topic, key=b"agg-4", value=b"{not json", headers=[("ce_type", kind.encode())]
                      ).get(timeout=30)
    # A type this consumer handles is still read and checked, header or not.
    producer.send(messaging.topic, key=b"agg-4", value=b"{not json",
                  headers=[("ce_type", good.type.encode())]).get(timeout=30)
    producer.send(messaging.topic, key=b"agg-4", value=good.to_bytes(), headers=[("ce_type", good.type.encode())]
                  ).get(timeout=30)
    producer.close()
    consumer = messaging.consumer("g-skip")

    async def done():
        return await messaging.scalar("SELECT count(*) FROM {s}.effects") == 1

    await drain(consumer, until=done)
    await consumer.close()
    assert await messaging.scalar("SELECT count(*) FROM {s}.parked_events") == 1  # the handled type's bad body
    assert await messaging.scalar("SELECT reason_code FROM {s}.parked_events") == "event.schema_invalid"
