"""The blacklist: overseers see the entries with identities, a trading admin of the region lifts one
early (recorded, never deleted), after which the bidder may register again."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from natres_platform.events import utc_now

from transactions.closing.service import take_step
from transactions.listings import repository as listings_repo

from ..conftest import DEFAULTER

pytestmark = pytest.mark.stack

LIFTED = "transactions.bidder.blacklist_lifted.v1"


async def _defaulted(world):
    """A listing won by DEFAULTER, who then misses the contract deadline (违约): blacklisted."""
    listing_id = await world.listing()
    winner = await world.bidder(listing_id, DEFAULTER)
    await world.bidder(listing_id, "bidder.b")
    assert (await world.bid(listing_id, "bidder.b", "1040000.00")).status_code == 201
    assert (await world.bid(listing_id, DEFAULTER, "1050000.00")).status_code == 201
    await world.due(listing_id, close=True)
    await world.until(listing_id, "concluded")
    async with world.trading.uow() as uow:
        await listings_repo.get(uow.session, listing_id=listing_id, lock=True)
        now = utc_now()
        row = await listings_repo.update_row(uow.session, listing_id=listing_id,
                                             values={"contract_due_at": now - timedelta(seconds=1)})
        await take_step(uow=uow, trading=world.trading, listing=row, now=now)
        await uow.commit()
    return listing_id, winner


async def _entries(world, user, **params):
    r = await world.client.get("/api/v1/blacklist", params=params, headers=world.h(user))
    assert r.status_code == 200, r.text
    return r.json()


async def _lift(world, entry_id, user="trader.admin", **body):
    return await world.client.post(f"/api/v1/blacklist/{entry_id}/lifting", json=body, headers=world.h(user))


async def test_a_lifted_entry_is_kept_and_the_bidder_may_register_again(world, scoped_traders):
    subject = (await world.trading.ctx.verifier.verify(world.tokens(DEFAULTER))).subject
    await world.sql("DELETE FROM transactions.blacklist WHERE bidder_subject = :s", s=subject)
    listing_id, winner = await _defaulted(world)
    try:
        [entry] = await _entries(world, "trader.admin", subject=subject, active="true")
        assert entry["status"] == "active" and entry["listing_id"] == listing_id
        assert entry["registration_id"] == winner["id"] and entry["county_code"] == "140107"
        assert entry["bidder_name"] and entry["until"] and entry["lifted_at"] is None
        [listed] = await world.events(listing_id, "transactions.bidder.blacklisted.v1")
        assert listed["data"]["blacklist_id"] == entry["id"]

        # identities for overseers only, a trading admin only for listings of their region
        assert (await world.client.get("/api/v1/blacklist", headers=world.h(DEFAULTER))).status_code == 403
        assert [e["id"] for e in await _entries(world, "supervisor.li", subject=subject)] == [entry["id"]]
        assert [e["id"] for e in await _entries(world, "trader.t140107", subject=subject)] == [entry["id"]]
        assert await _entries(world, "trader.t140200", subject=subject) == []
        r = await world.client.get("/api/v1/blacklist", headers=world.h("trader.tnone"))
        assert r.status_code == 403 and r.json()["code"] == "auth.wrong_region"

        other = await world.listing()
        r = await world.client.post(f"/api/v1/listings/{other}/registrations", headers=world.h(DEFAULTER))
        assert r.status_code == 403 and r.json()["code"] == "bidder.blacklisted"
        assert r.json()["blacklist_id"] == entry["id"]

        assert (await _lift(world, entry["id"])).status_code == 422  # a reason is required
        r = await _lift(world, entry["id"], "trader.t140200", reason="不在辖区")
        assert r.status_code == 403 and r.json()["code"] == "auth.wrong_region"
        r = await _lift(world, entry["id"], "supervisor.li", reason="监管无权解除")
        assert r.status_code == 403
        r = await _lift(world, entry["id"], reason="已补缴违约金，经复核解除", document_ref="晋交易〔2026〕12号")
        assert r.status_code == 200, r.text
        lifted = r.json()
        admin_subject = (await world.trading.ctx.verifier.verify(world.tokens("trader.admin"))).subject
        assert lifted["status"] == "lifted" and lifted["lifted_by"] == admin_subject
        assert lifted["lift_reason"] == "已补缴违约金，经复核解除"
        assert lifted["lift_document_ref"] == "晋交易〔2026〕12号" and lifted["until"] == entry["until"]
        [event] = await world.events(listing_id, LIFTED)
        assert event["actor"] == admin_subject and event["region"] == "140107"
        assert event["data"] | {"lifted_at": None} == {
            "listing_id": listing_id, "blacklist_id": entry["id"], "registration_id": winner["id"],
            "bidder_subject": subject, "org_code": None, "listed_at": listed["data"]["listed_at"],
            "until": listed["data"]["until"], "reason": "已补缴违约金，经复核解除",
            "document_ref": "晋交易〔2026〕12号", "lifted_at": None,
        }

        again = await _lift(world, entry["id"], reason="再次解除")
        assert again.status_code == 409 and again.json()["code"] == "blacklist.already_lifted"
        assert again.headers["content-type"].startswith("application/problem+json")
        assert len(await world.events(listing_id, LIFTED)) == 1

        assert await _entries(world, "trader.admin", subject=subject, active="true") == []
        [kept] = await _entries(world, "trader.admin", subject=subject, active="false")
        assert kept == lifted

        r = await world.client.post(f"/api/v1/listings/{other}/registrations", headers=world.h(DEFAULTER))
        assert r.status_code == 201, r.text
    finally:
        await world.sql("DELETE FROM transactions.blacklist WHERE listing_id = :l", l=listing_id)


async def test_filters_expired_entries_and_the_database_guards(world, bidder_pool):
    # Entries for a made-up account and enterprise: no real bidder is barred while this runs.
    listing_id = await world.listing()
    regs = [await world.register(listing_id, name) for name in bidder_pool[-2:]]
    subject, org = f"test-{uuid.uuid4()}", f"91TEST{uuid.uuid4().hex[:12].upper()}"
    ids = []
    for reg, until in zip(regs, ("now() - interval '1 day'", "NULL"), strict=True):
        row = await world.sql(
            "INSERT INTO transactions.blacklist (bidder_subject, org_code, bidder_name, reason, listing_id, "
            f"registration_id, listed_at, until) VALUES (:s, :o, '测试企业', 'contract_not_signed', :l, :r, "
            f"now() - interval '2 days', {until}) RETURNING id", s=subject, o=org, l=listing_id, r=reg["id"])
        ids.append(row.scalar_one())
    expired, current = ids
    try:
        assert [e["id"] for e in await _entries(world, "supervisor.li", org_code=org)] == [expired, current]
        [e] = await _entries(world, "supervisor.li", org_code=org, active="true")
        assert e["id"] == current and e["status"] == "active" and e["until"] is None
        [e] = await _entries(world, "supervisor.li", org_code=org, active="false")
        assert e["id"] == expired and e["status"] == "expired"
        assert [e["id"] for e in await _entries(world, "supervisor.li", org_code=org, after_id=expired)] == [current]
        assert [e["id"] for e in await _entries(world, "supervisor.li", listing_id=listing_id)] == [expired, current]

        r = await _lift(world, expired, reason="已到期")
        assert r.status_code == 409 and r.json()["code"] == "blacklist.entry_expired"
        r = await _lift(world, 2**62, reason="不存在")
        assert r.status_code == 404 and r.json()["code"] == "blacklist.entry_not_found"
        assert (await _lift(world, "abc", reason="x")).status_code == 422

        # The service's own role can neither delete an entry nor rewrite what it says.
        for statement in ("DELETE FROM transactions.blacklist WHERE id = :id",
                          "UPDATE transactions.blacklist SET reason = 'x' WHERE id = :id"):
            with pytest.raises(ProgrammingError, match="permission denied"):
                async with world.trading.uow() as uow:
                    await uow.session.execute(text(statement), {"id": current})

        assert (await _lift(world, current, reason="误列，撤销")).status_code == 200
        # A lifting is final, even for the schema owner / superuser.
        with pytest.raises(DBAPIError, match="cannot change"):
            await world.sql("UPDATE transactions.blacklist SET lifted_at = NULL, lifted_by = NULL, lift_reason = NULL "
                            "WHERE id = :id", id=current)
        [e] = await _entries(world, "supervisor.li", org_code=org, active="false", after_id=expired)
        assert e["status"] == "lifted" and e["lift_document_ref"] is None
    finally:
        await world.sql("DELETE FROM transactions.blacklist WHERE id = ANY(:ids)", ids=ids)
