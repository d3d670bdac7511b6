"""Settlement deadlines in working days after the conclusion (and after publication), and the next one due."""

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


def shown_until(
    *, calendar: WorkdayCalendar, right_type: str, published_at: datetime, settings: Any
) -> tuple[datetime, bool]:
    """结果公示: the instant the result may stop being shown, and whether a day counted was a guess."""
    # Counted like the other deadlines: the publication day itself is not a working day of the
    # period, so the result is shown for at least the full N working days after it.
    days = (settings.result_shown_working_days_mining if RightType(right_type).is_mineral
            else settings.result_shown_working_days_land)
    deadline = calendar.add_working_days(start=local_date(published_at), days=days)
    return end_of(deadline.due), deadline.provisional


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
