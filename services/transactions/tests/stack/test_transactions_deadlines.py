"""After the deal: 成交确认书 / 出让合同 / 结果公示 deadlines, alerts when missed, the defaulting winner;
and trading administrators acting only within their region."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from natres_platform.events import utc_now
from natres_platform.workdays import WorkdayCalendar

from transactions.closing.service import take_step
from transactions.listings import repository as listings_repo
from transactions.listings.terms import local_date
from transactions.settlement.deadlines import end_of

from ..conftest import DEFAULTER

pytestmark = pytest.mark.stack


async def _concluded(world, winner="bidder.a", loser="bidder.b", **kw):
    listing_id = await world.listing(**kw)
    w = await world.bidder(listing_id, winner)
    await world.bidder(listing_id, loser)
    assert (await world.bid(listing_id, loser, "1040000.00")).status_code == 201
    assert (await world.bid(listing_id, winner, "1050000.00")).status_code == 201
    await world.due(listing_id, close=True)
    await world.until(listing_id, "concluded")
    return listing_id, w


async def _step_at(world, listing_id, **past):
    """The scheduler's step with the given deadlines moved into the past, under the row lock (no race)."""
    trading = world.trading
    async with trading.uow() as uow:
        await listings_repo.get(uow.session, listing_id=listing_id, lock=True)
        now = utc_now()
        row = await listings_repo.update_row(uow.session, listing_id=listing_id,
                                             values={k: now - v for k, v in past.items()})
        await take_step(uow=uow, trading=trading, listing=row, now=now)
        await uow.commit()


async def _alerts(world, listing_id):
    r = await world.client.get(f"/api/v1/supervision/alerts?listing_id={listing_id}", headers=world.h("supervisor.li"))
    return [a["rule"] for a in r.json()]


def _due(concluded_at: datetime, days: int) -> datetime:
    return end_of(WorkdayCalendar().add_working_days(start=local_date(concluded_at), days=days).due)


async def test_deadlines_are_counted_in_working_days_from_the_deal(world):
    listing_id, _ = await _concluded(world)
    row = await world.get(listing_id)
    concluded_at = datetime.fromisoformat((await world.events(listing_id, "transactions.listing.concluded.v1"))[0]
                                          ["time"].replace("Z", "+00:00"))
    parse = lambda v: datetime.fromisoformat(v)  # noqa: E731
    assert parse(row["confirmation_due_at"]) == _due(concluded_at, 2)      # land: 2 working days
    assert parse(row["contract_due_at"]) == _due(concluded_at, 10)
    assert parse(row["publication_due_at"]) == _due(concluded_at, 10)
    assert parse(row["next_action_at"]) == parse(row["confirmation_due_at"])  # the scheduler waits for the first
    [issued] = await world.events(listing_id, "transactions.deal.confirmation_issued.v1")
    assert issued["data"]["sign_by"].replace("Z", "+00:00") == parse(row["confirmation_due_at"]).isoformat()


async def test_mining_deadlines_are_three_and_five_working_days(world):
    listing_id, _ = await _concluded(world, right_type="mining_right")
    row = await world.get(listing_id)
    concluded_at = datetime.fromisoformat((await world.events(listing_id, "transactions.listing.concluded.v1"))[0]
                                          ["time"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(row["confirmation_due_at"]) == _due(concluded_at, 3)
    assert datetime.fromisoformat(row["publication_due_at"]) == _due(concluded_at, 5)


async def test_the_winner_signs_the_confirmation_in_time_and_nothing_is_raised(world):
    listing_id, _ = await _concluded(world)
    other = await world.client.post(f"/api/v1/listings/{listing_id}/deal-confirmation/signature",
                                    headers=world.h("bidder.b"))
    assert other.status_code == 403
    r = await world.client.post(f"/api/v1/listings/{listing_id}/deal-confirmation/signature",
                                headers=world.h("bidder.a"))
    assert r.status_code == 200, r.text
    again = await world.client.post(f"/api/v1/listings/{listing_id}/deal-confirmation/signature",
                                    headers=world.h("bidder.a"))
    assert again.status_code == 200 and again.json()["signed_at"] == r.json()["signed_at"]
    [signed] = await world.events(listing_id, "transactions.deal.confirmation_signed.v1")
    assert signed["data"]["deal_confirmation_no"] == r.json()["deal_confirmation_no"]
    row = await world.get(listing_id)
    assert row["next_action_at"] == min(row["contract_due_at"], row["publication_due_at"])
    await _step_at(world, listing_id, confirmation_due_at=timedelta(hours=1))
    assert "supervision.confirmation_overdue" not in await _alerts(world, listing_id)


async def test_missed_confirmation_and_publication_raise_one_alert_each(world):
    listing_id, _ = await _concluded(world)
    await _step_at(world, listing_id, confirmation_due_at=timedelta(minutes=1), publication_due_at=timedelta(minutes=1))
    await _step_at(world, listing_id, confirmation_due_at=timedelta(minutes=1), publication_due_at=timedelta(minutes=1))
    rules = await _alerts(world, listing_id)
    assert rules.count("supervision.confirmation_overdue") == 1 and rules.count("supervision.publication_overdue") == 1
    events = await world.events(listing_id, "transactions.alert.raised.v1")
    overdue = [e["data"] for e in events if e["data"]["rule"] == "supervision.confirmation_overdue"]
    assert overdue[0]["details"]["working_days"] == 2 and "成交确认书" in overdue[0]["message"]
    row = await world.get(listing_id)
    assert row["next_action_at"] == row["contract_due_at"]  # only the contract deadline is still watched
    # too late is still allowed: the signature is recorded, the alert stays
    r = await world.client.post(f"/api/v1/listings/{listing_id}/deal-confirmation/signature",
                                headers=world.h("bidder.a"))
    assert r.status_code == 200


async def test_a_winner_without_contract_in_time_defaults(world, scoped_traders):
    await world.sql("DELETE FROM transactions.blacklist WHERE bidder_subject = :s",
                    s=(await world.trading.ctx.verifier.verify(world.tokens(DEFAULTER))).subject)
    listing_id, winner = await _concluded(world, winner=DEFAULTER)
    try:
        await _step_at(world, listing_id, contract_due_at=timedelta(seconds=1))
        row = await world.get(listing_id)
        assert row["defaulted_at"] is not None and row["state"] == "concluded" and row["next_action_at"] is not None
        [forfeited] = await world.events(listing_id, "transactions.deposit.forfeited.v1")
        assert forfeited["data"]["registration_id"] == winner["id"] and forfeited["data"]["amount"] == "200000.00"
        [refund] = await world.events(listing_id, "transactions.deposit.refunded.v1")
        assert refund["data"]["reason"] == "not_winner" and refund["data"]["registration_id"] != winner["id"]
        [listed] = await world.events(listing_id, "transactions.bidder.blacklisted.v1")
        assert listed["data"]["registration_id"] == winner["id"] and listed["data"]["until"]
        [defaulted] = await world.events(listing_id, "transactions.deal.defaulted.v1")
        assert defaulted["data"]["unit_id"] == row["unit_id"] and defaulted["data"]["reason"] == "contract_not_signed"
        assert "supervision.winner_defaulted" in await _alerts(world, listing_id)
        regs = (await world.client.get(f"/api/v1/listings/{listing_id}/registrations",
                                       headers=world.h("trader.admin"))).json()
        assert {r["id"]: r["deposit_status"] for r in regs}[winner["id"]] == "forfeited"

        # once is enough: another step changes nothing
        await _step_at(world, listing_id, contract_due_at=timedelta(seconds=1))
        assert len(await world.events(listing_id, "transactions.deal.defaulted.v1")) == 1
        # the deal is gone: no contract, no confirmation
        r = await world.client.post(f"/api/v1/listings/{listing_id}/contract", json={"contract_no": "晚了"},
                                    headers=world.h("trader.admin"))
        assert r.status_code == 409 and r.json()["code"] == "settlement.winner_defaulted"
        # and the defaulter cannot register for another listing
        other = await world.listing()
        r = await world.client.post(f"/api/v1/listings/{other}/registrations", headers=world.h(DEFAULTER))
        assert r.status_code == 403 and r.json()["code"] == "bidder.blacklisted"
        assert r.json()["listing_id"] == listing_id
    finally:
        await world.sql("DELETE FROM transactions.blacklist WHERE listing_id = :l", l=listing_id)


async def test_contract_in_time_means_no_default(world):
    listing_id, _ = await _concluded(world)
    r = await world.client.post(f"/api/v1/listings/{listing_id}/contract", json={"contract_no": "晋出让合同-准时"},
                                headers=world.h("trader.admin"))
    assert r.status_code == 200, r.text
    await _step_at(world, listing_id, contract_due_at=timedelta(seconds=1))
    assert (await world.get(listing_id))["defaulted_at"] is None
    assert await world.events(listing_id, "transactions.deal.defaulted.v1") == []


async def test_trading_admins_act_only_within_their_region(world, scoped_traders):
    xhl_unit = await world.unit(county="140107")   # 太原市杏花岭区
    pc_unit = await world.unit(county="140213")    # 大同市平城区

    async def create(user, unit_id):
        return await world.client.post("/api/v1/listings", json=world.terms(unit_id=unit_id), headers=world.h(user))

    r = await create("trader.t140107", pc_unit)
    assert r.status_code == 403 and r.json()["code"] == "auth.wrong_region"
    r = await create("trader.t140200", xhl_unit)
    assert r.status_code == 403 and r.json()["code"] == "auth.wrong_region"
    r = await create("trader.tnone", xhl_unit)  # a trading admin without a region acts nowhere
    assert r.status_code == 403
    r = await create("trader.t140200", pc_unit)  # the city covers its counties
    assert r.status_code == 201, r.text
    datong = r.json()["id"]
    r = await create("trader.t140107", xhl_unit)
    assert r.status_code == 201, r.text
    xhl = r.json()["id"]
    for user, listing_id, ok in (("trader.t140107", datong, False), ("trader.t140200", xhl, False),
                                 ("trader.t140107", xhl, True), ("trader.admin", datong, True)):
        r = await world.client.get(f"/api/v1/listings/{listing_id}/admin", headers=world.h(user))
        assert r.status_code == (200 if ok else 403), (user, r.text)
    r = await world.client.post(f"/api/v1/listings/{datong}/announce", headers=world.h("trader.t140107"))
    assert r.status_code == 403
    r = await world.client.post(f"/api/v1/listings/{xhl}/announce", headers=world.h("trader.t140107"))
    assert r.status_code == 200, r.text
    await world.mark(xhl, xhl_unit)
    await world.until(xhl, "bidding")
    reg = await world.register(xhl, "bidder.a")
    await world.pay(reg["id"], "bidder.a")
    r = await world.client.post(f"/api/v1/listings/{xhl}/registrations/{reg['id']}/qualify",
                                headers=world.h("trader.t140200"))
    assert r.status_code == 403
    r = await world.client.post(f"/api/v1/listings/{xhl}/registrations/{reg['id']}/qualify",
                                headers=world.h("trader.t140107"))
    assert r.status_code == 200, r.text
    r = await world.client.post(f"/api/v1/listings/{xhl}/terminate", json={"reason": "测试"},
                                headers=world.h("trader.t140200"))
    assert r.status_code == 403
    r = await world.client.post(f"/api/v1/listings/{datong}/terminate", json={"reason": "测试结束"},
                                headers=world.h("trader.t140200"))
    assert r.status_code == 200
    r = await world.client.post(f"/api/v1/listings/{xhl}/terminate", json={"reason": "测试结束"},
                                headers=world.h("trader.admin"))
    assert r.status_code == 200
