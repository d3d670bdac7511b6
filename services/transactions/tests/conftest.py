"""Fixtures for the transactions tests on the real stack: app, tokens, registry units, bidders, time."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from natres_platform.testing import infra, password_token, superuser_dsn

from transactions.closing.service import run_due
from transactions.main import create_app
from transactions.settings import TransactionsSettings

TEST_SETTINGS = dict(
    countdown_seconds=2.0,
    # The holiday table ends in 2026; test schedules may run past it (provisional, the default).
    allow_provisional_calendar=True,
    trusted_proxies=["127.0.0.1"],
    feed_poll_seconds=0.05,
    late_bid_seconds=1.0,
    db_pool_size=30,
    db_max_overflow=10,
)
POOL_SIZE = 20


def make_settings(**overrides: Any) -> TransactionsSettings:
    """Settings for tests: 2-second countdown, trusted local proxy."""
    return TransactionsSettings(**{**TEST_SETTINGS, **overrides})


class Tokens:
    """Real Keycloak tokens, cached for a minute (access tokens live five)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, str]] = {}

    def __call__(self, username: str) -> str:
        hit = self._cache.get(username)
        if hit and time.monotonic() - hit[0] < 60:
            return hit[1]
        token = password_token(username)
        self._cache[username] = (time.monotonic(), token)
        return token

    def headers(self, username: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self(username)}", **extra}


@pytest.fixture(scope="session")
def tokens() -> Tokens:
    return Tokens()


@pytest.fixture(scope="session")
def bidder_pool() -> list[str]:
    """POOL_SIZE extra bidder accounts, created idempotently through the Keycloak admin API."""
    from keycloak import KeycloakAdmin
    from keycloak.exceptions import KeycloakGetError, KeycloakPostError

    admin = KeycloakAdmin(server_url=infra().keycloak_url, username="admin", password="admin",
                          realm_name="natres", user_realm_name="master")
    role = admin.get_realm_role("bidder")
    names = [f"bidder.pool{i:02d}" for i in range(1, POOL_SIZE + 1)]
    for i, name in enumerate(names, start=1):
        user_id = admin.get_user_id(name)
        if user_id is None:
            try:
                user_id = admin.create_user({
                    "username": name, "enabled": True, "emailVerified": True, "email": f"{name}@example.test",
                    "firstName": f"竞买人{i:02d}", "lastName": "测试", "requiredActions": [],
                    "credentials": [{"type": "password", "value": "demo1234", "temporary": False}],
                }, exist_ok=True)
            except (KeycloakPostError, KeycloakGetError):
                user_id = admin.get_user_id(name)
        roles = {r["name"] for r in admin.get_realm_roles_of_user(user_id)}
        if "bidder" not in roles:
            admin.assign_realm_roles(user_id, [role])
    return names


# Trading administrators scoped to a county (杏花岭区), a city (大同市) and to nothing, besides trader.admin
# (province); and a bidder of its own for the default (违约) tests, since a defaulter is blacklisted.
SCOPED_TRADERS = {"trader.t140107": "140107", "trader.t140200": "140200", "trader.tnone": None}
DEFAULTER = "bidder.defaulter"


def _ensure_user(admin, name: str, role_name: str, region: str | None) -> None:
    role = admin.get_realm_role(role_name)
    user_id = admin.get_user_id(name) or admin.create_user({
        "username": name, "enabled": True, "emailVerified": True, "email": f"{name}@example.test",
        "firstName": "测试", "lastName": "用户", "attributes": {"region": [region]} if region else {},
        "requiredActions": [], "credentials": [{"type": "password", "value": "demo1234", "temporary": False}],
    }, exist_ok=True)
    if role_name not in {r["name"] for r in admin.get_realm_roles_of_user(user_id)}:
        admin.assign_realm_roles(user_id, [role])


@pytest.fixture(scope="session")
def scoped_traders() -> dict[str, str | None]:
    """Trading admins with a county / city / no region, and the defaulting bidder (Keycloak admin API)."""
    from keycloak import KeycloakAdmin

    admin = KeycloakAdmin(server_url=infra().keycloak_url, username="admin", password="admin",
                          realm_name="natres", user_realm_name="master")
    for name, region in SCOPED_TRADERS.items():
        _ensure_user(admin, name, "trading_admin", region)
    _ensure_user(admin, DEFAULTER, "bidder", None)
    return dict(SCOPED_TRADERS)


@pytest.fixture(scope="session")
async def su_engine() -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(superuser_dsn())
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def app():
    application = create_app(make_settings())
    yield application
    await application.state.trading.aclose()


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", timeout=60) as c:
        yield c


class World:
    """Builds trading situations through the real API, and moves listings through time."""

    def __init__(self, *, client: httpx.AsyncClient, app: Any, tokens: Tokens, su: AsyncEngine) -> None:
        self.client = client
        self.trading = app.state.trading
        self.tokens = tokens
        self.su = su

    def h(self, username: str, **extra: str) -> dict[str, str]:
        return self.tokens.headers(username, **extra)

    async def sql(self, statement: str, **params: Any) -> Any:
        async with self.su.begin() as conn:
            return await conn.execute(text(statement), params)

    async def unit(self, *, status: str = "current", in_trade: str | None = None, county: str = "140107") -> str:
        """A fresh unit in registry.units (tests act as the registry here; the service never writes it)."""
        unit_id = str(uuid.uuid4())
        serial = int(uuid.UUID(unit_id)) % 100000
        code = f"{county}{uuid.uuid4().int % 10**6:06d}GB{serial:05d}W00000000"
        x, y = 112.4 + (serial % 1000) * 1e-4, 37.8 + (serial // 1000) * 1e-4
        wkt = f"MULTIPOLYGON((({x} {y},{x + 5e-5} {y},{x + 5e-5} {y + 5e-5},{x} {y + 5e-5},{x} {y})))"
        await self.sql(
            "INSERT INTO registry.units (id, code, layer, kind, county_code, geom, area_m2, status, in_trade_listing_id)"
            " VALUES (CAST(:id AS uuid), :code, 'land', 'construction_land', :county, ST_GeomFromText(:wkt, 4490),"
            " 25000, :status, :in_trade)",
            id=unit_id, code=code, county=county, wkt=wkt, status=status, in_trade=in_trade,
        )
        return unit_id

    def terms(self, *, unit_id: str, method: str = "listing", right_type: str = "state_construction_land_use",
              **overrides: Any) -> dict[str, Any]:
        """Valid terms with the listing period running now (quotes open, deadline in an hour)."""
        now = datetime.now(UTC)
        mineral = right_type in ("exploration_right", "mining_right")
        body: dict[str, Any] = {
            "title": "测试地块 国有建设用地使用权出让", "unit_id": unit_id, "right_type": right_type, "method": method,
            "land_use": None if mineral else "industrial", "term_years": 5 if mineral else 50,
            "announcement_at": _iso(now - timedelta(days=90)),
            "registration_start": _iso(now - timedelta(days=89)),
            "start_price": "1000000.00", "increment": "10000.00", "reserve_price": "1050000.00",
            "deposit": "200000.00",
        }
        if method == "listing":
            body |= {"listing_start": _iso(now - timedelta(days=30)), "listing_end": _iso(now + timedelta(hours=2)),
                     "registration_end": _iso(now + timedelta(hours=1)),
                     "deposit_deadline": _iso(now + timedelta(minutes=50))}
        else:
            body |= {"listing_start": _iso(now - timedelta(days=30)), "listing_end": _iso(now + timedelta(days=3)),
                     "registration_end": _iso(now + timedelta(hours=1)),
                     "deposit_deadline": _iso(now + timedelta(minutes=50)),
                     "bidding_start": _iso(now + timedelta(hours=2))}
        body.update(overrides)
        return body

    async def listing(self, **kw: Any) -> str:
        """A created, announced and registry-marked listing (registration open; 挂牌 quotes open too)."""
        unit_id = await self.unit()
        r = await self.client.post("/api/v1/listings", json=self.terms(unit_id=unit_id, **kw), headers=self.h("trader.admin"))
        assert r.status_code == 201, r.text
        listing_id = r.json()["id"]
        r = await self.client.post(f"/api/v1/listings/{listing_id}/announce", headers=self.h("trader.admin"))
        assert r.status_code == 200, r.text
        await self.mark(listing_id, unit_id)
        # 挂牌 with its period already running goes straight on to bidding (registration stays open).
        await self.until(listing_id, "registration", "bidding")
        return listing_id

    async def mark(self, listing_id: str, unit_id: str) -> None:
        """What the registry's trade_marked event does on our side (the consumer's handler)."""
        from natres_platform.events import CloudEvent

        from transactions.saga.handlers import TRADE_MARKED, on_trade_marked

        event = CloudEvent.create(source="/natres/registry", type=TRADE_MARKED, subject=unit_id,
                                  data={"unit_id": unit_id, "listing_id": listing_id}, actor="service:natres-registry",
                                  region="140107")
        async with self.trading.uow() as uow:
            await on_trade_marked(uow, event)
            await uow.commit()

    async def due(self, listing_id: str, *, close: bool = False) -> None:
        """Bring the listing's next scheduled step to now (and its deadline, when closing)."""
        extra = ", closes_at = clock_timestamp()" if close else ""
        await self.sql(f"UPDATE transactions.listings SET next_action_at = clock_timestamp() {extra} WHERE id = :id",
                       id=listing_id)

    async def until(self, listing_id: str, *states: str, timeout: float = 15) -> dict[str, Any]:
        """Run the scheduler until the listing reaches one of `states`."""
        deadline = time.monotonic() + timeout
        while True:
            await run_due(trading=self.trading)
            row = await self.get(listing_id)
            if row["state"] in states:
                return row
            if time.monotonic() > deadline:
                raise AssertionError(f"listing {listing_id} stuck in {row['state']}, wanted {states}")
            await asyncio.sleep(0.1)

    async def get(self, listing_id: str, *, admin: bool = True) -> dict[str, Any]:
        path = f"/api/v1/listings/{listing_id}" + ("/admin" if admin else "")
        r = await self.client.get(path, headers=self.h("trader.admin"))
        assert r.status_code == 200, r.text
        return r.json()

    async def register(self, listing_id: str, username: str, *, ip: str | None = None) -> dict[str, Any]:
        headers = self.h(username) | ({"X-Forwarded-For": ip} if ip else {})
        r = await self.client.post(f"/api/v1/listings/{listing_id}/registrations", headers=headers)
        assert r.status_code == 201, r.text
        return r.json()

    async def pay(self, registration_id: str, username: str) -> None:
        r = await self.client.post("/api/v1/simbank/payments", json={"registration_id": registration_id},
                                   headers=self.h(username))
        assert r.status_code == 200, r.text

    async def qualify(self, listing_id: str, registration_id: str) -> dict[str, Any]:
        r = await self.client.post(f"/api/v1/listings/{listing_id}/registrations/{registration_id}/qualify",
                                   headers=self.h("trader.admin"))
        assert r.status_code == 200, r.text
        return r.json()

    async def bidder(self, listing_id: str, username: str, *, ip: str | None = None) -> dict[str, Any]:
        """Registered, deposit paid through the signed bank callback, qualified: returns the registration."""
        reg = await self.register(listing_id, username, ip=ip)
        await self.pay(reg["id"], username)
        return await self.qualify(listing_id, reg["id"])

    async def open_bidding(self, listing_id: str) -> dict[str, Any]:
        await self.due(listing_id)
        return await self.until(listing_id, "bidding", "failed")

    async def bid(self, listing_id: str, username: str, amount: str, *, key: str | None = None) -> httpx.Response:
        headers = self.h(username) | ({"Idempotency-Key": key} if key else {})
        return await self.client.post(f"/api/v1/listings/{listing_id}/bids", json={"amount": amount}, headers=headers)

    async def raise_bid(self, listing_id: str, username: str, steps: int, max_amount: str, *,
                        key: str | None = None) -> httpx.Response:
        """A 加价 of `steps` increments, never above `max_amount`."""
        headers = self.h(username) | ({"Idempotency-Key": key} if key else {})
        return await self.client.post(f"/api/v1/listings/{listing_id}/bids", headers=headers,
                                      json={"raise_steps": steps, "max_amount": max_amount})

    async def python_bid(self, listing_id: str, username: str, amount: str, *, key: str | None = None,
                         steps: int | None = None) -> tuple[int, dict[str, Any]]:
        """A bid (or, with `steps`, a 加价) through the Python reference path, answered like the API."""
        from transactions.bidding import service

        principal = await self.trading.ctx.verifier.verify(self.tokens(username))
        try:
            bid = await service.place_bid_in_python(trading=self.trading, listing_id=listing_id, principal=principal,
                                                    amount=Decimal(amount), idempotency_key=key, raise_steps=steps,
                                                    client_ip="127.0.0.1")
        except Exception as exc:  # noqa: BLE001 - the platform error is the answer
            return exc.status_code, {"code": exc.code, **exc.extensions}
        return (200 if bid.replayed else 201), bid.model_dump(mode="json")

    async def events(self, listing_id: str, event_type: str | None = None) -> list[dict[str, Any]]:
        """The listing's events as written to the outbox, in order."""
        rows = (await self.sql(
            "SELECT payload FROM transactions.outbox WHERE key = :k"
            + (" AND event_type = :t" if event_type else "") + " ORDER BY id",
            k=listing_id, **({"t": event_type} if event_type else {}),
        )).all()
        return [r[0] for r in rows]


@pytest.fixture(scope="module")
async def route_only_app():
    """The app without the ASGI bid fast path: the FastAPI route is the reference it is compared with."""
    application = create_app(make_settings(bid_fast_path=False))
    yield application
    await application.state.trading.aclose()


@pytest.fixture
async def world(client, app, tokens, su_engine) -> World:
    return World(client=client, app=app, tokens=tokens, su=su_engine)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def money(value: str | Decimal) -> Decimal:
    return Decimal(value)
