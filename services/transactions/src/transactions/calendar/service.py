"""Entering a holiday notice: the days and the declared year, each change an event (全过程留痕)."""

from __future__ import annotations

from collections.abc import Sequence

from natres_platform.auth import Principal
from natres_platform.events import CloudEvent

from transactions.calendar import repository
from transactions.calendar.schemas import HolidayOverride
from transactions.events import SOURCE
from transactions.trading import Trading

CALENDAR_CHANGED = "transactions.calendar.changed.v1"
SUBJECT = "trading-calendar"


async def set_overrides(*, trading: Trading, days: Sequence[HolidayOverride], actor: Principal) -> int:
    """Insert or replace the given days."""
    async with trading.uow() as uow:
        for d in days:
            await repository.set_override(uow.session, day=d.day, is_workday=d.is_workday, note=d.note,
                                          actor=actor.subject)
        uow.record(CloudEvent.create(
            source=SOURCE, type=CALENDAR_CHANGED, subject=SUBJECT, actor=actor.subject, region=actor.region,
            data={"days": [{"day": d.day.isoformat(), "is_workday": d.is_workday, "note": d.note} for d in days]},
        ))
        await uow.commit()
    return len(days)


async def declare_year(*, trading: Trading, year: int, actor: Principal) -> None:
    """The year's notice is entered in full: its deadlines stop being provisional."""
    async with trading.uow() as uow:
        await repository.declare_year(uow.session, year=year, actor=actor.subject)
        uow.record(CloudEvent.create(
            source=SOURCE, type=CALENDAR_CHANGED, subject=SUBJECT, actor=actor.subject, region=actor.region,
            data={"declared_year": year},
        ))
        await uow.commit()
