"""The working-day calendar with the admin's holiday overrides from the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy.ext.asyncio import AsyncSession

from natres_platform.calendar_store import CalendarStore

BEIJING = timezone(timedelta(hours=8))
_STORE = CalendarStore("registry")

load_calendar = _STORE.load_calendar
set_override = _STORE.set_override
declare_year = _STORE.declare_year


def today_beijing(now: datetime | None = None) -> date:
    """The office date: registration days are counted in China Standard Time."""
    return (now or datetime.now(UTC)).astimezone(BEIJING).date()


async def list_overrides(session: AsyncSession) -> list[dict]:
    """Every override, by day."""
    return [dict(r._mapping) for r in await _STORE.overrides(session)]
