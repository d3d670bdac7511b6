"""地证同交 end to end: a registered unit is sold on the trading platform and its winner registered.

Two tests:

1. The journey, on the running stack only (what `./natres up` started: the registry and
   transactions APIs on their ports, their workers with the outbox relays, the saga consumers
   in the groups `natres-registry` / `natres-transactions`, and the closing scheduler). The test
   drives the APIs as the users would, moves the listing's deadline to now (superuser SQL, the
   one shortcut), and waits for each step's effect in the other service. Then it re-produces
   every saga event of the journey to Kafka with its own id, waits until both services' groups
   have committed past the copies, and checks that nothing happened twice.
2. Crashes, on worker processes this test starts and kills (never the stack's own): they run
   the saga consumers on topics of their own, so each effect can only come from them. A
   consumer down while its event arrives applies it once restarted; a duplicate applies nothing.
   The deadline is brought forward in the transaction that closes the listing (row lock held),
   so that no other scheduler can close it onto the stack's topic first.

CI runs `./natres up` in a fresh clone first, so the stack's workers run the code under test.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from kafka import KafkaAdminClient, KafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from natres_platform.events import CloudEvent, utc_now
from natres_platform.testing import create_topic, delete_topic, infra, password_token, superuser_dsn
from registry.applications.types import REQUIRED_DOCUMENTS
from registry.settings import RegistrySettings
from registry.units.codes import unit_code_for
from transactions.closing.service import take_step
from transactions.listings import repository as listings_repo
from transactions.main import create_app as transactions_app
from transactions.settings import TransactionsSettings

pytestmark = pytest.mark.stack

REGISTRY = f"http://127.0.0.1:{RegistrySettings().http_port}"
TRADING = f"http://127.0.0.1:{TransactionsSettings().http_port}"
BIN = Path(sys.executable).parent
ZHANG_ID = "140107199001011230"
_tokens: dict[str, str] = {}


def h(username: str, **extra: str) -> dict[str, str]:
    if username not in _tokens:
        _tokens[username] = password_token(username)
    return {"Authorization": f"Bearer {_tokens[username]}", **extra}


def subject(username: str) -> str:
    h(username)
    return jwt.decode(_tokens[username], options={"verify_signature": False})["sub"]


async def until(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 30.0) -> Any:
    """Poll until `check` returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        got = await check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def stays_false(check: Callable[[], Awaitable[Any]], seconds: float = 2.0) -> None:
    """`check` stays falsy for a while: nothing else applied the effect."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert not await check()
        await asyncio.sleep(0.2)


@pytest.fixture(scope="module")
async def su():
    engine = create_async_engine(superuser_dsn())
    yield engine
    await engine.dispose()


async def sql(su, statement: str, **params: Any) -> Any:
    async with su.begin() as conn:
        return await conn.execute(text(statement), params)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def listing_terms(unit_id: str) -> dict[str, Any]:
    """挂牌 running now (period started 30 days ago, deadline in 2 h), no reserve."""
    now = datetime.now(UTC)
    return {
        "title": "地证同交测试地块 国有建设用地使用权挂牌出让", "unit_id": unit_id,
        "right_type": "state_construction_land_use", "method": "listing", "land_use": "industrial", "term_years": 50,
        "announcement_at": _iso(now - timedelta(days=60)), "registration_start": _iso(now - timedelta(days=59)),
        "registration_end": _iso(now + timedelta(hours=1)), "deposit_deadline": _iso(now + timedelta(minutes=50)),
        "listing_start": _iso(now - timedelta(days=30)), "listing_end": _iso(now + timedelta(hours=2)),
        "start_price": "2000000.00", "increment": "50000.00", "no_reserve": True, "deposit": "300000.00",
    }


async def new_unit(reg: httpx.AsyncClient) -> dict[str, Any]:
    """A fresh land unit in 杏花岭区, registered by its registrar."""
    rng = random.Random()
    lon, lat = round(rng.uniform(110.8, 114.2), 6), round(rng.uniform(35.0, 36.8), 6)
    d = 0.0005
    body = {"code": unit_code_for(county_code="140107", parcel_seq=rng.randint(1, 99_999), use_kind="B",
                                  cadastral_zone=rng.randint(1, 999), cadastral_subzone=rng.randint(1, 999)),
            "geometry": {"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d],
                                                               [lon, lat + d], [lon, lat]]]}}
    r = await reg.post("/api/v1/units", json=body, headers=h("registrar.xhl"))
    assert r.status_code == 201, r.text
    return r.json()


async def step(reg: httpx.AsyncClient, app_id: str, action: str, user: str, body: dict | None = None) -> dict:
    r = await reg.post(f"/api/v1/applications/{app_id}/{action}", json=body, headers=h(user))
    assert r.status_code == 200, r.text
    return r.json()


async def first_registration(reg: httpx.AsyncClient, unit_id: str) -> None:
    """张三's first registration, filed online and completed by the county's officials (申请→受理→审核→登簿→发证)."""
    party = {"role": "holder", "name": "张三", "id_number": ZHANG_ID, "subject": subject("citizen.zhang")}
    r = await reg.post("/api/v1/applications", headers=h("citizen.zhang"), json={
        "type": "first", "unit_id": unit_id, "parties": [party],
        "details": {"right_type": "state_construction_land_use", "source": "划拨"}})
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    for kind in REQUIRED_DOCUMENTS["first"]:
        r = await reg.post(f"/api/v1/applications/{app_id}/documents", headers=h("citizen.zhang"), data={"kind": kind},
                           files={"file": (f"{kind}.pdf", f"%PDF-1.4 {kind} {app_id}".encode(), "application/pdf")})
        assert r.status_code == 201, r.text
    await step(reg, app_id, "accept", "registrar.xhl")
    await step(reg, app_id, "review", "reviewer.xhl", {"approve": True, "opinion": "符合登记条件"})
    await step(reg, app_id, "record", "registrar.xhl")
    assert (await step(reg, app_id, "certificate", "registrar.xhl"))["status"] == "certified"


async def qualified_bidder(trade: httpx.AsyncClient, listing_id: str, username: str) -> dict[str, Any]:
    """报名 → 保证金 through the (simulated) signed bank callback → 资格审核."""
    r = await trade.post(f"/api/v1/listings/{listing_id}/registrations", headers=h(username))
    assert r.status_code == 201, r.text
    reg_id = r.json()["id"]
    r = await trade.post("/api/v1/simbank/payments", json={"registration_id": reg_id}, headers=h(username))
    assert r.status_code == 200, r.text
    r = await trade.post(f"/api/v1/listings/{listing_id}/registrations/{reg_id}/qualify", headers=h("trader.admin"))
    assert r.status_code == 200, r.text
    return r.json()


async def listing(trade: httpx.AsyncClient, listing_id: str) -> dict[str, Any]:
    r = await trade.get(f"/api/v1/listings/{listing_id}/admin", headers=h("trader.admin"))
    assert r.status_code == 200, r.text
    return r.json()


def produce(events: list[tuple[str, dict]]) -> dict[str, int]:
    """Send events to Kafka as the relay does (key = subject); the highest offset written per topic."""
    producer = KafkaProducer(bootstrap_servers=infra().kafka_bootstrap, acks="all")
    last: dict[str, int] = {}
    try:
        for topic, payload in events:
            event = CloudEvent(**payload)
            meta = producer.send(topic, key=event.subject.encode(), value=event.to_bytes()).get(timeout=30)
            last[f"{topic}:{meta.partition}"] = max(last.get(f"{topic}:{meta.partition}", -1), meta.offset)
    finally:
        producer.close()
    return last


async def committed_past(group: str, written: dict[str, int], timeout: float = 30.0) -> None:
    """Wait until the group committed beyond each written offset: the copies were consumed."""

    def offsets() -> dict[str, int]:
        admin = KafkaAdminClient(bootstrap_servers=infra().kafka_bootstrap)
        try:
            got = admin.list_group_offsets({group: None}).get(group, {})
        finally:
            admin.close()
        return {f"{tp.topic}:{tp.partition}": meta.offset for tp, meta in got.items()}

    async def done() -> bool:
        now = await asyncio.to_thread(offsets)
        return all(now.get(k, -1) > v for k, v in written.items())

    await until(done, f"group {group} to consume the copies", timeout)


async def test_land_sold_and_registered_through_both_services(su):
    async with httpx.AsyncClient(base_url=REGISTRY, timeout=30) as reg, \
            httpx.AsyncClient(base_url=TRADING, timeout=30) as trade:
        # 1. a unit with a current registration
        unit = await new_unit(reg)
        await first_registration(reg, unit["id"])

        # 2. a trading administrator lists it and publishes the announcement
        r = await trade.post("/api/v1/listings", json=listing_terms(unit["id"]), headers=h("trader.admin"))
        assert r.status_code == 201, r.text
        listing_id = r.json()["id"]
        r = await trade.post(f"/api/v1/listings/{listing_id}/announce", headers=h("trader.admin"))
        assert r.status_code == 200, r.text

        # 3. the registry marks the unit in trade; the platform hears it and opens registration
        async def marked() -> bool:
            u = (await reg.get(f"/api/v1/units/{unit['id']}", headers=h("registrar.xhl"))).json()
            return u["in_trade_listing_id"] == listing_id
        await until(marked, "the registry's trade mark")
        conflicting = await reg.post("/api/v1/applications", headers=h("citizen.zhang"), json={
            "type": "transfer", "unit_id": unit["id"],
            "parties": [{"role": "holder", "name": "李四", "id_number": "11010519491231002X"}]})
        assert conflicting.status_code == 409 and conflicting.json()["code"] == "unit.in_trade"

        async def bidding() -> bool:
            row = await listing(trade, listing_id)
            return row["unit_marked"] and row["state"] == "bidding"
        await until(bidding, "the listing to take quotes")

        # 4. two bidders register, pay, are qualified, and quote
        await qualified_bidder(trade, listing_id, "bidder.a")
        winner = await qualified_bidder(trade, listing_id, "bidder.b")
        for username, amount in (("bidder.a", "2000000.00"), ("bidder.b", "2050000.00")):
            r = await trade.post(f"/api/v1/listings/{listing_id}/bids", json={"amount": amount},
                                 headers=h(username, **{"Idempotency-Key": uuid.uuid4().hex}))
            assert r.status_code == 201, r.text

        # 5. the deadline comes (moved to now); the scheduler concludes the deal
        await sql(su, "UPDATE transactions.listings SET closes_at = clock_timestamp(), "
                      "next_action_at = clock_timestamp() WHERE id = :id", id=listing_id)

        async def concluded() -> dict | None:
            row = await listing(trade, listing_id)
            return row if row["state"] == "concluded" else None
        closed = await until(concluded, "the close")
        assert closed["winner_registration_id"] == winner["id"] and closed["final_price"] == "2050000.00"

        # 6. the registry opens the winner's transfer registration
        async def opened() -> dict | None:
            mine = (await reg.get("/api/v1/applications", headers=h("bidder.b"))).json()
            return next((a for a in mine if a["listing_id"] == listing_id), None)
        app = await until(opened, "the winner's registration")
        assert (app["type"], app["status"], app["channel"]) == ("transfer", "accepted", "trade")
        assert app["competent_office"] == "140107"

        # 7. the competent county reviews, records and certifies
        await step(reg, app["id"], "review", "reviewer.xhl", {"approve": True, "opinion": "成交确认书核对无误"})
        await step(reg, app["id"], "record", "registrar.xhl")
        assert (await step(reg, app["id"], "certificate", "registrar.xhl"))["status"] == "certified"

        # 8. the winner holds the recorded right; the mark is lifted on both sides
        book = (await reg.get(f"/api/v1/units/{unit['id']}/book", headers=h("bidder.b"))).json()
        assert [x["name"] for x in book["current"]["holders"]] == [winner["bidder_name"]]
        assert book["current"]["term_end"] is not None
        u = (await reg.get(f"/api/v1/units/{unit['id']}", headers=h("registrar.xhl"))).json()
        assert u["in_trade_listing_id"] is None

        async def cleared() -> bool:
            return (await sql(su, "SELECT unit_cleared_at IS NOT NULL FROM transactions.listings WHERE id = :id",
                              id=listing_id)).scalar()
        await until(cleared, "the platform to hear the mark lifted")

        # 9. every saga event of the journey delivered again: no second effect anywhere
        before = await _effects(su, listing_id, unit["id"])
        events = [("natres.transactions.v1", p) for (p,) in (await sql(
            su, "SELECT payload FROM transactions.outbox WHERE key = :k AND event_type IN "
                "('transactions.listing.announced.v1', 'transactions.deal.concluded.v1') ORDER BY id",
            k=listing_id)).all()]
        events += [("natres.registry.v1", p) for (p,) in (await sql(
            su, "SELECT payload FROM registry.outbox WHERE key = :k AND payload->'data'->>'listing_id' = :l "
                "AND event_type IN ('registry.unit.trade_marked.v1', 'registry.unit.trade_cleared.v1') ORDER BY id",
            k=unit["id"], l=listing_id)).all()]
        assert [p["type"] for _, p in events] == [
            "transactions.listing.announced.v1", "transactions.deal.concluded.v1",
            "registry.unit.trade_marked.v1", "registry.unit.trade_cleared.v1"]
        written = await asyncio.to_thread(produce, events)
        await committed_past(RegistrySettings().consumer_group,
                             {k: v for k, v in written.items() if k.startswith("natres.transactions.v1")})
        await committed_past(TransactionsSettings().consumer_group,
                             {k: v for k, v in written.items() if k.startswith("natres.registry.v1")})
        assert await _effects(su, listing_id, unit["id"]) == before


async def _effects(su, listing_id: str, unit_id: str) -> dict[str, Any]:
    """Everything the saga events cause, counted."""
    one = lambda q, **p: sql(su, q, **p)  # noqa: E731
    return {
        "applications": (await one("SELECT count(*) FROM registry.applications WHERE listing_id = :l",
                                   l=listing_id)).scalar(),
        "marks": tuple((await one("SELECT count(*), bool_and(cleared_at IS NOT NULL) FROM registry.trade_marks "
                                  "WHERE listing_id = :l", l=listing_id)).one()),
        "in_trade": (await one("SELECT in_trade_listing_id FROM registry.units WHERE id = CAST(:u AS uuid)",
                               u=unit_id)).scalar(),
        "registry_events": (await one("SELECT count(*) FROM registry.outbox WHERE payload->'data'->>'listing_id' = :l",
                                      l=listing_id)).scalar(),
        # the platform's side of the saga (the scheduler may move the state meanwhile: not a saga effect)
        "listing": tuple((await one("SELECT unit_marked_at, unit_cleared_at FROM transactions.listings "
                                    "WHERE id = :l", l=listing_id)).one()),
        "feed": (await one("SELECT count(*) FROM transactions.feed_items WHERE listing_id = :l "
                           "AND kind IN ('unit_marked', 'unit_cleared')", l=listing_id)).scalar(),
    }


class Worker:
    """A `natres-<service> worker` process this test owns (started, killed, restarted by pid)."""

    def __init__(self, service: str, env: dict[str, str], log: Path) -> None:
        self.service, self.env, self.log = service, env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        out = self.log.open("ab")
        self.proc = subprocess.Popen([str(BIN / f"natres-{self.service}"), "worker"],
                                     env={**os.environ, **self.env}, stdout=out, stderr=subprocess.STDOUT)

    def crash(self) -> None:
        """SIGKILL: no shutdown hook runs, as in a power cut."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.crash()


async def close_now(trading, listing_id: str) -> None:
    """The deadline is now: move it and close in one transaction, holding the row lock throughout."""
    async with trading.uow() as uow:
        await listings_repo.get(uow.session, listing_id=listing_id, lock=True)
        now = utc_now()
        row = await listings_repo.update_row(uow.session, listing_id=listing_id,
                                             values={"closes_at": now, "next_action_at": now})
        await take_step(uow=uow, trading=trading, listing=row, now=now)
        await uow.commit()


async def test_each_saga_step_resumes_after_a_crash_and_ignores_redelivery(su, tmp_path):
    run = uuid.uuid4().hex[:8]
    trading_topic, registry_topic = f"test.saga.{run}.transactions", f"test.saga.{run}.registry"
    for topic in (trading_topic, registry_topic):
        create_topic(topic, partitions=1)
    registry_group, trading_group = f"test-saga-{run}-registry", f"test-saga-{run}-transactions"
    # `worker` = outbox relay + saga consumer; the registry's events go to the test's registry topic.
    registry_worker = Worker("registry", {
        "REGISTRY_TRADING_TOPIC": trading_topic, "REGISTRY_TOPIC": registry_topic,
        "REGISTRY_CONSUMER_GROUP": registry_group, "REGISTRY_LOG_LEVEL": "WARNING"}, tmp_path / "registry.log")
    # Its closing scheduler may step others' listings too: their events keep the stack's topic (no TRANSACTIONS_TOPIC).
    trading_worker = Worker("transactions", {
        "TRANSACTIONS_REGISTRY_TOPIC": registry_topic, "TRANSACTIONS_CONSUMER_GROUP": trading_group,
        "TRANSACTIONS_LOG_LEVEL": "WARNING"}, tmp_path / "transactions.log")
    # This test's trading API and closing write to the test topic; its own relay publishes them.
    app = transactions_app(TransactionsSettings(topic=trading_topic))
    trading = app.state.trading
    stop = asyncio.Event()
    relay = asyncio.create_task(trading.ctx.relay().run(stop))
    try:
        async with httpx.AsyncClient(base_url=REGISTRY, timeout=30) as reg, httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://trading", timeout=30) as trade:
            unit = await new_unit(reg)
            unit_id = unit["id"]
            r = await trade.post("/api/v1/listings", json=listing_terms(unit_id), headers=h("trader.admin"))
            assert r.status_code == 201, r.text
            listing_id = r.json()["id"]

            async def registry_marked() -> bool:
                return (await sql(su, "SELECT in_trade_listing_id FROM registry.units WHERE id = CAST(:u AS uuid)",
                                  u=unit_id)).scalar() == listing_id

            async def platform_marked() -> bool:
                return (await sql(su, "SELECT unit_marked_at IS NOT NULL FROM transactions.listings WHERE id = :l",
                                  l=listing_id)).scalar()

            async def applications() -> int:
                return (await sql(su, "SELECT count(*) FROM registry.applications WHERE listing_id = :l",
                                  l=listing_id)).scalar()

            # step 1, announced -> the registry marks the unit: its consumer is down when the event is published
            r = await trade.post(f"/api/v1/listings/{listing_id}/announce", headers=h("trader.admin"))
            assert r.status_code == 200, r.text
            await stays_false(registry_marked)
            registry_worker.start()
            await until(registry_marked, "the registry consumer, once up, to mark the unit", 30)

            # step 2, trade_marked -> the platform: its consumer is down when the registry publishes
            await until(lambda: _published(su, "registry", unit_id, "registry.unit.trade_marked.v1"),
                        "the registry's relay to publish trade_marked")
            await stays_false(platform_marked)
            trading_worker.start()
            await until(platform_marked, "the platform consumer, once up, to hear the mark", 30)

            # both events again with their ids (what a relay re-sends after a crash): nothing more happens
            announced = await _payload(su, "transactions", listing_id, "transactions.listing.announced.v1")
            trade_marked = await _payload(su, "registry", unit_id, "registry.unit.trade_marked.v1")
            before = await _effects(su, listing_id, unit_id)
            written = await asyncio.to_thread(produce, [(trading_topic, announced), (registry_topic, trade_marked)])
            await committed_past(registry_group, {k: v for k, v in written.items() if k.startswith(trading_topic)})
            await committed_past(trading_group, {k: v for k, v in written.items() if k.startswith(registry_topic)})
            assert await _effects(su, listing_id, unit_id) == before
            assert before["marks"] == (1, False) and before["registry_events"] == 1  # one trade_marked

            # a bidder quotes (a closing scheduler opened bidding once the mark was heard)
            async def bidding() -> bool:
                return (await listing(trade, listing_id))["state"] == "bidding"
            await until(bidding, "bidding to open")
            await qualified_bidder(trade, listing_id, "bidder.a")
            r = await trade.post(f"/api/v1/listings/{listing_id}/bids", json={"amount": "2000000.00"},
                                 headers=h("bidder.a"))
            assert r.status_code == 201, r.text

            # step 3, deal concluded -> the winner's registration: the registry worker is killed (SIGKILL)
            # after it has committed its offsets, the deal is published while it is dead, and it restarts
            registry_worker.crash()
            await close_now(trading, listing_id)
            await until(lambda: _published(su, "transactions", listing_id, "transactions.deal.concluded.v1"),
                        "the deal to be published")
            await stays_false(applications)
            registry_worker.start()  # resumes from its group's committed offset
            await until(applications, "the restarted registry consumer to open the registration", 40)
            deal = await _payload(su, "transactions", listing_id, "transactions.deal.concluded.v1")
            written = await asyncio.to_thread(produce, [(trading_topic, deal), (trading_topic, announced)])
            await committed_past(registry_group, written)
            effects = await _effects(su, listing_id, unit_id)
            assert effects["applications"] == 1 and effects["marks"] == (1, False)
            opened = (await sql(su, "SELECT applicant_subject, type, status FROM registry.applications "
                                    "WHERE listing_id = :l", l=listing_id)).one()
            assert tuple(opened) == (subject("bidder.a"), "first", "accepted")
            assert effects["registry_events"] == 3  # trade_marked, then application submitted + accepted once each
    finally:
        stop.set()
        await relay
        registry_worker.stop()
        trading_worker.stop()
        await trading.aclose()
        for topic in (trading_topic, registry_topic):
            delete_topic(topic)


async def _payload(su, schema: str, key: str, event_type: str) -> dict:
    return (await sql(su, f"SELECT payload FROM {schema}.outbox WHERE key = :k AND event_type = :t",
                      k=key, t=event_type)).scalar()


async def _published(su, schema: str, key: str, event_type: str) -> bool:
    return bool((await sql(su, f"SELECT bool_or(published_at IS NOT NULL) FROM {schema}.outbox "
                               "WHERE key = :k AND event_type = :t", k=key, t=event_type)).scalar())
