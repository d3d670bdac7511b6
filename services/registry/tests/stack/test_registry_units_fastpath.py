"""POST /api/v1/units answered before FastAPI's router (units/fastpath.py) answers exactly as the route."""

from __future__ import annotations

import httpx
import pytest

from registry.main import create_app
from registry.settings import RegistrySettings

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
async def route_only():
    application = create_app(RegistrySettings(unit_fast_path=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://test") as c:
        yield c
    await application.state.registry.close()


# What differs between two otherwise equal answers: the new unit's identity, the trace, the other unit.
_VOLATILE = {201: ("id", "code", "created_at", "name", "geometry", "area_m2"), None: ("trace_id", "instance", "other_unit_id",
                                                             "other_unit_code", "detail")}


def _comparable(response: httpx.Response) -> tuple:
    body = response.json()
    if isinstance(body, dict):
        for key in _VOLATILE[201 if response.status_code == 201 else None]:
            body.pop(key, None)
    return response.status_code, response.headers["content-type"], response.headers.get("www-authenticate"), body


async def test_fast_path_answers_as_the_route(client, route_only, h):
    lon, lat = h.random_spot()
    bowtie = {"type": "Polygon", "coordinates": [[[lon, lat], [lon + 0.001, lat + 0.001], [lon + 0.001, lat],
                                                   [lon, lat + 0.001], [lon, lat]]]}
    cases = [
        ("registrar.xhl", lambda dx: {"code": h.parcel_code(), "geometry": h.square(lon + dx, lat, 0.001)}),  # 201
        ("registrar.xhl", lambda dx: {"code": h.parcel_code(), "geometry": h.square(lon + dx + 0.0005, lat, 0.001)}),  # 409
        ("registrar.xhl", lambda dx: {"code": h.parcel_code(), "geometry": bowtie}),                       # 422 reason
        ("registrar.xhl", lambda dx: {"code": h.parcel_code(), "geometry": h.square(116.4, 39.9)}),       # outside
        ("registrar.xhl", lambda dx: {"code": "1401070030", "geometry": h.square(lon, lat)}),              # bad code
        ("registrar.dt", lambda dx: {"code": h.parcel_code(), "geometry": h.square(lon + dx, lat + 0.01)}),  # county
        ("registrar.xhl", lambda dx: {"code": h.parcel_code(), "geometry": {"type": "Point",
                                                                            "coordinates": [lon, lat]}}),  # 422 body
        ("registrar.xhl", lambda dx: {"code": h.parcel_code()}),                                          # missing
        ("citizen.zhang", lambda dx: {"code": h.parcel_code(), "geometry": h.square(lon + dx, lat + 0.02)}),  # role
        (None, lambda dx: {"code": h.parcel_code(), "geometry": h.square(lon + dx, lat + 0.03)}),           # 401
    ]
    before = _fast_path_counts((await client.get("/metrics")).text)
    for user, payload in cases:
        headers = h.auth(user) if user else {}
        # each side registers its own square (dx apart) so a 201 on one is not a 409 on the other
        fast = await client.post("/api/v1/units", json=payload(0.003), headers=headers)
        slow = await route_only.post("/api/v1/units", json=payload(0.006), headers=headers)
        assert _comparable(fast) == _comparable(slow), (user, fast.text, slow.text)
    assert fast.status_code == 401
    after = _fast_path_counts((await client.get("/metrics")).text)
    # six answered in front of FastAPI (201, 409, three 422 from the database or the code rules, the county's 403);
    # four passed to the route (the malformed bodies, the citizen, the missing token)
    assert (after[0] - before[0], after[1] - before[1]) == (6, 4)


def _fast_path_counts(metrics: str) -> tuple[float, float]:
    values = {}
    for line in metrics.splitlines():
        if line.startswith('http_fast_path_total{handler="/api/v1/units"'):
            values["answered" if 'outcome="answered"' in line else "passed"] = float(line.rsplit(" ", 1)[1])
    return values.get("answered", 0.0), values.get("passed", 0.0)


async def test_fast_path_registrations_are_counted_under_the_route(client, h):
    label = 'http_requests_total{handler="/api/v1/units",method="POST",status="2xx"}'

    def count(metrics: str) -> float:
        return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith(label))

    before = count((await client.get("/metrics")).text)
    await h.create_unit(client, geometry=h.square(*h.random_spot()))
    assert count((await client.get("/metrics")).text) == before + 1
