"""Chinese working days: official holidays, make-up workdays and admin-entered notices."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import chinese_calendar

__all__ = ["Deadline", "WorkdayCalendar"]

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Deadline:
    """A due date; provisional when a day counted lies in a year with no official holiday data."""

    due: date
    provisional: bool


@cache
def _library_covers(year: int) -> bool:
    """Whether chinese-calendar ships the State Council notice for this year."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class WorkdayCalendar:
    """Working days: admin overrides first, then chinese-calendar, else Monday-Friday (provisional)."""

    def __init__(
        self,
        *,
        overrides: Mapping[date, bool] | None = None,
        covered_years: Iterable[int] = (),
    ) -> None:
        # Overrides are the State Council notice days an admin typed in (True = workday):
        # they win over the library so a late correction or a new year can be entered.
        self._overrides = dict(overrides or {})
        self._covered_years = frozenset(covered_years)

    def is_workday(self, day: date) -> bool:
        """Whether offices work on this day."""
        if day in self._overrides:
            return self._overrides[day]
        if _library_covers(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def is_provisional(self, day: date) -> bool:
        """Whether this day's status is a Monday-Friday guess rather than official data."""
        if day in self._overrides:
            return False
        return not (_library_covers(day.year) or day.year in self._covered_years)

    def add_working_days(
        self,
        *,
        start: date,
        days: int,
        paused: Iterable[tuple[date, date]] = (),
    ) -> Deadline:
        """The day the `days`-th working day after `start` falls on, skipping paused intervals."""
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        intervals = _check_intervals(paused)
        day, counted, provisional = start, 0, False
        while counted < days:
            day += _ONE_DAY
            # Days inside a 公告 period do not run the clock whatever their status,
            # so a guess about them cannot move the deadline.
            if any(low <= day <= high for low, high in intervals):
                continue
            provisional = provisional or self.is_provisional(day)
            if self.is_workday(day):
                counted += 1
        return Deadline(due=day, provisional=provisional)

    def working_days_between(self, *, start: date, end: date) -> tuple[int, bool]:
        """Working days in (start, end] and whether any day in it is provisional; negative if end < start."""
        sign = 1
        if end < start:
            start, end, sign = end, start, -1
        count, provisional = 0, False
        day = start + _ONE_DAY
        while day <= end:
            provisional = provisional or self.is_provisional(day)
            if self.is_workday(day):
                count += 1
            day += _ONE_DAY
        return sign * count, provisional


def _check_intervals(paused: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Paused [from, to] intervals, both ends included; reject reversed ones."""
    intervals = list(paused)
    for low, high in intervals:
        if high < low:
            raise ValueError(f"paused interval ends before it starts: {low} > {high}")
    return intervals
