"""The working-day calendar with the admin's holiday overrides from the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from natres_platform.workdays import WorkdayCalendar

BEIJING = timezone(timedelta(hours=8))


def today_beijing(now: datetime | None = None) -> date:
    """The office date: registration days are counted in China Standard Time."""
    return (now or datetime.now(UTC)).astimezone(BEIJING).date()


async def load_calendar(session: AsyncSession) -> WorkdayCalendar:
    """chinese-calendar plus the overrides and fully-declared years an admin entered."""
    overrides = {
        r.day: r.is_workday
        for r in await session.execute(text("SELECT day, is_workday FROM registry.holiday_overrides"))
    }
    years = [r.year for r in await session.execute(text("SELECT year FROM registry.calendar_years"))]
    return WorkdayCalendar(overrides=overrides, covered_years=years)


async def set_override(session: AsyncSession, *, day: date, is_workday: bool, note: str | None, actor: str) -> None:
    """Insert or replace one day's status."""
    await session.execute(
        text(
            "INSERT INTO registry.holiday_overrides (day, is_workday, note, set_by) VALUES (:d, :w, :n, :a) "
            "ON CONFLICT (day) DO UPDATE SET is_workday = EXCLUDED.is_workday, note = EXCLUDED.note, "
            "set_by = EXCLUDED.set_by, set_at = now()"
        ),
        {"d": day, "w": is_workday, "n": note, "a": actor},
    )


async def declare_year(session: AsyncSession, *, year: int, actor: str) -> None:
    """Mark a year's State Council notice as fully entered (its deadlines stop being provisional)."""
    await session.execute(
        text("INSERT INTO registry.calendar_years (year, declared_by) VALUES (:y, :a) ON CONFLICT DO NOTHING"),
        {"y": year, "a": actor},
    )


async def list_overrides(session: AsyncSession) -> list[dict]:
    """Every override, by day."""
    rows = await session.execute(
        text("SELECT day, is_workday, note, set_by, set_at FROM registry.holiday_overrides ORDER BY day")
    )
    return [dict(r) for r in rows.mappings()]
