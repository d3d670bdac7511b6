"""Settlement deadlines in working days after the conclusion, and which one the scheduler waits for next."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from natres_platform.workdays import WorkdayCalendar

from transactions.listings.terms import LOCAL_TZ, RightType, local_date


def end_of(day: date) -> datetime:
    """The instant a due date ends: midnight after it, China Standard Time."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL_TZ).astimezone(UTC)


def due_dates(
    *, calendar: WorkdayCalendar, right_type: str, concluded_at: datetime, settings: Any
) -> dict[str, datetime]:
    """成交确认书 (2 / 3 working days), 出让合同 and 结果公示 (10 / 5 working days) due instants."""
    day = local_date(concluded_at)
    mining = RightType(right_type).is_mineral

    def due(days: int) -> datetime:
        return end_of(calendar.add_working_days(start=day, days=days).due)

    return {
        "confirmation_due_at": due(settings.confirmation_working_days_mining if mining
                                   else settings.confirmation_working_days_land),
        "contract_due_at": due(settings.contract_working_days),
        "publication_due_at": due(settings.publication_working_days_mining if mining
                                  else settings.publication_working_days_land),
    }


def next_deadline(listing: Mapping[str, Any]) -> datetime | None:
    """The earliest deadline still pending (not met, not yet acted on), or None."""
    pending = []
    if listing.get("confirmation_signed_at") is None and listing.get("confirmation_alerted_at") is None:
        pending.append(listing.get("confirmation_due_at"))
    if listing.get("published_at") is None and listing.get("publication_alerted_at") is None:
        pending.append(listing.get("publication_due_at"))
    if listing.get("contract_signed_at") is None and listing.get("defaulted_at") is None:
        pending.append(listing.get("contract_due_at"))
    return min((d for d in pending if d is not None), default=None)
