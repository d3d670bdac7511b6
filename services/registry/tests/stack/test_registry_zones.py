"""域内通办: receive and accept anywhere in an enabled zone; review, record and certify only in the unit's county."""

import pytest

pytestmark = pytest.mark.stack

FIRST = {"right_type": "state_construction_land_use", "land_use": "工业用地", "source": "出让"}


async def test_in_zone_office_accepts_but_only_the_competent_office_reviews_records_and_certifies(client, h, registry):
    # A 原平市 (Xinzhou) unit accepted at 杏花岭区 (Taiyuan): both in the 太忻 pilot.
    unit = await h.create_unit(client, code=h.parcel_code("140981"), user="registrar.yp")
    app = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()], details=FIRST, receiving_office="140107")
    accepted = await h.step(client, app["id"], "accept", "registrar.xhl")
    assert accepted["receiving_office"] == "140107" and accepted["competent_office"] == "140981"

    denied = await client.post(f"/api/v1/applications/{app['id']}/review", json={"approve": True, "opinion": "ok"},
                               headers=h.auth("reviewer.xhl"))
    assert denied.status_code == 403
    body = denied.json()
    assert body["code"] == "zone.competent_office_only" and body["rule"] == "zone.competent_only" and "第七条" in body["detail"]
    await h.step(client, app["id"], "review", "reviewer.yp", {"approve": True, "opinion": "符合"})
    assert (await client.post(f"/api/v1/applications/{app['id']}/record", headers=h.auth("registrar.xhl"))).status_code == 403
    await h.step(client, app["id"], "record", "registrar.yp")
    assert (await client.post(f"/api/v1/applications/{app['id']}/certificate", headers=h.auth("registrar.xhl"))).status_code == 403
    cert = await h.step(client, app["id"], "certificate", "registrar.yp")
    verify = (await client.get(f"/verify/certificates/{cert['certificate_id']}")).json()
    assert "原平市不动产权第" in verify["number"]

    from sqlalchemy import text

    async with registry.ctx.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT payload FROM registry.outbox WHERE key = :k"), {"k": app["id"]})).all()
    assert {(r.payload["data"]["receiving_office"], r.payload["data"]["competent_office"]) for r in rows
            if r.payload["type"] != "registry.application.submitted.v1"} == {("140107", "140981")}


async def test_out_of_zone_office_cannot_accept_and_filing_to_it_is_refused(client, h):
    unit = await h.create_unit(client)  # 杏花岭区
    app = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()], details=FIRST)
    resp = await client.post(f"/api/v1/applications/{app['id']}/accept", headers=h.auth("registrar.dt"))
    assert resp.status_code == 403 and resp.json()["code"] == "zone.outside_zone" and resp.json()["rule"] == "zone.outside_zone"
    body = {"type": "first", "unit_id": unit["id"], "parties": [h.holder()], "details": FIRST, "receiving_office": "140213"}
    resp = await client.post("/api/v1/applications", json=body, headers=h.auth("citizen.zhang"))
    assert resp.status_code == 403 and resp.json()["code"] == "zone.outside_zone"


async def test_province_wide_zone_switched_on_lets_datong_accept(client, h):
    unit = await h.create_unit(client)
    app = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()], details=FIRST)
    resp = await client.put("/api/v1/zones/province", json={"enabled": True}, headers=h.auth("registrar.xhl"))
    assert resp.status_code == 403  # admin only
    try:
        resp = await client.put("/api/v1/zones/province", json={"enabled": True}, headers=h.auth("natres.admin"))
        assert resp.status_code == 200 and resp.json()["enabled"] is True
        accepted = await h.step(client, app["id"], "accept", "registrar.dt")
        assert accepted["receiving_office"] == "140213"
    finally:
        await client.put("/api/v1/zones/province", json={"enabled": False}, headers=h.auth("natres.admin"))
    zones = (await client.get("/api/v1/zones", headers=h.auth("citizen.zhang"))).json()
    assert {z["id"]: z["enabled"] for z in zones}["province"] is False


async def test_counter_filing_on_behalf_records_the_receiving_office(client, h):
    unit = await h.create_unit(client, code=h.parcel_code("140981"), user="registrar.yp")
    body = {"type": "first", "unit_id": unit["id"], "parties": [h.holder()], "details": FIRST,
            "applicant_subject": h.subject("citizen.zhang"), "applicant_name": "张三"}
    resp = await client.post("/api/v1/applications", json=body, headers=h.auth("registrar.xhl"))
    assert resp.status_code == 201, resp.text
    app = resp.json()
    assert app["channel"] == "counter" and app["receiving_office"] == "140107" and app["competent_office"] == "140981"
    # the applicant sees it too
    assert (await client.get(f"/api/v1/applications/{app['id']}", headers=h.auth("citizen.zhang"))).status_code == 200
    resp = await client.post("/api/v1/applications", json=body, headers=h.auth("registrar.dt"))
    assert resp.status_code == 403 and resp.json()["code"] == "zone.outside_zone"
