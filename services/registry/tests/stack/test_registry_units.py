"""Units: codes, geometry validation, province check, interior-overlap rule and its serialisation."""

import asyncio

import pytest

pytestmark = pytest.mark.stack


async def test_register_parcel_computes_geodesic_area_and_emits_event(client, h, registry):
    lon, lat = h.random_spot()
    unit = await h.create_unit(client, geometry=h.square(lon, lat, 0.001), name="测试宗地")
    assert unit["status"] == "current" and unit["family"] == "real_estate" and unit["layer"] == "parcel"
    # 0.001° square near 36°N: about 111 m × 90 m
    assert 9_000 < float(unit["area_m2"]) < 11_000
    async with registry.ctx.engine.connect() as conn:
        from sqlalchemy import text

        row = (await conn.execute(text("SELECT event_type, payload FROM registry.outbox WHERE key = :k"),
                                  {"k": unit["id"]})).one()
    assert row.event_type == "registry.unit.registered.v1" and row.payload["data"]["code"] == unit["code"]


async def test_self_intersecting_geometry_is_refused_with_postgis_reason(client, h):
    lon, lat = h.random_spot()
    bowtie = {"type": "Polygon", "coordinates": [[[lon, lat], [lon + 0.001, lat + 0.001], [lon + 0.001, lat],
                                                   [lon, lat + 0.001], [lon, lat]]]}
    resp = await client.post("/api/v1/units", json={"code": h.parcel_code(), "geometry": bowtie}, headers=h.auth("registrar.xhl"))
    assert resp.status_code == 422 and resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["code"] == "unit.geometry_invalid" and "Self-intersection" in body["reason"]


async def test_geometry_outside_shanxi_is_refused(client, h):
    resp = await client.post("/api/v1/units", json={"code": h.parcel_code(), "geometry": h.square(116.4, 39.9)},
                             headers=h.auth("registrar.xhl"))
    assert resp.status_code == 422 and resp.json()["code"] == "unit.outside_province"


async def test_bad_code_and_unknown_county_are_refused(client, h):
    resp = await client.post("/api/v1/units", json={"code": "1401070030", "geometry": h.square(*h.random_spot())},
                             headers=h.auth("registrar.xhl"))
    assert resp.status_code == 422 and resp.json()["code"] == "unit.code_invalid"
    code = "320684413219GB00029W00000000"  # a Jiangsu county
    resp = await client.post("/api/v1/units", json={"code": code, "geometry": h.square(*h.random_spot())},
                             headers=h.auth("natres.admin"))
    assert resp.status_code == 422 and resp.json()["code"] == "unit.county_unknown"


async def test_interior_overlap_is_refused_naming_the_other_unit_but_touching_is_fine(client, h):
    lon, lat = h.random_spot()
    first = await h.create_unit(client, geometry=h.square(lon, lat, 0.001))
    resp = await client.post("/api/v1/units", json={"code": h.parcel_code(), "geometry": h.square(lon + 0.0005, lat + 0.0005, 0.001)},
                             headers=h.auth("registrar.xhl"))
    assert resp.status_code == 409
    body = resp.json()
    assert body["code"] == "unit.overlap" and body["other_unit_id"] == first["id"] and first["code"] in body["detail"]
    # sharing an edge, and a bbox that overlaps without the shapes overlapping, are both fine
    await h.create_unit(client, geometry=h.square(lon + 0.001, lat, 0.001))
    triangle = {"type": "Polygon", "coordinates": [[[lon - 0.0002, lat + 0.0012], [lon + 0.0004, lat + 0.0012],
                                                     [lon - 0.0002, lat + 0.0018], [lon - 0.0002, lat + 0.0012]]]}
    await h.create_unit(client, geometry=triangle)


async def test_other_layers_and_same_parcel_units_may_overlap(client, h):
    lon, lat = h.random_spot()
    parcel = await h.create_unit(client, geometry=h.square(lon, lat, 0.001))
    # a building unit on the same 宗地 (same first 19 characters) shares the land
    room = parcel["code"][:19] + "F00010002"
    await h.create_unit(client, code=room, geometry=h.square(lon, lat, 0.001))
    # a mineral reserve below the parcel lies in another layer
    await h.create_unit(client, code=h.resource_code("140107", "mineral_reserve"), geometry=h.square(lon - 0.001, lat - 0.001, 0.003))


async def test_concurrent_overlapping_registrations_exactly_one_wins(client, h):
    lon, lat = h.random_spot()

    async def attempt(i: int):
        body = {"code": h.parcel_code(), "geometry": h.square(lon + i * 0.0001, lat + i * 0.0001, 0.001)}
        return await client.post("/api/v1/units", json=body, headers=h.auth("registrar.xhl"))

    results = await asyncio.gather(*(attempt(i) for i in range(6)))
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 409, 409, 409, 409, 409], [r.text for r in results]


async def test_registrar_of_another_county_cannot_register_unit(client, h):
    resp = await client.post("/api/v1/units", json={"code": h.parcel_code("140981"), "geometry": h.square(*h.random_spot())},
                             headers=h.auth("registrar.xhl"))
    assert resp.status_code == 403 and resp.json()["code"] == "zone.competent_office_only"


async def test_find_by_point_and_bbox(client, h):
    lon, lat = h.random_spot()
    unit = await h.create_unit(client, geometry=h.square(lon, lat, 0.001))
    resp = await client.get(f"/api/v1/units?point={lon + 0.0005},{lat + 0.0005}", headers=h.auth("citizen.zhang"))
    assert resp.status_code == 200 and unit["id"] in [u["id"] for u in resp.json()]
    resp = await client.get(f"/api/v1/units?bbox={lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}", headers=h.auth("citizen.zhang"))
    assert unit["id"] in [u["id"] for u in resp.json()]


async def test_split_keeps_lineage(client, h):
    lon, lat = h.random_spot()
    parent = await h.create_unit(client, geometry=h.square(lon, lat, 0.002))
    children = [{"code": h.parcel_code(), "geometry": {"type": "Polygon", "coordinates": [[[lon, lat], [lon + 0.001, lat], [lon + 0.001, lat + 0.002], [lon, lat + 0.002], [lon, lat]]]}},
                {"code": h.parcel_code(), "geometry": {"type": "Polygon", "coordinates": [[[lon + 0.001, lat], [lon + 0.002, lat], [lon + 0.002, lat + 0.002], [lon + 0.001, lat + 0.002], [lon + 0.001, lat]]]}}]
    resp = await client.post(f"/api/v1/units/{parent['id']}/split", json={"children": children}, headers=h.auth("registrar.xhl"))
    assert resp.status_code == 201, resp.text
    kids = resp.json()
    resp = await client.get(f"/api/v1/units/{parent['id']}/lineage", headers=h.auth("registrar.xhl"))
    assert sorted(c["id"] for c in resp.json()["children"]) == sorted(k["id"] for k in kids)
    assert (await client.get(f"/api/v1/units/{parent['id']}", headers=h.auth("registrar.xhl"))).json()["status"] == "historical"
