"""地证同交 saga crashes: each step resumes after its consumer was down or SIGKILLed, and ignores redelivery."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from natres_platform.events import utc_now
from natres_platform.testing import create_topic, delete_topic
from transactions.closing.service import take_step
from transactions.listings import repository as listings_repo
from transactions.main import create_app as transactions_app
from transactions.settings import TransactionsSettings

from .saga_support import (
    REGISTRY, committed_past, h, listing, listing_terms, new_unit, produce, qualified_bidder, saga_effects, sql,
    subject, until,
)

# On worker processes this test starts and kills (never the stack's own): they run the saga consumers
# on topics of their own, so each effect can only come from them. A consumer down while its event
# arrives applies it once restarted; a duplicate applies nothing. The deadline is brought forward in
# the transaction that closes the listing (row lock held), so that no other scheduler can close it onto
# the stack's topic first. The happy-path journey is in test_saga_journey.py.

pytestmark = pytest.mark.stack

BIN = Path(sys.executable).parent


async def stays_false(check: Callable[[], Awaitable[Any]], seconds: float = 2.0) -> None:
    """`check` stays falsy for a while: nothing else applied the effect."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert not await check()
        await asyncio.sleep(0.2)


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
            before = await saga_effects(su, listing_id, unit_id)
            written = await asyncio.to_thread(produce, [(trading_topic, announced), (registry_topic, trade_marked)])
            await committed_past(registry_group, {k: v for k, v in written.items() if k.startswith(trading_topic)})
            await committed_past(trading_group, {k: v for k, v in written.items() if k.startswith(registry_topic)})
            assert await saga_effects(su, listing_id, unit_id) == before
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
            effects = await saga_effects(su, listing_id, unit_id)
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
