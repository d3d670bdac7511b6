"""`natres-transactions demo [--assume-registry-marked]`: a few listings in various states on demo units."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from natres_platform.events import CloudEvent
from natres_platform.testing import password_token

from transactions.bidders import service as bidders
from transactions.bidders.simbank import signed_notice
from transactions.bidding.service import place_bid
from transactions.closing.service import run_due
from transactions.listings import service as listings
from transactions.listings.schemas import ListingCreate
from transactions.listings.states import Transition
from transactions.saga.handlers import TRADE_MARKED, on_trade_marked
from transactions.settings import TransactionsSettings
from transactions.settlement.service import publish_result, sign_contract
from transactions.trading import Trading

# The registry's units we may sell: current, free, with no open listing of ours.
_FREE_UNITS = """
SELECT u.id::text AS id, u.code FROM registry.units u
WHERE u.status = 'current' AND u.in_trade_listing_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM transactions.listings l WHERE l.unit_id = u.id::text
                  AND l.state NOT IN ('concluded', 'failed', 'terminated'))
ORDER BY u.created_at LIMIT 3
"""


def main(argv: list[str]) -> None:
    """Create the demo listings; prints what it made."""
    parser = argparse.ArgumentParser(prog="natres-transactions demo")
    parser.add_argument("--assume-registry-marked", action="store_true",
                        help="if the registry does not confirm the trade mark within 20 s, apply it locally (demo only)")
    args = parser.parse_args(argv)
    asyncio.run(_demo(assume_marked=args.assume_registry_marked))


async def _demo(*, assume_marked: bool) -> None:
    # Demo schedules may reach into 2027: by default they are accepted as provisional.
    trading = Trading.build(TransactionsSettings())
    try:
        admin = await trading.ctx.verifier.verify(password_token("trader.admin"))
        a = await trading.ctx.verifier.verify(password_token("bidder.a"))
        b = await trading.ctx.verifier.verify(password_token("bidder.b"))
        async with trading.ctx.engine.connect() as conn:
            # Idempotent: `./natres up` calls this on every start.
            loaded = await conn.scalar(text("SELECT count(*) FROM transactions.listings WHERE title LIKE '演示：%'"))
            if loaded:
                print(f"demo: {loaded} demo listings already present; nothing to do")
                return
            units = (await conn.execute(text(_FREE_UNITS))).mappings().all()
        if not units:
            print("demo: no free current unit in registry.units; load the registry demo data first")
            raise SystemExit(2)
        now = datetime.now(UTC)
        made = []
        # 1. 挂牌 closing in 40 s: two quotes, then concluded, contract signed, result published.
        quick = await _listing(trading, admin, units[0]["id"], "演示：挂牌出让（已成交、已公示）", "listing", now,
                               listing_end=now + timedelta(seconds=75), registration_end=now + timedelta(seconds=60),
                               deposit_deadline=now + timedelta(seconds=55))
        made.append(quick)
        if len(units) > 1:
            made.append(await _listing(trading, admin, units[1]["id"], "演示：挂牌出让（竞价中）", "listing", now,
                                       listing_end=now + timedelta(days=3), registration_end=now + timedelta(days=2),
                                       deposit_deadline=now + timedelta(days=2)))
        if len(units) > 2:
            made.append(await _listing(trading, admin, units[2]["id"], "演示：拍卖出让（报名中）", "auction", now,
                                       listing_end=now + timedelta(days=5), registration_end=now + timedelta(days=2),
                                       deposit_deadline=now + timedelta(days=2),
                                       bidding_start=now + timedelta(days=3)))
        await _await_marks(trading, made, assume_marked=assume_marked)
        for row in made:
            await _wait_state(trading, row.id, ("registration", "bidding"))
        for row in made:
            for who in (a, b):
                reg = await bidders.register(trading=trading, listing_id=row.id, principal=who, client_ip="127.0.0.1")
                body, headers = signed_notice(secret=trading.bank_secret, listing_id=row.id, registration_id=reg.id,
                                              amount=row.deposit)
                await bidders.confirm_deposit(trading=trading, body=body, headers=headers)
                if row.method == "listing":
                    await bidders.qualify(trading=trading, listing_id=row.id, registration_id=reg.id, actor=admin)
            if row.method == "listing":
                await place_bid(trading=trading, listing_id=row.id, principal=a, amount=row.start_price,
                                idempotency_key="demo-1", client_ip="127.0.0.1")
                await place_bid(trading=trading, listing_id=row.id, principal=b,
                                amount=row.start_price + row.increment * 8, idempotency_key="demo-2",
                                client_ip="127.0.0.1")
        print("demo: waiting for the quick 挂牌 to close (about a minute) ...")
        await _wait_state(trading, quick.id, ("concluded", "failed"), timeout=90)
        await sign_contract(trading=trading, listing_id=quick.id, contract_no="晋出让合同(演示)001", actor=admin)
        await publish_result(trading=trading, listing_id=quick.id, actor=admin)
        async with trading.uow() as uow:
            for row in made:
                now_row = await listings.load(uow, listing_id=row.id)
                print(f"demo: {now_row.id}  {now_row.state:<13} {now_row.method:<8} {now_row.title}")
    finally:
        await trading.aclose()


async def _listing(trading: Trading, admin: Any, unit_id: str, title: str, method: str, now: datetime,
                   **times: datetime) -> Any:
    data = ListingCreate(
        title=title, unit_id=unit_id, right_type="state_construction_land_use", method=method,
        land_use="industrial", term_years=50, announcement_at=now - timedelta(days=40),
        registration_start=now - timedelta(days=39), listing_start=now - timedelta(days=20),
        start_price=Decimal("3000000.00"), increment=Decimal("50000.00"), reserve_price=Decimal("3200000.00"),
        deposit=Decimal("600000.00"), **times,
    )
    row = await listings.create_listing(trading=trading, data=data, actor=admin)
    return await listings.change_state(trading=trading, listing_id=row.id, event=Transition.ANNOUNCED, actor=admin)


async def _await_marks(trading: Trading, rows: list[Any], *, assume_marked: bool) -> None:
    """Wait up to 10 s for the registry's trade marks (relay → registry → our consumer)."""
    pending = {row.id: row for row in rows}
    for _ in range(20):
        async with trading.uow() as uow:
            for listing_id in list(pending):
                if (await listings.load(uow, listing_id=listing_id)).unit_marked_at is not None:
                    del pending[listing_id]
        if not pending:
            return
        await asyncio.sleep(0.5)
    if not assume_marked:
        raise SystemExit("demo: the registry has not marked the units in trade (is the registry worker running?); "
                         "rerun with --assume-registry-marked to apply the marks locally")
    for row in pending.values():
        event = CloudEvent.create(source="/natres/demo", type=TRADE_MARKED, subject=row.unit_id,
                                  data={"unit_id": row.unit_id, "listing_id": row.id}, actor="demo")
        async with trading.uow() as uow:
            await on_trade_marked(uow, event)
            await uow.commit()


async def _wait_state(trading: Trading, listing_id: str, states: tuple[str, ...], timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        await run_due(trading=trading)
        async with trading.uow() as uow:
            if (await listings.load(uow, listing_id=listing_id)).state in states:
                return
        await asyncio.sleep(0.5)
    raise SystemExit(f"demo: listing {listing_id} did not reach {states}")
