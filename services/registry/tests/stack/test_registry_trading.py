"""The trading saga on the registry side: mark in trade, lift the mark, open the winner's registration."""

import asyncio
import itertools
import os
import subprocess
import sys
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


def defaulted(unit: dict, listing: str, winner_subject: str) -> CloudEvent:
    return event("deal.defaulted", listing_id=listing, unit_id=unit["id"], unit_code=unit["code"],
                 registration_id=str(uuid.uuid4()), bidder_number="123456", winner_subject=winner_subject,
                 contract_due_at="2026-12-15T09:00:00Z", reason="contract_not_signed",
                 defaulted_at="2026-12-15T09:00:01Z")


async def unit_in_trade(client, h, unit: dict) -> str | None:
    return (await client.get(f"/api/v1/units/{unit['id']}", headers=h.auth("registrar.xhl"))).json()["in_trade_listing_id"]


async def deal_application(client, h, listing: str) -> dict:
    mine = (await client.get("/api/v1/applications", headers=h.auth("enterprise.jinneng"))).json()
    [app] = [a for a in mine if a["listing_id"] == listing]
    return (await client.get(f"/api/v1/applications/{app['id']}", headers=h.auth("enterprise.jinneng"))).json()


async def sold_unit(client, h, consumer) -> tuple[dict, str, str]:
    """A unit with a current right, announced and sold to 晋能 (the registration opened): unit, listing, winner."""
    unit = await h.create_unit(client)
    first = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()],
                         details={"right_type": "state_construction_land_use", "source": "划拨"})
    await h.complete(client, first["id"], certificate=False)
    listing, winner = f"L-{uuid.uuid4()}", h.subject("enterprise.jinneng")
    assert await consumer.handle_record(record(announced(unit, listing))) == "applied"
    assert await consumer.handle_record(record(concluded(unit, listing, winner))) == "applied"
    return unit, listing, winner


async def test_default_through_kafka_withdraws_the_application_and_lifts_the_mark_once(client, h, registry):
    topic = f"natres.test.registry.{uuid.uuid4().hex[:8]}"
    create_topic(topic, partitions=1)
    try:
        unit = await h.create_unit(client)
        first = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()],
                             details={"right_type": "state_construction_land_use", "source": "划拨"})
        await h.complete(client, first["id"], certificate=False)
        listing, winner = f"L-{uuid.uuid4()}", h.subject("enterprise.jinneng")
        default = defaulted(unit, listing, winner)
        producer = KafkaProducer(bootstrap_servers=infra().kafka_bootstrap)
        # the default twice: the platform's relay retrying after a lost acknowledgement delivers it again
        for ev in (announced(unit, listing), concluded(unit, listing, winner), default, default):
            producer.send(topic, key=ev.subject.encode(), value=ev.to_bytes()).get(timeout=20)
        producer.close()
        consumer = trading_consumer(registry, topics=[topic], group_id=f"test-{uuid.uuid4().hex[:8]}",
                                    max_backoff_seconds=1)
        outcomes: list[str] = []
        handle = consumer.handle_record

        async def spy(rec):
            outcomes.append(await handle(rec))
            return outcomes[-1]

        consumer.handle_record = spy
        for _ in range(40):
            await consumer.poll_once(timeout_ms=500)
            if len(outcomes) >= 4:
                break
        await consumer.close()
        assert outcomes == ["applied", "applied", "applied", "duplicate"]

        app = await deal_application(client, h, listing)
        assert app["status"] == "withdrawn"
        last = app["history"][-1]
        assert last["action"] == "withdrawn" and last["actor"] == "service-account-natres-registry"
        assert last["note"]["reason"] == "deal.defaulted: contract_not_signed"
        assert await unit_in_trade(client, h, unit) is None
        assert (await outbox_types(registry, app["id"]))[-1] == "registry.application.withdrawn.v1"
        assert (await outbox_types(registry, unit["id"]))[-1] == "registry.unit.trade_cleared.v1"
        async with registry.ctx.engine.connect() as conn:
            cleared = await conn.scalar(text("SELECT clear_reason FROM registry.trade_marks WHERE listing_id = :l"),
                                        {"l": listing})
        assert cleared == "defaulted: contract_not_signed"
    finally:
        delete_topic(topic)


async def test_default_redelivered_under_a_new_id_has_no_second_effect(client, h, registry):
    consumer = trading_consumer(registry)
    unit, listing, winner = await sold_unit(client, h, consumer)
    assert await consumer.handle_record(record(defaulted(unit, listing, winner))) == "applied"
    app = await deal_application(client, h, listing)
    before = (await outbox_types(registry, app["id"]), await outbox_types(registry, unit["id"]), len(app["history"]))
    # not an inbox duplicate: the effect itself must see that it is done
    assert await consumer.handle_record(record(defaulted(unit, listing, winner))) == "applied"
    app = await deal_application(client, h, listing)
    after = (await outbox_types(registry, app["id"]), await outbox_types(registry, unit["id"]), len(app["history"]))
    assert after == before and app["status"] == "withdrawn"


async def test_default_after_recording_is_parked_and_the_book_is_untouched(client, h, registry):
    consumer = trading_consumer(registry)
    unit, listing, winner = await sold_unit(client, h, consumer)
    app = await deal_application(client, h, listing)
    await h.step(client, app["id"], "review", "reviewer.xhl", {"approve": True, "opinion": "成交确认书核对无误"})
    await h.step(client, app["id"], "record", "registrar.xhl")
    ev = defaulted(unit, listing, winner)
    assert await consumer.handle_record(record(ev)) == "parked"
    async with registry.ctx.engine.connect() as conn:
        parked = (await conn.execute(text("SELECT reason_code, reason FROM registry.parked_events WHERE event_id = :id"),
                                     {"id": ev.id})).one()
    assert parked.reason_code == "deal.already_recorded" and "已登簿" in parked.reason
    app_now = await deal_application(client, h, listing)
    assert app_now["status"] == "recorded"
    assert "registry.application.withdrawn.v1" not in await outbox_types(registry, app["id"])
    book = (await client.get(f"/api/v1/units/{unit['id']}/book", headers=h.auth("enterprise.jinneng"))).json()
    assert book["current"]["holders"][0]["name"] == "晋能控股集团有限公司"


async def test_late_default_leaves_the_relisting_mark_alone(client, h, registry):
    consumer = trading_consumer(registry)
    unit, listing, winner = await sold_unit(client, h, consumer)
    assert await consumer.handle_record(record(defaulted(unit, listing, winner))) == "applied"
    relisting = f"L-{uuid.uuid4()}"  # 重新挂牌: a new listing of the same unit, so a mark of its own
    assert await consumer.handle_record(record(announced(unit, relisting))) == "applied"
    assert await consumer.handle_record(record(defaulted(unit, listing, winner))) == "applied"
    assert await unit_in_trade(client, h, unit) == relisting
    assert (await outbox_types(registry, unit["id"]))[-1] == "registry.unit.trade_marked.v1"


async def park_default_without_deal(client, h, registry, consumer) -> tuple[dict, str, str, int]:
    """A default arriving for a listing whose deal the registry never applied: parked whole."""
    unit = await h.create_unit(client)
    listing, winner = f"L-{uuid.uuid4()}", h.subject("enterprise.jinneng")
    assert await consumer.handle_record(record(announced(unit, listing))) == "applied"
    ev = defaulted(unit, listing, winner)
    assert await consumer.handle_record(record(ev)) == "parked"
    async with registry.ctx.engine.connect() as conn:
        parked_id, code = (await conn.execute(
            text("SELECT id, reason_code FROM registry.parked_events WHERE event_id = :id"), {"id": ev.id})).one()
    assert code == "deal.not_opened"
    assert await unit_in_trade(client, h, unit) == listing  # nothing of it applied
    return unit, listing, winner, parked_id


async def test_default_before_its_deal_is_replayed_by_the_cli_after_the_deal(client, h, registry):
    consumer = trading_consumer(registry, topics=[TEST_TOPIC])
    unit, listing, winner, parked_id = await park_default_without_deal(client, h, registry, consumer)
    assert await consumer.handle_record(record(concluded(unit, listing, winner))) == "applied"

    # the real command, reading the test topic as its trading topic
    env = {**os.environ, "REGISTRY_TRADING_TOPIC": TEST_TOPIC}
    cli = [sys.executable, "-m", "registry.cli", "replay-parked"]
    run = await asyncio.to_thread(subprocess.run, [*cli, "--id", str(parked_id)], env=env, capture_output=True,
                                  text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith(f"{parked_id}\tapplied\ttransactions.deal.defaulted.v1")
    assert (await deal_application(client, h, listing))["status"] == "withdrawn"
    assert await unit_in_trade(client, h, unit) is None
    again = await asyncio.to_thread(subprocess.run, [*cli, "--id", str(parked_id)], env=env, capture_output=True,
                                    text=True, timeout=120)
    assert again.returncode == 0 and "already_resolved" in again.stdout


async def test_ops_replay_endpoint_is_for_admins_and_keeps_a_failing_event_parked(client, h, registry, app,
                                                                                     monkeypatch):
    assert app.state.inbox_consumers()[0].topics == [registry.settings.trading_topic]
    monkeypatch.setattr(app.state, "inbox_consumers", lambda: [trading_consumer(registry, topics=[TEST_TOPIC])])
    consumer = trading_consumer(registry, topics=[TEST_TOPIC])
    unit, listing, winner, parked_id = await park_default_without_deal(client, h, registry, consumer)
    url = f"/api/v1/ops/parked/{parked_id}/replay"
    assert (await client.post(url, headers=h.auth("registrar.xhl"))).status_code == 403
    missing = await client.post("/api/v1/ops/parked/999999999/replay", headers=h.auth("natres.admin"))
    assert missing.status_code == 404 and missing.json()["code"] == "parked.not_found"

    still = await client.post(url, headers=h.auth("natres.admin"))  # the deal is still missing
    assert still.status_code == 200, still.text
    assert still.json()["outcome"] == "parked" and still.json()["reason_code"] == "deal.not_opened"
    assert await consumer.handle_record(record(concluded(unit, listing, winner))) == "applied"
    done = await client.post(url, headers=h.auth("natres.admin"))
    assert done.json()["outcome"] == "applied" and done.json()["resolved_at"]
    assert (await deal_application(client, h, listing))["status"] == "withdrawn"
    rows = (await client.get(f"/api/v1/ops/parked?after_id={parked_id - 1}&limit=1",
                             headers=h.auth("natres.admin"))).json()
    assert rows[0]["resolution"] == "applied" and [r["outcome"] for r in rows[0]["replays"]] == ["parked", "applied"]
    assert rows[0]["replays"][0]["by"] == h.subject("natres.admin")
