"""Objections kept by a lawsuit, cancellation ending a unit, split / merge carrying the rights."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from natres_platform.testing import superuser_dsn
from registry.admin.calendar import today_beijing
from registry.book import objections
from registry.book.rules import active_restrictions
from registry.errors import ObjectionLapsed

pytestmark = pytest.mark.stack

FIRST = {"right_type": "state_construction_land_use", "land_use": "城镇住宅用地", "source": "出让",
         "term_start": "2020-01-01", "term_end": "2089-12-31"}
LI = {"name": "李四", "id_number": "11010519491231002X"}
BANK = {"role": "mortgagee", "name": "中国工商银行太原分行", "id_type": "统一社会信用代码", "id_number": "91350100M000100Y43"}


async def registered(client, h, *, geometry: dict | None = None) -> dict:
    """A unit in 杏花岭区 with a current first registration held by citizen.zhang."""
    unit = await h.create_unit(client, geometry=geometry) if geometry else await h.create_unit(client)
    app = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()], details=FIRST)
    await h.complete(client, app["id"], certificate=False)
    return unit


async def book(client, h, unit_id: str) -> dict:
    resp = await client.get(f"/api/v1/units/{unit_id}/book", headers=h.auth("registrar.xhl"))
    assert resp.status_code == 200, resp.text
    return resp.json()


async def latest_restrictions(registry, unit_id: str) -> list[dict]:
    """The stored (unmasked, unfiltered) restrictions of a unit's newest entry."""
    async with registry.ctx.engine.connect() as conn:
        return (await conn.execute(text("SELECT restrictions FROM registry.book_entries WHERE unit_id = :u "
                                        "ORDER BY version DESC LIMIT 1"), {"u": unit_id})).scalar_one()


async def objection_on(client, h, unit: dict) -> dict:
    app = await h.file(client, unit_id=unit["id"], type="objection", parties=[{"role": "applicant", **LI}],
                       details={"reason": "权属争议"}, user="citizen.zhang")
    return await h.complete(client, app["id"])


async def test_court_acceptance_within_15_days_keeps_the_objection_after_the_lapse_date(client, h, registry):
    unit = await registered(client, h)
    objection = await objection_on(client, h, unit)
    registrar = await registry_principal(registry, "registrar.xhl")
    day10 = datetime.now(UTC) + timedelta(days=10)
    result = await objections.record_court_acceptance(
        registry=registry, application_id=objection["id"], actor=registrar, court="太原市杏花岭区人民法院",
        case_no="(2026)晋0107民初1234号", accepted_on=today_beijing(day10) - timedelta(days=1),
        filename="受理通知书.pdf", media_type="application/pdf", content=b"%PDF-1.4 notice", now=day10)
    assert "lapses_at" not in result["objection"] and result["objection"]["lawsuit"]["case_no"].endswith("1234号")
    stored = await latest_restrictions(registry, unit["id"])
    day30 = datetime.now(UTC) + timedelta(days=30)
    kept = [r for r in active_restrictions(stored, at=day30) if r["kind"] == "objection"]
    assert len(kept) == 1 and kept[0]["lawsuit"]["lapse_suspended"]
    # the notice is a document of the objection application, and the change is an event
    async with registry.ctx.engine.connect() as conn:
        kinds = (await conn.execute(text("SELECT kind FROM registry.application_documents WHERE application_id = :a"),
                                    {"a": objection["id"]})).scalars().all()
        event = (await conn.execute(text("SELECT payload FROM registry.outbox WHERE key = :k AND event_type = "
                                         "'registry.objection.lawsuit_recorded.v1'"), {"k": unit["id"]})).scalar_one()
    assert "court_acceptance_notice" in kinds and event["data"]["book_version"] == result["book_version"]
    registry.ctx.schemas.validate(event)


async def test_objection_without_a_lawsuit_lapses_and_a_late_notice_is_refused(client, h, registry):
    unit = await registered(client, h)
    objection = await objection_on(client, h, unit)
    stored = await latest_restrictions(registry, unit["id"])
    day14, day16 = (datetime.now(UTC) + timedelta(days=d) for d in (14, 16))
    assert {r["kind"] for r in active_restrictions(stored, at=day14)} == {"objection"}
    assert active_restrictions(stored, at=day16) == []
    registrar = await registry_principal(registry, "registrar.xhl")
    with pytest.raises(ObjectionLapsed):
        await objections.record_court_acceptance(
            registry=registry, application_id=objection["id"], actor=registrar, court="法院", case_no="(2026)1号",
            accepted_on=today_beijing(day14), filename="n.pdf", media_type="application/pdf", content=b"x", now=day16)


async def test_court_acceptance_over_http_by_the_competent_registrar_only(client, h):
    unit = await registered(client, h)
    objection = await objection_on(client, h, unit)
    form = {"court": "太原市杏花岭区人民法院", "case_no": "(2026)晋0107民初9号", "accepted_on": today_beijing().isoformat()}
    files = {"file": ("受理通知书.pdf", b"%PDF-1.4 notice", "application/pdf")}
    url = f"/api/v1/applications/{objection['id']}/court-acceptance"
    resp = await client.post(url, data=form, files=files, headers=h.auth("registrar.yp"))
    assert resp.status_code == 403, resp.text
    resp = await client.post(url, data=form, files=files, headers=h.auth("registrar.xhl"))
    assert resp.status_code == 200, resp.text
    current = (await book(client, h, unit["id"]))["current"]
    kept = next(r for r in current["restrictions"] if r["kind"] == "objection")
    assert kept["lawsuit"]["court"] == "太原市杏花岭区人民法院" and "lapses_at" not in kept
    again = await client.post(url, data=form, files=files, headers=h.auth("registrar.xhl"))
    assert again.status_code == 409


async def test_cancellation_ends_the_unit_and_only_correction_may_follow(client, h):
    unit = await registered(client, h)
    cancel = await h.file(client, unit_id=unit["id"], type="cancellation", parties=[], details={"reason": "土地灭失"})
    await h.complete(client, cancel["id"], certificate=False)
    row = await trade_view(unit["id"])
    assert row["status"] == "cancelled"
    body = {"type": "transfer", "unit_id": unit["id"], "parties": [{"role": "holder", **LI}]}
    resp = await client.post("/api/v1/applications", json=body, headers=h.auth("citizen.zhang"))
    assert resp.status_code == 409 and resp.json()["code"] == "unit.cancelled" and resp.json()["allowed_types"] == ["correction"]
    correction = await h.file(client, unit_id=unit["id"], type="correction", parties=[],
                              details={"corrections": {"source": "出让（更正）"}})
    await h.complete(client, correction["id"], certificate=False)
    current = (await book(client, h, unit["id"]))["current"]
    assert current["state"] == "terminated" and current["source"] == "出让（更正）"
    assert (await trade_view(unit["id"]))["status"] == "cancelled"
    items = (await client.get(f"/ogc/collections/parcels/items/{unit['id']}")).status_code
    assert items == 404  # off the map of current units


async def test_split_carries_holders_and_restrictions_into_the_childrens_first_entries(client, h):
    lon, lat = h.random_spot()
    unit = await registered(client, h, geometry=h.square(lon, lat, 0.002))
    mortgage = await h.file(client, unit_id=unit["id"], type="mortgage", parties=[BANK], details={"amount": "900000"})
    await h.complete(client, mortgage["id"])
    halves = [{"code": h.parcel_code(), "geometry": rect(lon, lat, lon + 0.001, lat + 0.002)},
              {"code": h.parcel_code(), "geometry": rect(lon + 0.001, lat, lon + 0.002, lat + 0.002)}]
    resp = await client.post(f"/api/v1/units/{unit['id']}/split", json={"children": halves}, headers=h.auth("registrar.xhl"))
    assert resp.status_code == 201, resp.text
    parent_book = await book(client, h, unit["id"])
    assert parent_book["current"]["state"] == "terminated"
    assert sorted(parent_book["current"]["details"]["lineage"]["child_ids"]) == sorted(c["id"] for c in resp.json())
    for child in resp.json():
        first = await book(client, h, child["id"])
        entry = first["current"]
        assert [e["version"] for e in first["entries"]] == [1] and entry["state"] == "current"
        assert entry["holders"][0]["name"] == "张三" and entry["right_type"] == FIRST["right_type"]
        assert entry["term_end"] == "2089-12-31" and entry["registration_type"] == "split"
        assert [r["kind"] for r in entry["restrictions"]] == ["mortgage"]
        assert entry["details"]["lineage"]["parent_ids"] == [unit["id"]]


async def test_merge_carries_agreeing_rights_and_refuses_differing_holders(client, h):
    lon, lat = h.random_spot()
    a = await registered(client, h, geometry=rect(lon, lat, lon + 0.001, lat + 0.001))
    b = await registered(client, h, geometry=rect(lon + 0.001, lat, lon + 0.002, lat + 0.001))
    child = {"code": h.parcel_code(), "geometry": rect(lon, lat, lon + 0.002, lat + 0.001)}
    resp = await client.post("/api/v1/units/merge", json={"parent_ids": [a["id"], b["id"]], "child": child},
                             headers=h.auth("registrar.xhl"))
    assert resp.status_code == 201, resp.text
    merged = (await book(client, h, resp.json()["id"]))["current"]
    assert merged["holders"][0]["name"] == "张三" and sorted(merged["details"]["lineage"]["parent_ids"]) == sorted([a["id"], b["id"]])

    c = await registered(client, h, geometry=rect(lon, lat + 0.002, lon + 0.001, lat + 0.003))
    d = await registered(client, h, geometry=rect(lon + 0.001, lat + 0.002, lon + 0.002, lat + 0.003))
    transfer = await h.file(client, unit_id=d["id"], type="transfer", parties=[{"role": "holder", **LI}])
    await h.complete(client, transfer["id"], certificate=False)
    child = {"code": h.parcel_code(), "geometry": rect(lon, lat + 0.002, lon + 0.002, lat + 0.003)}
    resp = await client.post("/api/v1/units/merge", json={"parent_ids": [c["id"], d["id"]], "child": child},
                             headers=h.auth("registrar.xhl"))
    assert resp.status_code == 409 and resp.json()["code"] == "unit.merge_rights_differ"
    assert "holders" in resp.json()["differing"]
    assert (await trade_view(c["id"]))["status"] == "current"  # nothing happened


async def test_a_seized_unit_cannot_be_split(client, h):
    lon, lat = h.random_spot()
    unit = await registered(client, h, geometry=h.square(lon, lat, 0.002))
    seizure = await h.file(client, unit_id=unit["id"], type="seizure", parties=[], user="registrar.xhl",
                           details={"court": "太原市中级人民法院", "document_no": "(2026)晋01执1号"})
    await h.complete(client, seizure["id"], certificate=False)
    halves = [{"code": h.parcel_code(), "geometry": rect(lon, lat, lon + 0.001, lat + 0.002)},
              {"code": h.parcel_code(), "geometry": rect(lon + 0.001, lat, lon + 0.002, lat + 0.002)}]
    resp = await client.post(f"/api/v1/units/{unit['id']}/split", json={"children": halves}, headers=h.auth("registrar.xhl"))
    assert resp.status_code == 409 and resp.json()["code"] == "unit.restricted"


def rect(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


async def registry_principal(registry, username: str):
    """The Principal the service would build from the user's real token."""
    from natres_platform.testing import password_token

    return await registry.ctx.verifier.verify(password_token(username))


async def trade_view(unit_id: str) -> dict:
    """registry.units_for_trade, read as transactions_app reads it."""
    engine = create_async_engine(superuser_dsn().replace("postgres:postgres@", "transactions_app:transactions_app@"))
    try:
        async with engine.connect() as conn:
            return dict((await conn.execute(text("SELECT * FROM registry.units_for_trade WHERE id = :id"),
                                            {"id": unit_id})).mappings().one())
    finally:
        await engine.dispose()
