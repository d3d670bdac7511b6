"""Working-day arithmetic against the 2026 State Council notice and an admin table for 2027."""

from datetime import date

import pytest

from natres_platform.workdays import Deadline, WorkdayCalendar

CAL = WorkdayCalendar()


def test_make_up_saturday_is_a_workday():
    assert date(2026, 10, 10).weekday() == 5
    assert CAL.is_workday(date(2026, 10, 10))
    assert not CAL.is_provisional(date(2026, 10, 10))


def test_national_day_week_2026_is_skipped():
    assert not any(CAL.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert CAL.add_working_days(start=date(2026, 9, 30), days=1) == Deadline(date(2026, 10, 8), False)
    # 10-08, 10-09, then the make-up Saturday 10-10
    assert CAL.add_working_days(start=date(2026, 9, 30), days=3).due == date(2026, 10, 10)
    assert CAL.add_working_days(start=date(2026, 9, 30), days=4).due == date(2026, 10, 12)


def test_spring_festival_2026_is_skipped():
    assert CAL.add_working_days(start=date(2026, 2, 13), days=1).due == date(2026, 2, 14)
    assert CAL.add_working_days(start=date(2026, 2, 13), days=2).due == date(2026, 2, 24)


def test_start_day_is_not_counted_and_zero_days_is_the_same_day():
    assert CAL.add_working_days(start=date(2026, 3, 2), days=1).due == date(2026, 3, 3)
    assert CAL.add_working_days(start=date(2026, 3, 2), days=0) == Deadline(date(2026, 3, 2), False)


def test_statutory_30_days_from_december_reaches_2027_and_is_provisional():
    deadline = CAL.add_working_days(start=date(2026, 12, 1), days=30)
    # 22 working days left in December 2026, then 2027-01-01 (a Friday, guessed workday) ...
    assert deadline == Deadline(date(2027, 1, 12), True)


def test_admin_table_for_2027_makes_the_deadline_official():
    cal = WorkdayCalendar(overrides={date(2027, 1, 1): False}, covered_years={2027})
    assert not cal.is_workday(date(2027, 1, 1))
    assert not cal.is_provisional(date(2027, 1, 4))
    assert cal.add_working_days(start=date(2026, 12, 1), days=30) == Deadline(date(2027, 1, 13), False)


def test_override_without_covered_year_leaves_other_days_provisional():
    cal = WorkdayCalendar(overrides={date(2027, 1, 1): False})
    assert not cal.is_provisional(date(2027, 1, 1))
    assert cal.is_provisional(date(2027, 1, 4))
    assert cal.add_working_days(start=date(2026, 12, 31), days=1) == Deadline(date(2027, 1, 4), True)


def test_override_wins_over_the_library():
    cal = WorkdayCalendar(overrides={date(2026, 10, 10): False, date(2026, 10, 11): True})
    assert not cal.is_workday(date(2026, 10, 10))
    assert cal.is_workday(date(2026, 10, 11))


def test_paused_public_notice_days_do_not_count():
    plain = CAL.add_working_days(start=date(2026, 3, 2), days=5)
    paused = CAL.add_working_days(
        start=date(2026, 3, 2), days=5, paused=[(date(2026, 3, 4), date(2026, 3, 6))]
    )
    assert plain.due == date(2026, 3, 9)
    assert paused.due == date(2026, 3, 12)


def test_paused_days_in_an_unknown_year_do_not_make_the_deadline_provisional():
    deadline = CAL.add_working_days(
        start=date(2026, 12, 30), days=1, paused=[(date(2026, 12, 31), date(2027, 1, 31))]
    )
    assert deadline.due == date(2027, 2, 1)
    assert deadline.provisional  # 2027-02-01 itself is a guess


def test_reversed_pause_and_negative_days_are_rejected():
    with pytest.raises(ValueError):
        CAL.add_working_days(start=date(2026, 3, 2), days=1, paused=[(date(2026, 3, 5), date(2026, 3, 4))])
    with pytest.raises(ValueError):
        CAL.add_working_days(start=date(2026, 3, 2), days=-1)


def test_working_days_between_counts_start_exclusive_end_inclusive():
    assert CAL.working_days_between(start=date(2026, 9, 30), end=date(2026, 10, 12)) == (4, False)
    assert CAL.working_days_between(start=date(2026, 10, 12), end=date(2026, 9, 30)) == (-4, False)
    assert CAL.working_days_between(start=date(2026, 3, 2), end=date(2026, 3, 2)) == (0, False)
    assert CAL.working_days_between(start=date(2026, 12, 30), end=date(2027, 1, 4)) == (3, True)
