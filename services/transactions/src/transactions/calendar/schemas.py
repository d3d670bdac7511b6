"""API shapes of the trading calendar."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class HolidayOverride(BaseModel):
    """One day of a State Council notice: a holiday (false) or a make-up workday (true)."""

    model_config = ConfigDict(extra="forbid")

    day: date
    is_workday: bool
    note: str | None = Field(default=None, max_length=200)


class HolidayOverrideRead(HolidayOverride):
    """An entered day, with who entered it."""

    set_by: str
    set_at: datetime


class CalendarRead(BaseModel):
    """What the trading calendar knows beyond chinese-calendar."""

    overrides: list[HolidayOverrideRead]
    declared_years: list[int]
    library_years: list[int] = Field(description="years chinese-calendar itself covers")
