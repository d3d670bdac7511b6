"""地证同交 end to end on the running stack: a registered unit is sold on the platform and its winner registered."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from registry.applications.types import REQUIRED_DOCUMENTS
from registry.settings import RegistrySettings
from transactions.settings import TransactionsSettings

from .saga_support import (
    REGISTRY, committed_past, h, listing, listing_terms, new_unit, produce, qualified_bidder, saga_effects, sql,
    subject, until,
)

# On the running stack only (what `./natres up` started: the registry and transactions APIs on their
# ports, their workers with the outbox relays, the saga consumers in the groups `natres-registry` /
# `natres-transactions`, and the closing scheduler). The test drives the APIs as the users would, moves
# the listing's deadline to now (superuser SQL, the one shortcut), and waits for each step's effect in
# the other service. Then it re-produces every saga event of the journey to Kafka with its own id, waits
# until both services' groups have committed past the copies, and checks that nothing happened twice.
# CI runs `./natres up` in a fresh clone first, so the stack's workers run the code under test.
# The crash cases are in test_saga_journey_crashes.py.

pytestmark = pytest.mark.stack

TRADING = f"http://127.0.0.1:{TransactionsSettings().http_port}"
ZHANG_ID = "140107199001011230"


async def step(reg: httpx.AsyncClient, app_id: str, action: str, user: str, body: dict | None = None) -> dict:
    r = await reg.post(f"/api/v1/applications/{app_id}/{action}", json=body, headers=h(user))
    assert r.status_code == 200, r.text
    return r.json()


async def first_registration(reg: httpx.AsyncClient, unit_id: str) -> None:
    """张三's first registration, filed online and completed by the county's officials (申请→受理→审核→登簿→发证)."""
    party = {"role": "holder", "name": "张三", "id_number": ZHANG_ID, "subject": subject("citizen.zhang")}
    r = await reg.post("/api/v1/applications", headers=h("citizen.zhang"), json={
        "type": "first", "unit_id": unit_id, "parties": [party],
        "details": {"right_type": "state_construction_land_use", "source": "划拨"}})
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    for kind in REQUIRED_DOCUMENTS["first"]:
        r = await reg.post(f"/api/v1/applications/{app_id}/documents", headers=h("citizen.zhang"), data={"kind": kind},
                           files={"file": (f"{kind}.pdf", f"%PDF-1.4 {kind} {app_id}".encode(), "application/pdf")})
        assert r.status_code == 201, r.text
    await step(reg, app_id, "accept", "registrar.xhl")
    await step(reg, app_id, "review", "reviewer.xhl", {"approve": True, "opinion": "符合登记条件"})
    await step(reg, app_id, "record", "registrar.xhl")
    assert (await step(reg, app_id, "certificate", "registrar.xhl"))["status"] == "certified"



async def test_land_sold_and_registered_through_both_services(su):
    async with httpx.AsyncClient(base_url=REGISTRY, timeout=30) as reg, \
            httpx.AsyncClient(base_url=TRADING, timeout=30) as trade:
        # 1. a unit with a current registration
        unit = await new_unit(reg)
        await first_registration(reg, unit["id"])

        # 2. a trading administrator lists it and publishes the announcement
        r = await trade.post("/api/v1/listings", json=listing_terms(unit["id"]), headers=h("trader.admin"))
        assert r.status_code == 201, r.text
        listing_id = r.json()["id"]
        r = await trade.post(f"/api/v1/listings/{listing_id}/announce", headers=h("trader.admin"))
        assert r.status_code == 200, r.text

        # 3. the registry marks the unit in trade; the platform hears it and opens registration
        async def marked() -> bool:
            u = (await reg.get(f"/api/v1/units/{unit['id']}", headers=h("registrar.xhl"))).json()
            return u["in_trade_listing_id"] == listing_id
        await until(marked, "the registry's trade mark")
        conflicting = await reg.post("/api/v1/applications", headers=h("citizen.zhang"), json={
            "type": "transfer", "unit_id": unit["id"],
            "parties": [{"role": "holder", "name": "李四", "id_number": "11010519491231002X"}]})
        assert conflicting.status_code == 409 and conflicting.json()["code"] == "unit.in_trade"

        async def bidding() -> bool:
            row = await listing(trade, listing_id)
            return row["unit_marked"] and row["state"] == "bidding"
        await until(bidding, "the listing to take quotes")

        # 4. two bidders register, pay, are qualified, and quote
        await qualified_bidder(trade, listing_id, "bidder.a")
        winner = await qualified_bidder(trade, listing_id, "bidder.b")
        for username, amount in (("bidder.a", "2000000.00"), ("bidder.b", "2050000.00")):
            r = await trade.post(f"/api/v1/listings/{listing_id}/bids", json={"amount": amount},
                                 headers=h(username, **{"Idempotency-Key": uuid.uuid4().hex}))
            assert r.status_code == 201, r.text

        # 5. the deadline comes (moved to now); the scheduler concludes the deal
        await sql(su, "UPDATE transactions.listings SET closes_at = clock_timestamp(), "
                      "next_action_at = clock_timestamp() WHERE id = :id", id=listing_id)

        async def concluded() -> dict | None:
            row = await listing(trade, listing_id)
            return row if row["state"] == "concluded" else None
        closed = await until(concluded, "the close")
        assert closed["winner_registration_id"] == winner["id"] and closed["final_price"] == "2050000.00"

        # 6. the registry opens the winner's transfer registration
        async def opened() -> dict | None:
            mine = (await reg.get("/api/v1/applications", headers=h("bidder.b"))).json()
            return next((a for a in mine if a["listing_id"] == listing_id), None)
        app = await until(opened, "the winner's registration")
        assert (app["type"], app["status"], app["channel"]) == ("transfer", "accepted", "trade")
        assert app["competent_office"] == "140107"

        # 7. the competent county reviews, records and certifies
        await step(reg, app["id"], "review", "reviewer.xhl", {"approve": True, "opinion": "成交确认书核对无误"})
        await step(reg, app["id"], "record", "registrar.xhl")
        assert (await step(reg, app["id"], "certificate", "registrar.xhl"))["status"] == "certified"

        # 8. the winner holds the recorded right; the mark is lifted on both sides
        book = (await reg.get(f"/api/v1/units/{unit['id']}/book", headers=h("bidder.b"))).json()
        assert [x["name"] for x in book["current"]["holders"]] == [winner["bidder_name"]]
        assert book["current"]["term_end"] is not None
        u = (await reg.get(f"/api/v1/units/{unit['id']}", headers=h("registrar.xhl"))).json()
        assert u["in_trade_listing_id"] is None

        async def cleared() -> bool:
            return (await sql(su, "SELECT unit_cleared_at IS NOT NULL FROM transactions.listings WHERE id = :id",
                              id=listing_id)).scalar()
        await until(cleared, "the platform to hear the mark lifted")

        # 9. every saga event of the journey delivered again: no second effect anywhere
        before = await saga_effects(su, listing_id, unit["id"])
        events = [("natres.transactions.v1", p) for (p,) in (await sql(
            su, "SELECT payload FROM transactions.outbox WHERE key = :k AND event_type IN "
                "('transactions.listing.announced.v1', 'transactions.deal.concluded.v1') ORDER BY id",
            k=listing_id)).all()]
        events += [("natres.registry.v1", p) for (p,) in (await sql(
            su, "SELECT payload FROM registry.outbox WHERE key = :k AND payload->'data'->>'listing_id' = :l "
                "AND event_type IN ('registry.unit.trade_marked.v1', 'registry.unit.trade_cleared.v1') ORDER BY id",
            k=unit["id"], l=listing_id)).all()]
        assert [p["type"] for _, p in events] == [
            "transactions.listing.announced.v1", "transactions.deal.concluded.v1",
            "registry.unit.trade_marked.v1", "registry.unit.trade_cleared.v1"]
        written = await asyncio.to_thread(produce, events)
        await committed_past(RegistrySettings().consumer_group,
                             {k: v for k, v in written.items() if k.startswith("natres.transactions.v1")})
        await committed_past(TransactionsSettings().consumer_group,
                             {k: v for k, v in written.items() if k.startswith("natres.registry.v1")})
        assert await saga_effects(su, listing_id, unit["id"]) == before
