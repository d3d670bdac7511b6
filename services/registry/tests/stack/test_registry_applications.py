"""Applications from filing to certificate: 受理 / 一次性告知, 审核, 登簿, 发证, withdrawal, refusal, deadlines."""

import asyncio
import os
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

pytestmark = pytest.mark.stack

FIRST = {"right_type": "state_construction_land_use", "land_use": "城镇住宅用地", "term_start": "2026-01-01",
         "term_end": "2095-12-31", "source": "出让"}


async def test_first_registration_end_to_end_with_certificate_and_verification(client, h, registry):
    unit = await h.create_unit(client)
    app = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()], details=FIRST)
    assert app["status"] == "submitted" and app["channel"] == "online" and app["parties"][0]["id_number"] == "140107********1230"
    accepted = await h.step(client, app["id"], "accept", "registrar.xhl")
    assert accepted["deadline"] and accepted["time_limit_days"] == 30
    await h.step(client, accepted["id"], "review", "reviewer.xhl", {"approve": True, "opinion": "符合"})
    recorded = await h.step(client, accepted["id"], "record", "registrar.xhl")
    assert recorded["status"] == "recorded" and recorded["book_entry_id"]
    certified = await h.step(client, accepted["id"], "certificate", "registrar.xhl")
    assert certified["status"] == "certified"

    verify = (await client.get(f"/verify/certificates/{certified['certificate_id']}")).json()
    assert verify["signature"]["valid"] is True
    assert verify["book"]["certificate_matches_current_book"] is True
    assert verify["number"].startswith("晋(") and "太原市不动产权第" in verify["number"]
    assert verify["payload"]["holders"][0]["id_number"] == "140107********1230"
    # The audit part is checked on its own below (it needs the running relay and audit workers).
    assert verify["audit"]["event_id"]
    by_number = await client.get(f"/verify/certificates/{verify['number']}")
    assert by_number.status_code == 200 and by_number.json()["certificate_id"] == certified["certificate_id"]

    pdf = await client.get(f"/api/v1/certificates/{certified['certificate_id']}/pdf", headers=h.auth("citizen.zhang"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    from pypdf import PdfReader
    import io

    assert verify["number"] in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    # the QR code carries the verification URL
    from registry.certificates.render import qr_png

    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "qr.png"
        png.write_bytes(qr_png(verify["payload"]["verification_url"]))
        out = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith(f"/verify/certificates/{certified['certificate_id']}")

    book = (await client.get(f"/api/v1/units/{unit['id']}/book", headers=h.auth("citizen.zhang"))).json()
    assert book["current"]["state"] == "current" and book["view_logged"] is False
    assert book["current"]["holders"][0]["id_number"] == "140107********1230"
    assert book["current"]["right_type"] == "state_construction_land_use"

    async with registry.ctx.engine.connect() as conn:
        types = (await conn.execute(text("SELECT event_type, payload FROM registry.outbox WHERE key = :k ORDER BY id"),
                                    {"k": accepted["id"]})).all()
    steps = [t.event_type.split(".")[2] for t in types]
    assert steps[0] == "submitted" and steps[-4:] == ["accepted", "reviewed", "recorded", "certificate_issued"]
    assert all(t.payload["data"]["competent_office"] == "140107" for t in types)


async def test_incomplete_filing_is_refused_with_one_complete_list_then_resubmitted(client, h):
    unit = await h.create_unit(client)
    app = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()], details=FIRST, docs=False)
    r = await client.post(f"/api/v1/applications/{app['id']}/documents", headers=h.auth("citizen.zhang"),
                          files={"file": ("id.png", b"\x89PNG id", "image/png")}, data={"kind": "identity"})
    assert r.status_code == 201 and len(r.json()["sha256"]) == 64
    resp = await client.post(f"/api/v1/applications/{app['id']}/accept", headers=h.auth("registrar.xhl"))
    assert resp.status_code == 409 and resp.json()["code"] == "application.incomplete"
    refused = await h.step(client, app["id"], "refuse-acceptance", "registrar.xhl",
                           {"missing_items": ["申请书未签字"], "note": "请补正后重新提交"})
    items = [i["item"] for i in refused["missing_items"]]
    assert refused["status"] == "refused_acceptance" and items == ["ownership_source", "survey_report", "officer_note"]
    for kind in ("ownership_source", "survey_report"):
        r = await client.post(f"/api/v1/applications/{app['id']}/documents", headers=h.auth("citizen.zhang"),
                              files={"file": (f"{kind}.pdf", b"%PDF x", "application/pdf")}, data={"kind": kind})
        assert r.status_code == 201
    assert (await h.step(client, app["id"], "resubmit", "citizen.zhang"))["status"] == "submitted"
    assert (await h.step(client, app["id"], "accept", "registrar.xhl"))["status"] == "accepted"


async def test_shares_must_sum_to_one(client, h):
    unit = await h.create_unit(client)
    body = {"type": "first", "unit_id": unit["id"], "details": FIRST,
            "parties": [h.holder(share="0.5"), h.holder(name="李四", id_number="11010519491231002X", share="0.4")]}
    resp = await client.post("/api/v1/applications", json=body, headers=h.auth("citizen.zhang"))
    assert resp.status_code == 422 and resp.json()["code"] == "application.shares_invalid"
    body["parties"][1]["share"] = "0.5"
    assert (await client.post("/api/v1/applications", json=body, headers=h.auth("citizen.zhang"))).status_code == 201


async def test_withdraw_before_recording_and_not_after(client, h):
    unit = await h.create_unit(client)
    app = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()], details=FIRST)
    await h.step(client, app["id"], "accept", "registrar.xhl")
    withdrawn = await h.step(client, app["id"], "withdraw", "citizen.zhang", {"reason": "不再办理"})
    assert withdrawn["status"] == "withdrawn"
    other = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()], details=FIRST)
    await h.complete(client, other["id"], certificate=False)
    resp = await client.post(f"/api/v1/applications/{other['id']}/withdraw", json={}, headers=h.auth("citizen.zhang"))
    assert resp.status_code == 409 and resp.json()["code"] == "application.state_conflict"


async def test_refusal_with_reasons_by_reviewer(client, h):
    unit = await h.create_unit(client)
    app = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()], details=FIRST)
    await h.step(client, app["id"], "accept", "registrar.xhl")
    refused = await h.step(client, app["id"], "review", "reviewer.xhl",
                           {"approve": False, "opinion": "权属来源不清", "reasons": ["权属有争议"]})
    assert refused["status"] == "refused" and refused["refusal_reasons"] == ["权属有争议"]


async def test_reviewer_must_not_be_the_acceptor(client, h, registry):
    from natres_platform.auth import Principal
    from registry.applications import workflow
    from registry.errors import SameOfficerForbidden

    unit = await h.create_unit(client)
    app = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()], details=FIRST)
    accepted = await h.step(client, app["id"], "accept", "registrar.xhl")
    both = Principal(subject=accepted["accepted_by"], roles=frozenset({"registrar", "reviewer"}), region="140107")
    with pytest.raises(SameOfficerForbidden):
        await workflow.review(registry=registry, application_id=app["id"], actor=both, approve=True, opinion="x", reasons=[])


async def test_other_people_cannot_see_an_application(client, h):
    unit = await h.create_unit(client)
    app = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()], details=FIRST, docs=False)
    resp = await client.get(f"/api/v1/applications/{app['id']}", headers=h.auth("bidder.a"))
    assert resp.status_code == 403 and resp.json()["code"] == "application.not_yours"
    assert (await client.get(f"/api/v1/applications/{app['id']}", headers=h.auth("registrar.xhl"))).status_code == 200


async def test_overdue_applications_are_listed(client, h):
    from sqlalchemy.ext.asyncio import create_async_engine

    from natres_platform.testing import superuser_dsn

    unit = await h.create_unit(client)
    app = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()], details=FIRST)
    await h.step(client, app["id"], "accept", "registrar.xhl")
    engine = create_async_engine(superuser_dsn())
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE registry.applications SET deadline = DATE '2026-01-05' WHERE id = :id"), {"id": app["id"]})
    await engine.dispose()
    overdue = (await client.get("/api/v1/applications/overdue", headers=h.auth("registrar.xhl"))).json()
    assert app["id"] in [a["id"] for a in overdue]
    assert app["id"] not in [a["id"] for a in (await client.get("/api/v1/applications/overdue", headers=h.auth("registrar.yp"))).json()]


async def test_certificate_verification_shows_a_verified_audit_inclusion_proof(client, h):
    """Registry → outbox → Kafka → audit log → checkpoint → proof re-checked by the registry (workers of ./natres up)."""
    unit = await h.create_unit(client)
    app = await h.file(client, unit_id=unit["id"], type="first", parties=[h.holder()], details=FIRST)
    certified = await h.complete(client, app["id"])
    audit_url = os.environ.get("REGISTRY_AUDIT_URL", "http://127.0.0.1:8003")
    deadline = time.monotonic() + 90
    while True:
        verify = (await client.get(f"/verify/certificates/{certified['certificate_id']}")).json()
        if verify["audit"]["status"] == "included":
            break
        assert verify["audit"]["status"] in ("pending", "unverified"), verify["audit"]
        assert time.monotonic() < deadline, f"issuance event never proven in the audit log: {verify['audit']}"
        if verify["audit"]["status"] == "unverified":  # in the log, not yet under a checkpoint: publish one
            async with httpx.AsyncClient(timeout=10) as audit:
                await audit.post(f"{audit_url}/api/v1/audit/checkpoints", headers=h.auth("auditor.wang"))
        await asyncio.sleep(1)
    proof = verify["audit"]
    assert proof["leaf_hash_matches_event"] is True and proof["proof_verifies_against_checkpoint"] is True
    assert proof["checkpoint"].startswith("natres.shanxi/audit\n") and "\n\n— " in proof["checkpoint"]
