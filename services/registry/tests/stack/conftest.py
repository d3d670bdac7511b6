"""Fixtures for registry tests on the real stack: the app in-process, real tokens, unique units."""

from __future__ import annotations

import random
import uuid
from functools import lru_cache

import httpx
import pytest

from natres_platform.testing import password_token
from registry.main import create_app
from registry.settings import RegistrySettings
from registry.units.codes import resource_code_for, unit_code_for

pytestmark = pytest.mark.stack


@lru_cache(maxsize=None)
def token(username: str) -> str:
    """A real Keycloak token (cached for the session; they live 5+ minutes)."""
    return password_token(username)


def auth(username: str) -> dict[str, str]:
    """Authorization header for a demo user."""
    return {"Authorization": f"Bearer {token(username)}"}


def square(lon: float, lat: float, size: float = 0.0005) -> dict:
    """A GeoJSON Polygon square with its south-west corner at (lon, lat)."""
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size],
                                                  [lon, lat + size], [lon, lat]]]}


_rng = random.Random()


def random_spot() -> tuple[float, float]:
    """A random place inside Shanxi away from the demo data (tests never collide in practice)."""
    return round(_rng.uniform(110.8, 114.2), 6), round(_rng.uniform(35.0, 36.8), 6)


def parcel_code(county: str = "140107", use_kind: str = "B") -> str:
    """A random unused-in-practice 不动产单元代码 in a county."""
    return unit_code_for(county_code=county, parcel_seq=_rng.randint(1, 99_999), use_kind=use_kind,
                         cadastral_zone=_rng.randint(1, 999), cadastral_subzone=_rng.randint(1, 999))


def resource_code(county: str = "140981", resource_type: str = "forest") -> str:
    """A random natural-resource unit code."""
    return resource_code_for(county_code=county, resource_type=resource_type, sequence=_rng.randint(1, 999_999))


@pytest.fixture(scope="session")
def settings() -> RegistrySettings:
    """Defaults, with a zero-day 公告 so natural-resource flows complete in a test."""
    return RegistrySettings(public_notice_working_days=0)


@pytest.fixture(scope="session")
def app(settings):
    """One app for the session."""
    return create_app(settings)


@pytest.fixture(scope="session")
def registry(app):
    """The app's registry runtime."""
    return app.state.registry


@pytest.fixture
async def client(app):
    """An httpx client on the ASGI app."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def create_unit(client: httpx.AsyncClient, *, code: str | None = None, geometry: dict | None = None,
                      user: str = "registrar.xhl", **extra) -> dict:
    """Register a unit through the API and return its JSON (asserting 201)."""
    body = {"code": code or parcel_code(), "geometry": geometry or square(*random_spot()), **extra}
    resp = await client.post("/api/v1/units", json=body, headers=auth(user))
    assert resp.status_code == 201, resp.text
    return resp.json()


def new_id() -> str:
    """A fresh uuid string."""
    return str(uuid.uuid4())


def subject(username: str) -> str:
    """The Keycloak subject of a demo user."""
    import jwt

    return jwt.decode(token(username), options={"verify_signature": False})["sub"]


ZHANG_ID = "140107199001011230"  # valid check digit (GB 11643)


def holder(username: str = "citizen.zhang", *, name: str = "张三", id_number: str = ZHANG_ID, share: str | None = None,
           role: str = "holder") -> dict:
    """A party naming a demo user's account."""
    party = {"role": role, "name": name, "id_number": id_number, "subject": subject(username)}
    if share is not None:
        party["share"] = share
    return party


async def file(client: httpx.AsyncClient, *, unit_id: str, type: str, parties: list[dict], details: dict | None = None,
               user: str = "citizen.zhang", docs: bool = True, **extra) -> dict:
    """File an application and upload every required document; returns the application JSON."""
    from registry.applications.types import REQUIRED_DOCUMENTS

    body = {"type": type, "unit_id": unit_id, "parties": parties, "details": details or {}, **extra}
    resp = await client.post("/api/v1/applications", json=body, headers=auth(user))
    assert resp.status_code == 201, resp.text
    app = resp.json()
    if docs:
        for kind in REQUIRED_DOCUMENTS[type]:
            r = await client.post(f"/api/v1/applications/{app['id']}/documents", headers=auth(user),
                                  files={"file": (f"{kind}.pdf", f"%PDF-1.4 {kind} {app['id']}".encode(), "application/pdf")},
                                  data={"kind": kind})
            assert r.status_code == 201, r.text
    return app


async def step(client: httpx.AsyncClient, app_id: str, action: str, user: str, json: dict | None = None,
               expect: int = 200) -> dict:
    """POST one workflow step and check the status code."""
    resp = await client.post(f"/api/v1/applications/{app_id}/{action}", json=json, headers=auth(user))
    assert resp.status_code == expect, resp.text
    return resp.json()


async def complete(client: httpx.AsyncClient, app_id: str, *, county: str = "xhl", certificate: bool = True) -> dict:
    """受理 → 审核 → 登簿 (→ 发证) by the officials of the county."""
    await step(client, app_id, "accept", f"registrar.{county}")
    await step(client, app_id, "review", f"reviewer.{county}", {"approve": True, "opinion": "符合登记条件"})
    app = await step(client, app_id, "record", f"registrar.{county}")
    if certificate:
        app = await step(client, app_id, "certificate", f"registrar.{county}")
    return app


class Helpers:
    """Test helpers handed out as one fixture (importlib mode: tests cannot import conftest)."""

    auth = staticmethod(auth)
    square = staticmethod(square)
    random_spot = staticmethod(random_spot)
    parcel_code = staticmethod(parcel_code)
    resource_code = staticmethod(resource_code)
    create_unit = staticmethod(create_unit)
    new_id = staticmethod(new_id)
    subject = staticmethod(subject)
    holder = staticmethod(holder)
    file = staticmethod(file)
    step = staticmethod(step)
    complete = staticmethod(complete)
    ZHANG_ID = ZHANG_ID


@pytest.fixture(scope="session")
def h() -> type[Helpers]:
    """The helpers."""
    return Helpers
