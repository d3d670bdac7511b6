"""Helpers for the 地证同交 saga tests: tokens, polling, SQL, journey steps, Kafka re-delivery, effect counts."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from kafka import KafkaAdminClient, KafkaProducer
from sqlalchemy import text

from natres_platform.events import CloudEvent
from natres_platform.testing import infra, password_token
from registry.settings import RegistrySettings
from registry.units.codes import unit_code_for

REGISTRY = f"http://127.0.0.1:{RegistrySettings().http_port}"
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


async def saga_effects(su, listing_id: str, unit_id: str) -> dict[str, Any]:
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
