"""Trading calendar endpoints: read it, enter a holiday notice, declare a year complete."""

from __future__ import annotations

import chinese_calendar
from fastapi import APIRouter, Path

from natres_platform.security import CurrentPrincipal

from transactions.calendar import repository, service
from transactions.calendar.schemas import CalendarRead, HolidayOverride, HolidayOverrideRead
from transactions.dependencies import TradingAdmin, TradingDep
from transactions.regions import require_province

router = APIRouter(prefix="/api/v1/trading-calendar", tags=["calendar 工作日历"])


@router.get("", response_model=CalendarRead, summary="The trading calendar beyond chinese-calendar")
async def read_calendar(trading: TradingDep, _: CurrentPrincipal) -> CalendarRead:
    """Entered days, declared years, and the years the library itself covers."""
    async with trading.uow() as uow:
        days = await repository.overrides(uow.session)
        years = await repository.declared_years(uow.session)
    library = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    return CalendarRead(overrides=[HolidayOverrideRead(**d._mapping) for d in days], declared_years=years,
                        library_years=library)


@router.put("/overrides", summary="Enter days of a State Council holiday notice (province trading admin)")
async def set_overrides(body: list[HolidayOverride], trading: TradingDep, admin: TradingAdmin) -> dict[str, int]:
    """Entered days win over chinese-calendar, e.g. 2027 before the library knows it."""
    require_province(admin)
    return {"saved": await service.set_overrides(trading=trading, days=body, actor=admin)}


@router.put("/years/{year}", summary="Declare a year's notice entered in full (province trading admin)")
async def declare_year(trading: TradingDep, admin: TradingAdmin,
                       year: int = Path(ge=2000, le=2100)) -> dict[str, object]:
    """Schedules counted in that year stop being provisional."""
    require_province(admin)
    await service.declare_year(trading=trading, year=year, actor=admin)
    return {"year": year, "declared": True}
