"""The register book: append-only versions, as-of reads, each registration type's effect, the trade view."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from natres_platform.testing import superuser_dsn

pytestmark = pytest.mark.stack

FIRST = {"right_type": "state_construction_land_use", "land_use": "城镇住宅用地", "source": "出让"}
LI = {"name": "李四", "id_number": "11010519491231002X"}
BANK = {"role": "mortgagee", "name": "中国工商银行太原分行", "id_type": "统一社会信用代码", "id_number": "91350100M000100Y43"}


async def registered(client, h, county: str = "xhl") -> tuple[dict, dict]:
    """A unit with a current first registration held by citizen.zhang."""
    code = h.parcel_code("140107" if county == "xhl" else "140981")
    unit = await h.create_unit(client, code=code, user=f"registrar.{county}")
    app = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()], details=FIRST)
    await h.complete(client, app["id"], county=county, certificate=False)
    return unit, app


async def book(client, h, unit_id: str, **params) -> dict:
    resp = await client.get(f"/api/v1/units/{unit_id}/book", params=params, headers=h.auth("registrar.xhl"))
    assert resp.status_code == 200, resp.text
    return resp.json()


async def view_row(unit_id: str) -> dict:
    """The cross-service view, read as transactions_app reads it."""
    engine = create_async_engine(superuser_dsn().replace("postgres:postgres@", "transactions_app:transactions_app@"))
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT *, ST_SRID(geom) AS srid, GeometryType(geom) AS gtype "
                                           "FROM registry.units_for_trade WHERE id = :id"), {"id": unit_id})).mappings().one()
            return dict(row)
    finally:
        await engine.dispose()


async def test_book_rows_cannot_be_updated_or_deleted_even_by_the_owner(client, h):
    unit, _ = await registered(client, h)
    for role in ("registry_owner", "registry_app"):
        engine = create_async_engine(superuser_dsn().replace("postgres:postgres@", f"{role}:{role}@"))
        try:
            for sql in ("UPDATE registry.book_entries SET source = 'x' WHERE unit_id = :u",
                        "DELETE FROM registry.book_entries WHERE unit_id = :u"):
                with pytest.raises(Exception) as caught:
                    async with engine.begin() as conn:
                        await conn.execute(text(sql), {"u": unit["id"]})
                assert "append-only" in str(caught.value) or "permission denied" in str(caught.value)
        finally:
            await engine.dispose()


async def test_transfer_mortgage_discharge_correction_cancellation_and_as_of(client, h):
    unit, _ = await registered(client, h)
    before_transfer = datetime.now(UTC)
    await asyncio.sleep(0.01)
    transfer = await h.file(client, unit_id=unit["id"], type="transfer",
                            parties=[{"role": "holder", **LI, "share": "1"}], details={"source": "买卖"})
    await h.complete(client, transfer["id"])
    mortgage = await h.file(client, unit_id=unit["id"], type="mortgage", parties=[BANK],
                            details={"amount": "1500000.00"})
    await h.complete(client, mortgage["id"])
    second = await h.file(client, unit_id=unit["id"], type="mortgage", parties=[{**BANK, "name": "晋商银行"}],
                          details={"amount": "200000"})
    await h.complete(client, second["id"], certificate=False)
    b = await book(client, h, unit["id"])
    mortgages = [r for r in b["current"]["restrictions"] if r["kind"] == "mortgage"]
    assert [(m["rank"], m["holder"]["name"]) for m in mortgages] == [(1, "中国工商银行太原分行"), (2, "晋商银行")]
    assert b["current"]["holders"][0]["name"] == "李四" and b["current"]["holders"][0]["id_number"] == "110105********002X"

    discharge = await h.file(client, unit_id=unit["id"], type="mortgage_discharge", parties=[],
                             details={"mortgage_id": mortgages[0]["id"]})
    await h.complete(client, discharge["id"], certificate=False)
    b = await book(client, h, unit["id"])
    assert [(m["rank"], m["holder"]["name"]) for m in b["current"]["restrictions"]] == [(1, "晋商银行")]

    wrong = b["current"]
    correction = await h.file(client, unit_id=unit["id"], type="correction", parties=[],
                              details={"corrects_entry_id": wrong["id"], "corrections": {"land_use": "城镇住宅用地（更正）"}})
    await h.complete(client, correction["id"])
    b = await book(client, h, unit["id"])
    assert b["current"]["corrects_entry_id"] == wrong["id"] and b["current"]["land_use"] == "城镇住宅用地（更正）"
    states = [e["state"] for e in b["entries"]]
    assert states[-1] == "current" and set(states[:-1]) == {"historical"}

    old = await book(client, h, unit["id"], as_of=before_transfer.isoformat())
    assert old["current"]["holders"][0]["name"] == "张三" and len(old["entries"]) == 1

    cancel = await h.file(client, unit_id=unit["id"], type="cancellation", parties=[], details={"reason": "土地灭失"})
    await h.complete(client, cancel["id"], certificate=False)
    b = await book(client, h, unit["id"])
    assert b["current"]["state"] == "terminated" and b["current"]["state_label"] == "终止"


async def test_seizure_blocks_transfer_and_mortgage_and_shows_in_the_trade_view(client, h):
    unit, _ = await registered(client, h)
    seizure = await h.file(client, unit_id=unit["id"], type="seizure", parties=[], user="registrar.xhl",
                           details={"court": "太原市中级人民法院", "document_no": "(2026)晋01执123号"})
    seized = await h.complete(client, seizure["id"], certificate=False)
    assert seized["time_limit_days"] == 0
    for reg_type, parties, details in (("transfer", [{"role": "holder", **LI}], {}),
                                       ("mortgage", [BANK], {"amount": "100"})):
        body = {"type": reg_type, "unit_id": unit["id"], "parties": parties, "details": details}
        resp = await client.post("/api/v1/applications", json=body, headers=h.auth("citizen.zhang"))
        assert resp.status_code == 409 and resp.json()["code"] == "unit.restricted", resp.text
    row = await view_row(unit["id"])
    assert row["has_seizure"] is True and row["has_objection"] is False and row["status"] == "current"
    assert row["srid"] == 4490 and row["gtype"] == "MULTIPOLYGON" and row["in_trade_listing_id"] is None


async def test_citizen_cannot_file_seizure(client, h):
    unit, _ = await registered(client, h)
    body = {"type": "seizure", "unit_id": unit["id"], "details": {"court": "x", "document_no": "y"}}
    resp = await client.post("/api/v1/applications", json=body, headers=h.auth("citizen.zhang"))
    assert resp.status_code == 403


async def test_objection_and_advance_notice_lapse(client, h, registry):
    unit, _ = await registered(client, h)
    objection = await h.file(client, unit_id=unit["id"], type="objection", parties=[{"role": "applicant", **LI}],
                             details={"reason": "权属争议"}, user="citizen.zhang")
    await h.complete(client, objection["id"])
    notice = await h.file(client, unit_id=unit["id"], type="advance_notice", parties=[{"role": "holder", **LI}])
    await h.complete(client, notice["id"])
    row = await view_row(unit["id"])
    assert row["has_objection"] and row["has_advance_notice"]
    b = await book(client, h, unit["id"])
    lapses = {r["kind"]: datetime.fromisoformat(r["lapses_at"]) for r in b["current"]["restrictions"]}
    now = datetime.now(UTC)
    assert timedelta(days=14, hours=23) < lapses["objection"] - now <= timedelta(days=15)
    assert timedelta(days=89, hours=23) < lapses["advance_notice"] - now <= timedelta(days=90)
    # 16 days later the objection no longer binds; the advance notice still does
    later = await book(client, h, unit["id"])
    from registry.book.rules import active_restrictions

    kinds = {r["kind"] for r in active_restrictions(later["current"]["restrictions"], at=now + timedelta(days=16))}
    assert kinds == {"advance_notice"}
    # a transfer to someone other than the 预告 holder is refused; to the holder it goes through
    body = {"type": "transfer", "unit_id": unit["id"], "parties": [{"role": "holder", "name": "王五", "id_number": "140107199001011230"}]}
    resp = await client.post("/api/v1/applications", json=body, headers=h.auth("citizen.zhang"))
    assert resp.status_code == 409 and resp.json()["restriction"] == "advance_notice"
    ok = await h.file(client, unit_id=unit["id"], type="transfer", parties=[{"role": "holder", **LI}])
    await h.complete(client, ok["id"])
    assert not (await view_row(unit["id"]))["has_advance_notice"]


async def test_certificate_serials_are_gap_free_under_concurrent_issuance(client, h, registry):
    # 太原 districts share one sequence: their numbers all read 晋(年)太原市不动产权第…号
    apps = []
    for _ in range(5):
        unit = await h.create_unit(client)
        app = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()], details=FIRST)
        await h.complete(client, app["id"], certificate=False)
        apps.append(app["id"])
    results = await asyncio.gather(*(client.post(f"/api/v1/applications/{a}/certificate", headers=h.auth("registrar.xhl"))
                                     for a in apps))
    assert all(r.status_code == 200 for r in results), [r.text for r in results]
    async with registry.ctx.engine.connect() as conn:
        serials = [r[0] for r in await conn.execute(text(
            "SELECT serial FROM registry.certificates WHERE numbering_region = '140100' AND kind = 'right' "
            "AND year = (SELECT max(year) FROM registry.certificates) ORDER BY serial"))]
    assert serials == list(range(1, len(serials) + 1))


async def test_reading_someone_elses_record_needs_a_purpose_and_is_logged(client, h, registry):
    unit, _ = await registered(client, h)
    resp = await client.get(f"/api/v1/units/{unit['id']}/book", headers=h.auth("bidder.a"))
    assert resp.status_code == 403 and resp.json()["code"] == "query.purpose_required"
    resp = await client.get(f"/api/v1/units/{unit['id']}/book", params={"purpose": "拟购买该房产，核实权属"},
                            headers=h.auth("bidder.a"))
    assert resp.status_code == 200 and resp.json()["view_logged"] is True
    assert resp.json()["current"]["holders"][0]["id_number"] == "140107********1230"
    own = await client.get(f"/api/v1/units/{unit['id']}/book", headers=h.auth("citizen.zhang"))
    assert own.json()["view_logged"] is False
    async with registry.ctx.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT payload FROM registry.outbox WHERE key = :k AND event_type = "
                                        "'registry.record.viewed.v1'"), {"k": unit["id"]})).all()
    assert [r.payload["data"]["purpose"] for r in rows] == ["拟购买该房产，核实权属"]
    mine = (await client.get("/api/v1/book/mine", headers=h.auth("citizen.zhang"))).json()
    assert unit["code"] in [m["unit_code"] for m in mine]
    by_code = await client.get(f"/api/v1/book/by-code/{unit['code']}", headers=h.auth("registrar.xhl"))
    assert by_code.status_code == 200 and by_code.json()["purpose"] == "official:registrar"
    found = (await client.get("/api/v1/book/by-holder", params={"id_number": h.ZHANG_ID},
                              headers=h.auth("registrar.xhl"))).json()
    assert unit["code"] in [f["unit_code"] for f in found]
