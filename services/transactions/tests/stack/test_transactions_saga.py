"""地证同交, our side: registry confirmations arrive through Kafka exactly once; our events keep the contract."""

from __future__ import annotations

import uuid

import pytest
from kafka import KafkaProducer

from natres_platform.consumer import InboxConsumer
from natres_platform.events import CloudEvent, SchemaRegistry
from natres_platform.testing import create_topic, delete_topic, infra

from transactions.saga.handlers import TRADE_CLEARED, TRADE_MARKED, on_trade_cleared, on_trade_marked

pytestmark = pytest.mark.stack


@pytest.fixture
def topic():
    name = f"natres.transactions-sagatest-{uuid.uuid4().hex[:8]}.v1"
    create_topic(name, partitions=1)
    yield name
    delete_topic(name)


def _consumer(trading, topic: str) -> InboxConsumer:
    ctx = trading.ctx
    return InboxConsumer(sessionmaker=ctx.sessionmaker, tables=ctx.tables, schemas=ctx.schemas, uow_factory=ctx.uow,
                         bootstrap=infra().kafka_bootstrap, topics=[topic], group_id=f"test-{uuid.uuid4().hex[:8]}",
                         handlers={TRADE_MARKED: on_trade_marked, TRADE_CLEARED: on_trade_cleared},
                         max_backoff_seconds=1)


def _send(topic: str, *values: bytes) -> None:
    producer = KafkaProducer(bootstrap_servers=infra().kafka_bootstrap, acks="all")
    for value in values:
        producer.send(topic, key=b"k", value=value)
    producer.flush()
    producer.close()


async def test_trade_marked_from_kafka_opens_registration_once_and_bad_events_are_parked(world, topic):
    unit_id = await world.unit()
    r = await world.client.post("/api/v1/listings", json=world.terms(unit_id=unit_id, method="auction"),
                                headers=world.h("trader.admin"))
    listing_id = r.json()["id"]
    await world.client.post(f"/api/v1/listings/{listing_id}/announce", headers=world.h("trader.admin"))
    marked = CloudEvent.create(source="/natres/registry", type=TRADE_MARKED, subject=unit_id,
                               data={"unit_id": unit_id, "listing_id": listing_id}, actor="service:natres-registry")
    wrong_unit = CloudEvent.create(source="/natres/registry", type=TRADE_MARKED, subject=unit_id,
                                   data={"unit_id": "another", "listing_id": listing_id}, actor="svc")
    _send(topic, marked.to_bytes(), marked.to_bytes(), wrong_unit.to_bytes(), b'{"not": "an event"}')
    consumer = _consumer(world.trading, topic)
    try:
        handled = 0
        for _ in range(40):
            handled += await consumer.poll_once(timeout_ms=500)
            if handled >= 4:
                break
    finally:
        await consumer.close()
    assert handled == 4
    listing = await world.until(listing_id, "registration")
    assert listing["unit_marked"] is True
    marks = (await world.sql("SELECT count(*) FROM transactions.feed_items WHERE listing_id = :id AND kind = 'unit_marked'",
                             id=listing_id)).scalar()
    assert marks == 1  # the duplicate delivery had no second effect
    parked = (await world.sql("SELECT reason_code FROM transactions.parked_events WHERE topic = :t ORDER BY id",
                              t=topic)).scalars().all()
    assert parked == ["saga.unit_mismatch", "event.schema_invalid"]


async def test_saga_events_carry_what_the_registry_needs(world):
    listing_id = await world.listing()
    await world.bidder(listing_id, "bidder.a")
    assert (await world.bid(listing_id, "bidder.a", "1050000.00")).status_code == 201
    await world.due(listing_id, close=True)
    await world.until(listing_id, "concluded")
    other = await world.listing(method="auction")
    await world.client.post(f"/api/v1/listings/{other}/terminate", json={"reason": "政策调整"},
                            headers=world.h("trader.admin"))
    registry = SchemaRegistry.platform()
    need = {
        "transactions.listing.announced.v1": {"listing_id", "unit_id", "unit_code", "right_type", "method",
                                              "listing_start", "listing_end"},
        "transactions.deal.concluded.v1": {"listing_id", "unit_id", "unit_code", "right_type", "land_use",
                                           "term_years", "price", "winner"},
        "transactions.listing.terminated.v1": {"listing_id", "unit_id", "reason"},
    }
    events = await world.events(listing_id) + await world.events(other)
    seen = set()
    for event in events:
        registry.validate(event)  # what a consumer checks on receipt
        if event["type"] in need:
            seen.add(event["type"])
            assert need[event["type"]] <= set(event["data"]), event["type"]
            assert event["subject"] == event["data"]["listing_id"] and event["region"] == "140107"
    assert seen == set(need)
    deal = next(e for e in events if e["type"] == "transactions.deal.concluded.v1")
    assert set(deal["data"]["winner"]) >= {"subject", "name", "org_code"}
