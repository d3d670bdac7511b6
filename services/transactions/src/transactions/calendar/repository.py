"""Holiday overrides and declared years, and the WorkdayCalendar built from them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from natres_platform.workdays import WorkdayCalendar


async def load_calendar(session: AsyncSession) -> WorkdayCalendar:
    """chinese-calendar, with the entered days winning and the declared years no longer guessed."""
    overrides = {
        r.day: r.is_workday
        for r in await session.execute(text("SELECT day, is_workday FROM transactions.holiday_overrides"))
    }
    years = [r.year for r in await session.execute(text("SELECT year FROM transactions.calendar_years"))]
    return WorkdayCalendar(overrides=overrides, covered_years=years)


async def set_override(session: AsyncSession, *, day: date, is_workday: bool, note: str | None, actor: str) -> None:
    """Insert or replace one day's status."""
    await session.execute(
        text(
            "INSERT INTO transactions.holiday_overrides (day, is_workday, note, set_by) VALUES (:d, :w, :n, :a) "
            "ON CONFLICT (day) DO UPDATE SET is_workday = EXCLUDED.is_workday, note = EXCLUDED.note, "
            "set_by = EXCLUDED.set_by, set_at = now()"
        ),
        {"d": day, "w": is_workday, "n": note, "a": actor},
    )


async def declare_year(session: AsyncSession, *, year: int, actor: str) -> None:
    """Mark a year's notice as entered in full."""
    await session.execute(
        text("INSERT INTO transactions.calendar_years (year, declared_by) VALUES (:y, :a) ON CONFLICT DO NOTHING"),
        {"y": year, "a": actor},
    )


async def overrides(session: AsyncSession) -> Sequence[Any]:
    """Every entered day, in date order."""
    return (await session.execute(text(
        "SELECT day, is_workday, note, set_by, set_at FROM transactions.holiday_overrides ORDER BY day"))).all()


async def declared_years(session: AsyncSession) -> list[int]:
    """Years entered in full."""
    return [r.year for r in await session.execute(text("SELECT year FROM transactions.calendar_years ORDER BY year"))]
