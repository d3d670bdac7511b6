"""Deposit outcomes: the winner's becomes 定金 (forfeited on default), every other received deposit is refunded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from natres_platform.uow import UnitOfWork

from transactions.bidders.models import registrations
from transactions.events import listing_event

r = registrations


async def refund_all(
    *,
    uow: UnitOfWork,
    listing: Any,
    actor: str,
    now: datetime,
    reason: str,
    except_registration: str | None = None,
    only_registration: str | None = None,
) -> int:
    """Refund (without interest) every received deposit of the listing but the winner's; one event each."""
    stmt = (
        update(r)
        .where(r.c.listing_id == listing.id, r.c.deposit_status == "received")
        .values(deposit_status="refunded")
        .returning(r.c.id, r.c.bidder_number, r.c.deposit_amount, r.c.bank_reference)
    )
    if except_registration is not None:
        stmt = stmt.where(r.c.id != except_registration)
    if only_registration is not None:
        stmt = stmt.where(r.c.id == only_registration)
    rows = (await uow.session.execute(stmt)).all()
    for row in rows:
        uow.record(listing_event(
            type="transactions.deposit.refunded.v1", listing=listing, actor=actor,
            data={"registration_id": row.id, "bidder_number": row.bidder_number, "amount": row.deposit_amount,
                  "bank_reference": row.bank_reference, "reason": reason, "refunded_at": now},
        ))
    return len(rows)


async def convert_to_earnest_money(
    *, uow: UnitOfWork, listing: Any, registration_id: str, actor: str, now: datetime
) -> None:
    """The winner's deposit becomes 定金 (forfeited if the winner defaults)."""
    row = (
        await uow.session.execute(
            update(r)
            .where(r.c.id == registration_id, r.c.deposit_status == "received")
            .values(deposit_status="earnest_money")
            .returning(r.c.id, r.c.bidder_number, r.c.deposit_amount)
        )
    ).first()
    if row is not None:
        uow.record(listing_event(
            type="transactions.deposit.converted.v1", listing=listing, actor=actor,
            data={"registration_id": row.id, "bidder_number": row.bidder_number, "amount": row.deposit_amount,
                  "converted_at": now},
        ))


async def forfeit(*, uow: UnitOfWork, listing: Any, registration_id: str, actor: str, now: datetime,
                  reason: str) -> Any:
    """违约: the winner's deposit (定金) is not returned; returns the row changed, or None."""
    row = (
        await uow.session.execute(
            update(r)
            .where(r.c.id == registration_id, r.c.deposit_status.in_(("received", "earnest_money")))
            .values(deposit_status="forfeited")
            .returning(r.c.id, r.c.bidder_number, r.c.deposit_amount)
        )
    ).first()
    if row is not None:
        uow.record(listing_event(
            type="transactions.deposit.forfeited.v1", listing=listing, actor=actor,
            data={"registration_id": row.id, "bidder_number": row.bidder_number, "amount": row.deposit_amount,
                  "reason": reason, "forfeited_at": now},
        ))
    return row
