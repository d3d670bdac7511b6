"""Registration in one database call: survey batches all or nothing, the outbox contract, the map change log."""

import asyncio

import pytest
from sqlalchemy import text

from registry.maps.cache import TileCache

pytestmark = pytest.mark.stack


def rect(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


async def count_codes(registry, codes: list[str]) -> int:
    async with registry.ctx.engine.connect() as conn:
        return (await conn.execute(text("SELECT count(*) FROM registry.units WHERE code = ANY(:c)"),
                                   {"c": codes})).scalar_one()


async def test_a_survey_batch_registers_every_unit_with_its_event(client, h, registry):
    lon, lat = h.random_spot()
    units = [{"code": h.parcel_code(), "geometry": rect(lon + i * 0.001, lat, lon + (i + 1) * 0.001, lat + 0.001)}
             for i in range(5)]
    resp = await client.post("/api/v1/units/batch", json={"units": units}, headers=h.auth("registrar.xhl"))
    assert resp.status_code == 201, resp.text
    made = resp.json()
    assert [u["code"] for u in made] == [u["code"] for u in units] and all(u["status"] == "current" for u in made)
    async with registry.ctx.engine.connect() as conn:
        payloads = (await conn.execute(text("SELECT payload FROM registry.outbox WHERE key = ANY(:k) "
                                            "AND event_type = 'registry.unit.registered.v1'"),
                                       {"k": [u["id"] for u in made]})).scalars().all()
    assert len(payloads) == 5
    for payload in payloads:  # the area and control lines filled in by the database keep the contract
        registry.ctx.schemas.validate(payload)
        assert float(payload["data"]["area_m2"]) > 8000


async def test_a_batch_with_refused_units_registers_none_and_lists_each_refusal(client, h, registry):
    lon, lat = h.random_spot()
    existing = await h.create_unit(client, geometry=rect(lon, lat, lon + 0.001, lat + 0.001))
    bowtie = {"type": "Polygon", "coordinates": [[[lon + 0.003, lat], [lon + 0.004, lat + 0.001], [lon + 0.004, lat],
                                                   [lon + 0.003, lat + 0.001], [lon + 0.003, lat]]]}
    units = [
        {"code": h.parcel_code(), "geometry": rect(lon + 0.0005, lat, lon + 0.0015, lat + 0.001)},  # overlaps existing
        {"code": h.parcel_code(), "geometry": rect(lon + 0.005, lat, lon + 0.006, lat + 0.001)},  # fine
        {"code": h.parcel_code(), "geometry": rect(lon + 0.0055, lat, lon + 0.0065, lat + 0.001)},  # overlaps item 1
        {"code": h.parcel_code(), "geometry": bowtie},
        {"code": existing["code"], "geometry": rect(lon + 0.008, lat, lon + 0.009, lat + 0.001)},  # code taken
    ]
    resp = await client.post("/api/v1/units/batch", json={"units": units}, headers=h.auth("registrar.xhl"))
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert body["code"] == "unit.batch_rejected"
    problems = {item["index"]: item for item in body["items"]}
    assert set(problems) == {0, 2, 3, 4}
    assert problems[0]["code"] == "unit.overlap" and problems[0]["other_unit_id"] == existing["id"]
    assert problems[2]["code"] == "unit.overlap" and problems[2]["other_index"] == 1
    assert problems[3]["code"] == "unit.geometry_invalid" and "Self-intersection" in problems[3]["reason"]
    assert problems[4]["code"] == "unit.code_taken"
    assert await count_codes(registry, [u["code"] for u in units[:4]]) == 0


async def test_a_registrar_cannot_import_units_of_another_county(client, h):
    units = [{"code": h.parcel_code("140981"), "geometry": h.square(*h.random_spot())}]
    resp = await client.post("/api/v1/units/batch", json={"units": units}, headers=h.auth("registrar.xhl"))
    assert resp.status_code == 403


async def test_another_process_cache_drops_only_the_tiles_under_a_new_unit(client, h, registry, settings):
    """A second cache (as in another worker) follows registry.map_changes."""
    dsn = settings.database_url(driver="asyncpg").replace("postgresql+asyncpg", "postgresql")
    other = TileCache(max_entries=100, ttl_seconds=300, dsn=dsn, poll_seconds=0.05)
    other.follow_changes()
    try:
        for _ in range(100):
            if other.listening:
                break
            await asyncio.sleep(0.05)
        lon, lat = h.random_spot()
        from registry.maps.cache import tile_range

        x0, _, y0, _ = tile_range((lon + 0.0004, lat + 0.0004, lon + 0.0004, lat + 0.0004), 15)
        here, far = ("parcels", 15, x0, y0), ("parcels", 15, x0 + 50, y0)
        lines = ("control_lines", 15, x0, y0)
        for key in (here, far, lines):
            other.put(key, b"old", generation=other.generation)
        assert other.get(here) is not None
        await h.create_unit(client, geometry=rect(lon, lat, lon + 0.0008, lat + 0.0008))
        for _ in range(100):
            if other.get(here) is None:
                break
            await asyncio.sleep(0.05)
        assert other.get(here) is None and other.get(far) is not None and other.get(lines) is not None
    finally:
        await other.close()


async def test_single_registrations_sent_together_behave_as_if_one_by_one(client, h, registry):
    from natres_platform.testing import password_token
    from registry.errors import UnitOverlap
    from registry.units.registration import plan
    from registry.units.schemas import UnitCreate

    actor = await registry.ctx.verifier.verify(password_token("registrar.xhl"))
    lon, lat = h.random_spot()
    bodies = [{"code": h.parcel_code(), "geometry": rect(lon, lat, lon + 0.001, lat + 0.001)},
              {"code": h.parcel_code(), "geometry": rect(lon + 0.0005, lat, lon + 0.0015, lat + 0.001)},  # overlaps 0
              {"code": h.parcel_code(), "geometry": rect(lon + 0.002, lat, lon + 0.003, lat + 0.001)}]
    planned = [plan([UnitCreate.model_validate(b)], regions=registry.regions, schemas=registry.ctx.schemas,
                    actor=actor)[0] for b in bodies]
    outcomes = await asyncio.gather(*(registry.registrations.register(p) for p in planned), return_exceptions=True)
    assert outcomes[0]["id"] == planned[0].id and outcomes[2]["id"] == planned[2].id
    assert isinstance(outcomes[1], UnitOverlap) and outcomes[1].extensions["other_unit_id"] == planned[0].id

    # A group the database refuses as a whole (say a code registered meanwhile by another process)
    # is retried unit by unit, so one registration's failure is never another's.
    real_call = registry.registrations._call
    calls = []

    async def refuse_groups(group):
        calls.append(len(group))
        if len(group) > 1:
            raise RuntimeError("as if a unique index refused one of them")
        return await real_call(group)

    lon, lat = h.random_spot()
    planned = [plan([UnitCreate.model_validate({"code": h.parcel_code(), "geometry": rect(
        lon + i * 0.002, lat, lon + i * 0.002 + 0.001, lat + 0.001)})], regions=registry.regions,
        schemas=registry.ctx.schemas, actor=actor)[0] for i in range(3)]
    registry.registrations._call = refuse_groups
    try:
        outcomes = await asyncio.gather(*(registry.registrations.register(p) for p in planned))
    finally:
        registry.registrations._call = real_call
    assert [o["id"] for o in outcomes] == [p.id for p in planned] and max(calls) > 1 and calls.count(1) >= 3


async def test_infinite_coordinates_are_refused_not_a_server_error(client, h):
    lon, lat = h.random_spot()
    body = ('{"code": "%s", "geometry": {"type": "Polygon", "coordinates": [[[%f, %f], [Infinity, %f], '
            '[%f, %f], [%f, %f]]]}}') % (h.parcel_code(), lon, lat, lat, lon, lat + 0.001, lon, lat)
    resp = await client.post("/api/v1/units", content=body, headers={**h.auth("registrar.xhl"),
                                                                     "Content-Type": "application/json"})
    assert resp.status_code == 422, resp.text
