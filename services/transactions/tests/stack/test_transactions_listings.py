"""Listings through the API: rules at creation, the unit check, secrecy of the reserve, revisions, states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.stack


async def test_create_listing_keeps_draft_hides_reserve_and_records_event(world):
    unit_id = await world.unit()
    r = await world.client.post("/api/v1/listings", json=world.terms(unit_id=unit_id), headers=world.h("trader.admin"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["state"] == "draft" and body["revision"] == 1
    assert body["secret_reserve_price"] == "1050000.00" and body["start_price"] == "1000000.00"
    public = (await world.client.get(f"/api/v1/listings/{body['id']}")).json()
    assert public["reserve_price"] is None and "secret_reserve_price" not in public
    [created] = await world.events(body["id"], "transactions.listing.created.v1")
    assert "reserve_price" not in created["data"] and created["region"] == "140107"


async def test_invalid_terms_are_refused_with_every_violation_at_once(world):
    unit_id = await world.unit()
    now = datetime.now(UTC)
    terms = world.terms(unit_id=unit_id, term_years=80, reserve_price="900000.00",
                        announcement_at=(now - timedelta(days=31)).isoformat())
    r = await world.client.post("/api/v1/listings", json=terms, headers=world.h("trader.admin"))
    assert r.status_code == 422
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == "listing.terms_invalid"
    codes = {(v["field"], v["code"]) for v in problem["violations"]}
    assert {("term_years", "exceeds_maximum"), ("reserve_price", "below_start_price"),
            ("announcement_at", "notice_too_short")} <= codes
    assert await world.events(unit_id) == []


@pytest.mark.parametrize("amount", [1000000.5, "-5.00", "abc", ""])
async def test_bad_money_is_a_clear_422(world, amount):
    unit_id = await world.unit()
    r = await world.client.post("/api/v1/listings", json=world.terms(unit_id=unit_id, start_price=amount),
                                headers=world.h("trader.admin"))
    assert r.status_code == 422 and r.json()["code"] in ("request.invalid", "listing.terms_invalid"), r.text


async def test_unit_must_exist_be_current_and_free(world):
    missing = "00000000-0000-4000-8000-000000000000"
    r = await world.client.post("/api/v1/listings", json=world.terms(unit_id=missing), headers=world.h("trader.admin"))
    assert r.status_code == 422 and r.json()["code"] == "listing.unit_not_found"
    for unit_id, code in ((await world.unit(status="historical"), "unit.not_current"),
                          (await world.unit(in_trade="someone-else"), "unit.in_trade")):
        r = await world.client.post("/api/v1/listings", json=world.terms(unit_id=unit_id), headers=world.h("trader.admin"))
        assert r.status_code == 409 and r.json()["code"] == "listing.unit_not_tradable", r.text
        assert code in {x["code"] for x in r.json()["reasons"]}


async def test_one_open_listing_per_unit(world):
    unit_id = await world.unit()
    first = await world.client.post("/api/v1/listings", json=world.terms(unit_id=unit_id), headers=world.h("trader.admin"))
    assert first.status_code == 201
    again = await world.client.post("/api/v1/listings", json=world.terms(unit_id=unit_id), headers=world.h("trader.admin"))
    assert again.status_code == 409 and again.json()["code"] == "listing.unit_in_trade"


async def test_only_trading_admins_create(world):
    unit_id = await world.unit()
    r = await world.client.post("/api/v1/listings", json=world.terms(unit_id=unit_id), headers=world.h("bidder.a"))
    assert r.status_code == 403 and r.json()["code"] == "auth.missing_role"
    r = await world.client.post("/api/v1/listings", json=world.terms(unit_id=unit_id))
    assert r.status_code == 401


async def test_terms_change_before_bidding_is_kept_as_revision_then_locked(world):
    listing_id = await world.listing(method="auction")
    r = await world.client.patch(f"/api/v1/listings/{listing_id}/terms",
                                 json={"reason": "调整加价幅度", "increment": "20000.00", "reserve_price": "1100000.00"},
                                 headers=world.h("trader.admin"))
    assert r.status_code == 200, r.text
    assert r.json()["revision"] == 2 and r.json()["increment"] == "20000.00"
    revisions = (await world.client.get(f"/api/v1/listings/{listing_id}/revisions", headers=world.h("trader.admin"))).json()
    assert [x["revision"] for x in revisions] == [1, 2]
    assert revisions[0]["terms"]["increment"] == "10000.00" and revisions[1]["terms"]["reserve_price"] == "1100000.00"
    [revised] = await world.events(listing_id, "transactions.listing.revised.v1")
    assert "reserve_price" not in revised["data"]["public_terms"] and "reserve_price" in revised["data"]["changed_fields"]
    bad = await world.client.patch(f"/api/v1/listings/{listing_id}/terms", json={"reason": "x", "term_years": 99},
                                   headers=world.h("trader.admin"))
    assert bad.status_code == 422 and bad.json()["code"] == "listing.terms_invalid"
    await world.bidder(listing_id, "bidder.a")
    assert (await world.open_bidding(listing_id))["state"] == "bidding"
    locked = await world.client.patch(f"/api/v1/listings/{listing_id}/terms", json={"reason": "x", "deposit": "1.00"},
                                      headers=world.h("trader.admin"))
    assert locked.status_code == 409 and locked.json()["code"] == "listing.terms_locked"


async def test_every_transition_is_an_event_and_registration_waits_for_the_registry(world):
    unit_id = await world.unit()
    r = await world.client.post("/api/v1/listings", json=world.terms(unit_id=unit_id, method="auction"),
                                headers=world.h("trader.admin"))
    listing_id = r.json()["id"]
    await world.client.post(f"/api/v1/listings/{listing_id}/announce", headers=world.h("trader.admin"))
    await world.due(listing_id)
    assert (await world.until(listing_id, "announced"))["next_action_at"] is None  # not marked yet
    reg = await world.client.post(f"/api/v1/listings/{listing_id}/registrations", headers=world.h("bidder.a"))
    assert reg.status_code == 409 and reg.json()["code"] == "bidder.registration_closed"
    await world.mark(listing_id, unit_id)
    await world.until(listing_id, "registration")
    for action in ("suspend", "resume", "terminate"):
        r = await world.client.post(f"/api/v1/listings/{listing_id}/{action}", json={"reason": "测试"},
                                    headers=world.h("trader.admin"))
        assert r.status_code == 200, r.text
    types = [e["type"] for e in await world.events(listing_id)]
    assert types == ["transactions.listing.created.v1", "transactions.listing.announced.v1",
                     "transactions.listing.registration_opened.v1", "transactions.listing.suspended.v1",
                     "transactions.listing.resumed.v1", "transactions.listing.terminated.v1"]
    announced = (await world.events(listing_id, "transactions.listing.announced.v1"))[0]["data"]
    assert {"listing_id", "unit_id", "unit_code", "right_type", "method", "listing_start", "listing_end"} <= set(announced)
    again = await world.client.post(f"/api/v1/listings/{listing_id}/resume", json={"reason": "x"},
                                    headers=world.h("trader.admin"))
    assert again.status_code == 409 and again.json()["code"] == "listing.illegal_transition"


@pytest.mark.parametrize("kind, code", [("seizure", "unit.seized"), ("objection", "unit.objection"),
                                        ("advance_notice", "unit.advance_notice")])
async def test_units_with_blocking_restrictions_cannot_be_listed(world, kind, code):
    unit_id = await world.unit()
    # The test plays the registry here: a current book entry carrying the restriction.
    await world.sql(
        "INSERT INTO registry.book_entries (id, unit_id, version, recorded_state, restrictions, recorded_by)"
        " VALUES (gen_random_uuid(), CAST(:u AS uuid), 1, 'current', CAST(:r AS jsonb), 'test')",
        u=unit_id, r=f'[{{"kind": "{kind}"}}]',
    )
    r = await world.client.post("/api/v1/listings", json=world.terms(unit_id=unit_id), headers=world.h("trader.admin"))
    assert r.status_code == 409 and r.json()["code"] == "listing.unit_not_tradable", r.text
    assert code in {x["code"] for x in r.json()["reasons"]}
