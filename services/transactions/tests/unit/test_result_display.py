"""结果公示 display period: working days after the publication day, per right type, from settings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from natres_platform.workdays import WorkdayCalendar

from transactions.settings import TransactionsSettings
from transactions.settlement.deadlines import end_of, shown_until

CST = ZoneInfo("Asia/Shanghai")


def _settings(**overrides) -> TransactionsSettings:
    return TransactionsSettings(**overrides)


def test_mining_results_stay_shown_ten_working_days_across_national_day():
    # Published Wed 30 Sep 2026, 23:30 Beijing time (still that day, 15:30 UTC): 1-7 Oct are holidays
    # and Sat 10 Oct a make-up workday, so the 10th working day after it is Tue 20 Oct.
    published = datetime(2026, 9, 30, 23, 30, tzinfo=CST).astimezone(UTC)
    until, provisional = shown_until(calendar=WorkdayCalendar(), right_type="mining_right", published_at=published,
                                     settings=_settings())
    assert until == end_of(date(2026, 10, 20)) == datetime(2026, 10, 20, 16, 0, tzinfo=UTC)
    assert provisional is False


def test_land_follows_its_own_setting_and_exploration_rights_count_as_mining():
    published = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Mon 2 Nov, 10:00 Beijing time
    s = _settings(result_shown_working_days_land=5)
    land, _ = shown_until(calendar=WorkdayCalendar(), right_type="state_construction_land_use",
                          published_at=published, settings=s)
    exploration, _ = shown_until(calendar=WorkdayCalendar(), right_type="exploration_right",
                                 published_at=published, settings=s)
    assert land == end_of(date(2026, 11, 9))
    assert exploration == end_of(date(2026, 11, 16))


def test_a_period_reaching_a_year_without_holiday_data_is_provisional():
    published = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)
    _, provisional = shown_until(calendar=WorkdayCalendar(), right_type="mining_right", published_at=published,
                                 settings=_settings())
    assert provisional is True


def test_mining_results_cannot_be_configured_below_ten_working_days():
    with pytest.raises(ValidationError):
        _settings(result_shown_working_days_mining=9)
