"""Read-only access to the registry's sellable units (the registry owns them; we never write)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from transactions.listings.errors import UnitNotFound, UnitNotTradable

log = logging.getLogger(__name__)

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
_FALLBACK = "registry.units"


@dataclass(frozen=True)
class UnitForTrade:
    """What the trading rules need to know about a registry unit."""

    id: str
    code: str
    county_code: str
    layer: str
    kind: str
    status: str
    area_m2: Decimal
    in_trade_listing_id: str | None
    has_seizure: bool
    has_objection: bool
    has_advance_notice: bool
    # False only when read from the bare units table (restrictions unknown: see load_unit).
    restrictions_known: bool = True


async def load_unit(session: AsyncSession, *, unit_id: str, view: str) -> UnitForTrade | None:
    """The unit as the registry's `units_for_trade` view shows it, or None if it does not exist."""
    if not _IDENT.match(view):
        raise ValueError(f"units view must be schema.name, got {view!r}")
    cols = "id::text AS id, code, county_code, layer, kind, status, area_m2, in_trade_listing_id"
    try:
        # A savepoint, so that a missing view does not abort the caller's transaction.
        async with session.begin_nested():
            row = (
                await session.execute(
                    text(f"SELECT {cols}, has_seizure, has_objection, has_advance_notice FROM {view} "
                         "WHERE id = CAST(:id AS uuid)"),
                    {"id": unit_id},
                )
            ).mappings().first()
        return UnitForTrade(**row) if row else None
    except ProgrammingError as exc:
        if "does not exist" not in str(exc.orig):
            raise
    # Interim fallback while the registry view is being built: the bare table carries no
    # restriction flags, so 查封/异议/预告 cannot be checked here; say so loudly.
    log.warning("units view missing; restrictions not checked", extra={"view": view, "unit_id": unit_id})
    row = (
        await session.execute(text(f"SELECT {cols} FROM {_FALLBACK} WHERE id = CAST(:id AS uuid)"), {"id": unit_id})
    ).mappings().first()
    if row is None:
        return None
    return UnitForTrade(**row, has_seizure=False, has_objection=False, has_advance_notice=False,
                        restrictions_known=False)


def check_tradable(unit: UnitForTrade | None, *, unit_id: str) -> UnitForTrade:
    """Raise unless the unit exists, is current, free and carries no blocking restriction."""
    if unit is None:
        raise UnitNotFound(f"登记单元 {unit_id} 不存在", unit_id=unit_id)
    reasons = []
    if unit.status != "current":
        reasons.append({"code": "unit.not_current", "message": f"登记单元状态为 {unit.status}，非现势"})
    if unit.in_trade_listing_id:
        reasons.append({"code": "unit.in_trade", "message": "登记单元已在交易中"})
    for flag, code, label in (
        ("has_seizure", "unit.seized", "查封"),
        ("has_objection", "unit.objection", "异议登记"),
        ("has_advance_notice", "unit.advance_notice", "预告登记"),
    ):
        if getattr(unit, flag):
            reasons.append({"code": code, "message": f"登记单元存在{label}"})
    if reasons:
        raise UnitNotTradable("登记单元不满足交易条件: " + "；".join(r["message"] for r in reasons),
                              unit_id=unit_id, reasons=reasons)
    return unit
