"""The "in trade" mark on a unit (交易中): set when a listing is announced, lifted when it ends."""

from __future__ import annotations

from sqlalchemy import text

from natres_platform.uow import UnitOfWork
from registry.errors import TradeMarkConflict, UnitCancelled, UnitNotCurrent, UnitNotFound
from registry.events import registry_event
from registry.units import repository as units_repo


async def mark(uow: UnitOfWork, *, unit_id: str, listing_id: str, actor: str) -> bool:
    """Mark the unit for the listing; False when it already was (a redelivery changes nothing)."""
    unit = await units_repo.get_unit(uow.session, unit_id=unit_id, with_geometry=False, lock=True)
    if unit is None:
        raise UnitNotFound(f"登记单元 {unit_id} 不存在", unit_id=unit_id, listing_id=listing_id)
    if unit["in_trade_listing_id"] == listing_id:
        return False
    if unit["status"] != "current":  # cancelled or split / merged away: nothing to trade
        error = UnitCancelled if unit["status"] == "cancelled" else UnitNotCurrent
        raise error(f"登记单元 {unit['code']} 不是现势单元（{unit['status']}），不能标记交易", unit_id=unit_id,
                    listing_id=listing_id, status=unit["status"])
    if unit["in_trade_listing_id"] is not None:
        raise TradeMarkConflict(
            f"登记单元 {unit['code']} 已由交易项目 {unit['in_trade_listing_id']} 标记",
            unit_id=unit_id, listing_id=listing_id, other_listing_id=unit["in_trade_listing_id"],
        )
    inserted = await uow.session.scalar(
        text(
            "INSERT INTO registry.trade_marks (listing_id, unit_id) VALUES (:l, :u) "
            "ON CONFLICT (listing_id) DO NOTHING RETURNING listing_id"
        ),
        {"l": listing_id, "u": unit_id},
    )
    if inserted is None:
        return False  # this listing was marked and already ended: a stale announcement must not revive it
    await uow.session.execute(
        text("UPDATE registry.units SET in_trade_listing_id = :l, updated_at = now() WHERE id = :u"),
        {"l": listing_id, "u": unit_id},
    )
    await units_repo.record_map_change(uow.session, scope="units_in_trade")
    uow.record(
        registry_event(type="unit.trade_marked", subject=unit_id,
                       data={"unit_id": unit_id, "listing_id": listing_id, "unit_code": unit["code"]},
                       actor=actor, region=unit["county_code"])
    )
    return True


async def clear_mark(uow: UnitOfWork, *, unit_id: str, listing_id: str, reason: str, actor: str,
                     region: str | None = None) -> bool:
    """Lift the listing's mark; False when there was nothing to lift."""
    unit = await units_repo.get_unit(uow.session, unit_id=unit_id, with_geometry=False, lock=True)
    if unit is None:
        raise UnitNotFound(f"登记单元 {unit_id} 不存在", unit_id=unit_id, listing_id=listing_id)
    closed = await uow.session.scalar(
        text(
            "UPDATE registry.trade_marks SET cleared_at = now(), clear_reason = :r "
            "WHERE listing_id = :l AND cleared_at IS NULL RETURNING listing_id"
        ),
        {"l": listing_id, "r": reason},
    )
    if unit["in_trade_listing_id"] != listing_id:
        if closed is None:
            # A failure arriving before its announcement: remember the listing ended, so the
            # late announcement does not mark the unit.
            await uow.session.execute(
                text(
                    "INSERT INTO registry.trade_marks (listing_id, unit_id, cleared_at, clear_reason) "
                    "VALUES (:l, :u, now(), :r) ON CONFLICT (listing_id) DO NOTHING"
                ),
                {"l": listing_id, "u": unit_id, "r": reason},
            )
        return False
    await uow.session.execute(
        text("UPDATE registry.units SET in_trade_listing_id = NULL, updated_at = now() WHERE id = :u"), {"u": unit_id}
    )
    await units_repo.record_map_change(uow.session, scope="units_in_trade")
    uow.record(
        registry_event(type="unit.trade_cleared", subject=unit_id,
                       data={"unit_id": unit_id, "listing_id": listing_id, "reason": reason, "unit_code": unit["code"]},
                       actor=actor, region=region or unit["county_code"])
    )
    return True
