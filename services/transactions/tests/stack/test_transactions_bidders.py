"""Bidders: 报名, the signed bank callback (HMAC, freshness, nonce), qualification, anonymity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from transactions.bidders.simbank import signed_notice

pytestmark = pytest.mark.stack

CALLBACK = "/api/v1/bank/deposit-notices"


async def test_register_pay_qualify_gives_an_anonymous_number(world):
    listing_id = await world.listing()
    reg = await world.register(listing_id, "bidder.b")
    assert reg["status"] == "registered" and reg["bidder_number"] is None
    again = await world.client.post(f"/api/v1/listings/{listing_id}/registrations", headers=world.h("bidder.b"))
    assert again.status_code == 409 and again.json()["code"] == "bidder.already_registered"
    early = await world.client.post(f"/api/v1/listings/{listing_id}/registrations/{reg['id']}/qualify",
                                    headers=world.h("trader.admin"))
    assert early.status_code == 409 and early.json()["code"] == "bidder.deposit_not_confirmed"
    await world.pay(reg["id"], "bidder.b")
    qualified = await world.qualify(listing_id, reg["id"])
    assert qualified["status"] == "qualified" and len(qualified["bidder_number"]) == 6
    mine = (await world.client.get(f"/api/v1/listings/{listing_id}/registrations/me", headers=world.h("bidder.b"))).json()
    assert mine["bidder_number"] == qualified["bidder_number"] and "bidder_name" not in mine
    types = [e["type"] for e in await world.events(listing_id) if e["type"].startswith("transactions.bidder.")]
    assert types == ["transactions.bidder.registered.v1", "transactions.bidder.deposit_confirmed.v1",
                     "transactions.bidder.qualified.v1"]


async def test_identities_are_hidden_from_other_bidders_and_the_public(world):
    listing_id = await world.listing()
    await world.bidder(listing_id, "bidder.a")
    r = await world.client.get(f"/api/v1/listings/{listing_id}/registrations", headers=world.h("bidder.b"))
    assert r.status_code == 403
    r = await world.client.get(f"/api/v1/listings/{listing_id}/registrations", headers=world.h("supervisor.li"))
    assert r.status_code == 200 and r.json()[0]["bidder_username"] == "bidder.a"
    assert (await world.bid(listing_id, "bidder.a", "1000000.00")).status_code == 201
    board = (await world.client.get(f"/api/v1/listings/{listing_id}/bids")).json()
    assert set(board[0]) == {"seq", "bidder_number", "amount", "placed_at", "phase"}


async def test_non_bidders_cannot_register(world):
    listing_id = await world.listing()
    r = await world.client.post(f"/api/v1/listings/{listing_id}/registrations", headers=world.h("citizen.zhang"))
    assert r.status_code == 403 and r.json()["code"] == "auth.missing_role"


async def test_bank_callback_is_verified_and_replays_are_refused(world):
    listing_id = await world.listing()
    reg = await world.register(listing_id, "bidder.a")
    secret = world.trading.bank_secret
    body, headers = signed_notice(secret=secret, listing_id=listing_id, registration_id=reg["id"],
                                  amount=Decimal("200000.00"))
    tampered = body.replace(b"200000.00", b"900000.00")
    r = await world.client.post(CALLBACK, content=tampered, headers=headers)
    assert r.status_code == 401 and r.json()["code"] == "bank.signature_invalid"
    forged = signed_notice(secret=b"x" * 40, listing_id=listing_id, registration_id=reg["id"], amount=Decimal("1"))
    assert (await world.client.post(CALLBACK, content=forged[0], headers=forged[1])).status_code == 401
    stale = signed_notice(secret=secret, listing_id=listing_id, registration_id=reg["id"],
                          amount=Decimal("200000.00"), timestamp=datetime.now(UTC) - timedelta(minutes=10))
    r = await world.client.post(CALLBACK, content=stale[0], headers=stale[1])
    assert r.status_code == 401 and r.json()["code"] == "bank.timestamp_skew"
    ok = await world.client.post(CALLBACK, content=body, headers=headers)
    assert ok.status_code == 200 and ok.json()["deposit_status"] == "received", ok.text
    replay = await world.client.post(CALLBACK, content=body, headers=headers)
    assert replay.status_code == 409 and replay.json()["code"] == "bank.replayed"
    assert len(await world.events(listing_id, "transactions.bidder.deposit_confirmed.v1")) == 1


async def test_short_or_late_deposits_are_refused(world):
    listing_id = await world.listing()
    reg = await world.register(listing_id, "bidder.a")
    secret = world.trading.bank_secret
    short = signed_notice(secret=secret, listing_id=listing_id, registration_id=reg["id"], amount=Decimal("1.00"))
    r = await world.client.post(CALLBACK, content=short[0], headers=short[1])
    assert r.status_code == 409 and r.json()["code"] == "deposit.insufficient"
    late = signed_notice(secret=secret, listing_id=listing_id, registration_id=reg["id"], amount=Decimal("200000.00"),
                         paid_at=datetime.now(UTC) + timedelta(hours=3))
    r = await world.client.post(CALLBACK, content=late[0], headers=late[1])
    assert r.status_code == 409 and r.json()["code"] == "deposit.late"
    me = (await world.client.get(f"/api/v1/listings/{listing_id}/registrations/me", headers=world.h("bidder.a"))).json()
    assert me["deposit_status"] == "pending"


async def test_a_bidder_cannot_pay_through_someone_elses_registration(world):
    listing_id = await world.listing()
    reg = await world.register(listing_id, "bidder.a")
    r = await world.client.post("/api/v1/simbank/payments", json={"registration_id": reg["id"]},
                                headers=world.h("bidder.b"))
    assert r.status_code == 403 and r.json()["code"] == "bidder.not_owner"


async def test_two_bidders_from_one_address_raise_an_alert(world):
    listing_id = await world.listing()
    a = await world.bidder(listing_id, "bidder.a", ip="203.0.113.7")
    b = await world.bidder(listing_id, "bidder.b", ip="203.0.113.7")
    regs = (await world.client.get(f"/api/v1/listings/{listing_id}/registrations", headers=world.h("trader.admin"))).json()
    assert {r["client_ip"] for r in regs} == {"203.0.113.7"}
    alerts = (await world.client.get(f"/api/v1/supervision/alerts?listing_id={listing_id}",
                                     headers=world.h("supervisor.li"))).json()
    assert [x["rule"] for x in alerts] == ["supervision.shared_address"]
    assert sorted(alerts[0]["details"]["bidder_numbers"]) == sorted([a["bidder_number"], b["bidder_number"]])
    [event] = await world.events(listing_id, "transactions.alert.raised.v1")
    assert event["data"]["rule"] == "supervision.shared_address"
    forbidden = await world.client.get("/api/v1/supervision/alerts", headers=world.h("bidder.a"))
    assert forbidden.status_code == 403


async def test_rejected_bidder_gets_the_deposit_back(world):
    listing_id = await world.listing()
    reg = await world.register(listing_id, "bidder.a")
    await world.pay(reg["id"], "bidder.a")
    r = await world.client.post(f"/api/v1/listings/{listing_id}/registrations/{reg['id']}/reject",
                                json={"reason": "资料不全"}, headers=world.h("trader.admin"))
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    [refund] = await world.events(listing_id, "transactions.deposit.refunded.v1")
    assert refund["data"]["reason"] == "rejected" and refund["data"]["amount"] == "200000.00"
