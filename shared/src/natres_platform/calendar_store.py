"""The admin-entered holiday overrides of one service's schema, and the WorkdayCalendar built from them.

Each service keeps its own `holiday_overrides (day, is_workday, note, set_by, set_at)` and
`calendar_years (year, declared_by)` tables (it writes only its own schema); the code is one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from natres_platform.workdays import WorkdayCalendar

_SCHEMA = re.compile(r"[a-z_][a-z0-9_]*")


class CalendarStore:
    """Reads and writes the two calendar tables of `schema`."""

    def __init__(self, schema: str) -> None:
        if not _SCHEMA.fullmatch(schema):
            raise ValueError(f"not a plain schema name: {schema!r}")
        self.schema = schema

    async def load_calendar(self, session: AsyncSession) -> WorkdayCalendar:
        """chinese-calendar, with the entered days winning and the declared years no longer provisional."""
        overrides = {
            r.day: r.is_workday
            for r in await session.execute(text(f"SELECT day, is_workday FROM {self.schema}.holiday_overrides"))
        }
        return WorkdayCalendar(overrides=overrides, covered_years=await self.declared_years(session))

    async def set_override(self, session: AsyncSession, *, day: date, is_workday: bool, note: str | None, actor: str) -> None:
        """Insert or replace one day's status."""
        await session.execute(
            text(
                f"INSERT INTO {self.schema}.holiday_overrides (day, is_workday, note, set_by) VALUES (:d, :w, :n, :a) "
                "ON CONFLICT (day) DO UPDATE SET is_workday = EXCLUDED.is_workday, note = EXCLUDED.note, "
                "set_by = EXCLUDED.set_by, set_at = now()"
            ),
            {"d": day, "w": is_workday, "n": note, "a": actor},
        )

    async def declare_year(self, session: AsyncSession, *, year: int, actor: str) -> None:
        """Mark a year's State Council notice as entered in full (its days stop being provisional)."""
        await session.execute(
            text(f"INSERT INTO {self.schema}.calendar_years (year, declared_by) VALUES (:y, :a) ON CONFLICT DO NOTHING"),
            {"y": year, "a": actor},
        )

    async def overrides(self, session: AsyncSession) -> Sequence[Any]:
        """Every entered day, in date order."""
        return (
            await session.execute(
                text(f"SELECT day, is_workday, note, set_by, set_at FROM {self.schema}.holiday_overrides ORDER BY day")
            )
        ).all()

    async def declared_years(self, session: AsyncSession) -> list[int]:
        """Years entered in full."""
        rows = await session.execute(text(f"SELECT year FROM {self.schema}.calendar_years ORDER BY year"))
        return [r.year for r in rows]
