"""The trading saga on the registry side: mark in trade, lift the mark, open the winner's registration."""

import itertools
import uuid
from types import SimpleNamespace

import pytest
from kafka import KafkaProducer
from sqlalchemy import text

from natres_platform.events import CloudEvent
from natres_platform.testing import create_topic, delete_topic, infra
from registry.trading.handlers import trading_consumer

pytestmark = pytest.mark.stack
_offsets = itertools.count(1)
# Parked rows are unique per (topic, partition, offset): a fresh fake topic per run keeps runs apart.
TEST_TOPIC = f"test.registry.trading.{uuid.uuid4().hex[:8]}"


def event(type_: str, **data) -> CloudEvent:
    return CloudEvent.create(source="/natres/transactions", type=f"transactions.{type_}.v1", subject=data["listing_id"],
                             data=data, actor="service-account-natres-transactions", region="140107")


def record(ev: CloudEvent, topic: str = TEST_TOPIC) -> SimpleNamespace:
    """What kafka-python hands the consumer."""
    return SimpleNamespace(topic=topic, partition=0, offset=next(_offsets), key=ev.subject.encode(), value=ev.to_bytes())


def announced(unit: dict, listing: str) -> CloudEvent:
    return event("listing.announced", listing_id=listing, unit_id=unit["id"], unit_code=unit["code"],
                 right_type="state_construction_land_use", method="listing",
                 listing_start="2026-12-20T02:00:00Z", listing_end="2027-01-05T02:00:00Z")


def concluded(unit: dict, listing: str, winner_subject: str) -> CloudEvent:
    return event("deal.concluded", listing_id=listing, unit_id=unit["id"], unit_code=unit["code"],
                 right_type="state_construction_land_use", land_use="商服用地", term_years=40, price="12345678.90",
                 winner={"subject": winner_subject, "name": "晋能控股集团有限公司", "org_code": "91350100M000100Y43",
                         "masked_id": None})


async def outbox_types(registry, key: str) -> list[str]:
    async with registry.ctx.engine.connect() as conn:
        return [r[0] for r in await conn.execute(text("SELECT event_type FROM registry.outbox WHERE key = :k ORDER BY id"),
                                                 {"k": key})]


async def test_announce_marks_then_failure_clears_idempotently(client, h, registry):
    consumer = trading_consumer(registry)
    unit = await h.create_unit(client)
    listing = f"L-{uuid.uuid4()}"
    ev = announced(unit, listing)
    assert await consumer.handle_record(record(ev)) == "applied"
    assert await consumer.handle_record(record(ev)) == "duplicate"
    unit_now = (await client.get(f"/api/v1/units/{unit['id']}", headers=h.auth("registrar.xhl"))).json()
    assert unit_now["in_trade_listing_id"] == listing
    # a unit in trade refuses transfer applications (after a first registration exists)
    fail = event("listing.failed", listing_id=listing, unit_id=unit["id"], reason="无人报价")
    assert await consumer.handle_record(record(fail)) == "applied"
    assert await consumer.handle_record(record(fail)) == "duplicate"
    # the same effect again under a new event id changes nothing (handlers are safe without the inbox too)
    again = event("listing.failed", listing_id=listing, unit_id=unit["id"], reason="无人报价")
    assert await consumer.handle_record(record(again)) == "applied"
    # a stale announcement of the ended listing does not revive the mark
    assert await consumer.handle_record(record(announced(unit, listing))) == "applied"
    unit_now = (await client.get(f"/api/v1/units/{unit['id']}", headers=h.auth("registrar.xhl"))).json()
    assert unit_now["in_trade_listing_id"] is None
    assert await outbox_types(registry, unit["id"]) == [
        "registry.unit.registered.v1", "registry.unit.trade_marked.v1", "registry.unit.trade_cleared.v1"]


async def test_unknown_unit_is_parked_with_the_reason(registry):
    consumer = trading_consumer(registry)
    ev = announced({"id": str(uuid.uuid4()), "code": "140107001001GB00001W00000000"}, f"L-{uuid.uuid4()}")
    assert await consumer.handle_record(record(ev)) == "parked"
    async with registry.ctx.engine.connect() as conn:
        reason = await conn.scalar(text("SELECT reason_code FROM registry.parked_events WHERE event_id = :id"), {"id": ev.id})
    assert reason == "unit.not_found"


async def test_in_trade_unit_refuses_transfer_then_deal_opens_the_winners_registration(client, h, registry):
    consumer = trading_consumer(registry)
    unit = await h.create_unit(client)
    first = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()],
                         details={"right_type": "state_construction_land_use", "source": "划拨"})
    await h.complete(client, first["id"], certificate=False)
    listing = f"L-{uuid.uuid4()}"
    assert await consumer.handle_record(record(announced(unit, listing))) == "applied"
    body = {"type": "transfer", "unit_id": unit["id"], "parties": [{"role": "holder", "name": "李四", "id_number": "11010519491231002X"}]}
    resp = await client.post("/api/v1/applications", json=body, headers=h.auth("citizen.zhang"))
    assert resp.status_code == 409 and resp.json()["code"] == "unit.in_trade"
    view = await client.get("/tiles/units_in_trade/0/0/0.mvt")
    assert view.status_code == 200

    winner = h.subject("enterprise.jinneng")
    deal = concluded(unit, listing, winner)
    assert await consumer.handle_record(record(deal)) == "applied"
    assert await consumer.handle_record(record(concluded(unit, listing, winner))) == "applied"  # new id, same deal
    mine = (await client.get("/api/v1/applications", headers=h.auth("enterprise.jinneng"))).json()
    opened = [a for a in mine if a["listing_id"] == listing]
    assert len(opened) == 1
    app = opened[0]
    assert app["type"] == "transfer" and app["status"] == "accepted" and app["channel"] == "trade"
    assert app["receiving_office"] == app["competent_office"] == "140107" and app["deadline"]
    await h.step(client, app["id"], "review", "reviewer.xhl", {"approve": True, "opinion": "成交确认书核对无误"})
    await h.step(client, app["id"], "record", "registrar.xhl")
    cert = await h.step(client, app["id"], "certificate", "registrar.xhl")
    assert cert["status"] == "certified"
    unit_now = (await client.get(f"/api/v1/units/{unit['id']}", headers=h.auth("registrar.xhl"))).json()
    assert unit_now["in_trade_listing_id"] is None  # 地证同交: the mark is lifted once the buyer is recorded
    book = (await client.get(f"/api/v1/units/{unit['id']}/book", headers=h.auth("enterprise.jinneng"))).json()
    assert book["current"]["holders"][0]["name"] == "晋能控股集团有限公司" and book["view_logged"] is False
    assert book["current"]["term_end"] is not None


async def test_events_flow_through_real_kafka(client, h, registry):
    topic = f"natres.test.registry.{uuid.uuid4().hex[:8]}"
    create_topic(topic, partitions=1)
    try:
        unit = await h.create_unit(client)
        listing = f"L-{uuid.uuid4()}"
        producer = KafkaProducer(bootstrap_servers=infra().kafka_bootstrap)
        for ev in (announced(unit, listing), event("listing.terminated", listing_id=listing, unit_id=unit["id"], reason="撤牌")):
            producer.send(topic, key=ev.subject.encode(), value=ev.to_bytes()).get(timeout=20)
        producer.close()
        consumer = trading_consumer(registry, topics=[topic], group_id=f"test-{uuid.uuid4().hex[:8]}", max_backoff_seconds=1)
        processed = 0
        for _ in range(40):
            processed += await consumer.poll_once(timeout_ms=500)
            if processed >= 2:
                break
        await consumer.close()
        assert processed == 2
        assert (await outbox_types(registry, unit["id"]))[-2:] == ["registry.unit.trade_marked.v1",
                                                                   "registry.unit.trade_cleared.v1"]
    finally:
        delete_topic(topic)
