"""Holiday overrides and declared years of the trading calendar (shared code, this service's tables)."""

from __future__ import annotations

from natres_platform.calendar_store import CalendarStore

_STORE = CalendarStore("transactions")

load_calendar = _STORE.load_calendar
set_override = _STORE.set_override
declare_year = _STORE.declare_year
overrides = _STORE.overrides
declared_years = _STORE.declared_years
