"""Listing terms: every schedule, term and price rule, with boundaries on local dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from natres_platform.workdays import WorkdayCalendar

from transactions.listings.rules import (
    LandUse,
    ListingTerms,
    Method,
    RightType,
    TermsInvalid,
    TooFewBidders,
    TradingRules,
    check_can_proceed,
    max_term_years,
    minimum_qualified,
    money_problem,
    validate_terms,
)

CST = ZoneInfo("Asia/Shanghai")
RULES = TradingRules()
CAL = WorkdayCalendar()


def cst(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=CST).astimezone(UTC)


def land_listing(**changes) -> ListingTerms:
    # 挂牌 28 Sep - 15 Oct 2026: exactly 10 working days across Mid-Autumn / National Day.
    base = ListingTerms(
        right_type=RightType.STATE_CONSTRUCTION_LAND_USE,
        method=Method.LISTING,
        land_use=LandUse.RESIDENTIAL,
        term_years=70,
        announcement_at=cst(2026, 9, 1, 10),
        registration_start=cst(2026, 9, 2),
        registration_end=cst(2026, 10, 13, 17),
        deposit_deadline=cst(2026, 10, 13, 17),
        listing_start=cst(2026, 9, 28),
        listing_end=cst(2026, 10, 15, 15),
        bidding_start=None,
        start_price=Decimal("12000000.00"),
        increment=Decimal("100000"),
        reserve_price=Decimal("15000000"),
        no_reserve=False,
        deposit=Decimal("2400000.00"),
    )
    return replace(base, **changes)


def auction(**changes) -> ListingTerms:
    base = land_listing(
        method=Method.AUCTION,
        registration_end=cst(2026, 10, 12, 17),
        deposit_deadline=cst(2026, 10, 12, 16),
        bidding_start=cst(2026, 10, 14, 10),
    )
    return replace(base, **changes)


def violations(terms: ListingTerms, *, calendar: WorkdayCalendar = CAL, rules: TradingRules = RULES) -> set:
    try:
        validate_terms(terms, calendar=calendar, rules=rules)
    except TermsInvalid as exc:
        body = exc.to_problem()
        assert body["status"] == 422 and body["code"] == "listing.terms_invalid"
        return {(v["field"], v["code"]) for v in body["violations"]}
    return set()


def test_valid_listing_spanning_national_day_passes():
    assert violations(land_listing()) == set()


def test_valid_auction_passes():
    assert violations(auction()) == set()


def test_listing_period_of_nine_working_days_is_refused():
    assert violations(land_listing(listing_end=cst(2026, 10, 14, 15))) == {("listing_end", "listing_period_too_short")}


def test_listing_ending_at_local_midnight_does_not_count_that_day():
    # 00:00 on 16 Oct takes no quotes on the 16th: still the ten days 28 Sep - 15 Oct.
    assert violations(land_listing(listing_end=cst(2026, 10, 16, 0))) == set()
    assert violations(land_listing(listing_end=cst(2026, 10, 15, 0))) == {("listing_end", "listing_period_too_short")}


def test_make_up_saturday_counts_as_working_day():
    # Without the make-up Saturday 10 Oct the period would be 9 days.
    cal = WorkdayCalendar(overrides={datetime(2026, 10, 10).date(): False})
    assert ("listing_end", "listing_period_too_short") in violations(land_listing(), calendar=cal)


def test_auction_has_no_listing_period_minimum():
    assert violations(auction(listing_start=cst(2026, 10, 13, 9), bidding_start=cst(2026, 10, 13, 10),
                              registration_end=cst(2026, 10, 12, 17), announcement_at=cst(2026, 9, 1))) == set()


def test_announcement_exactly_twenty_days_ahead_passes():
    terms = land_listing(announcement_at=cst(2026, 9, 8, 23, 59), registration_start=cst(2026, 9, 9))
    assert violations(terms) == set()


def test_announcement_nineteen_days_ahead_is_refused():
    assert violations(land_listing(announcement_at=cst(2026, 9, 9, 0, 1), registration_start=cst(2026, 9, 9, 1))) == {
        ("announcement_at", "notice_too_short")
    }


def test_announcement_days_are_counted_on_shanghai_dates_not_utc():
    # 17:00 UTC on 8 Sep is 01:00 on 9 Sep in Shanghai: 19 local days, though 20 by UTC date.
    at = datetime(2026, 9, 8, 17, 0, tzinfo=UTC)
    found = violations(land_listing(announcement_at=at, registration_start=at))
    assert found == {("announcement_at", "notice_too_short")}


def test_announcement_minimum_is_configurable():
    terms = land_listing(announcement_at=cst(2026, 9, 18), registration_start=cst(2026, 9, 18))
    assert violations(terms, rules=TradingRules(announcement_min_days=10)) == set()
    assert violations(terms) == {("announcement_at", "notice_too_short")}


def mining(**changes) -> ListingTerms:
    # Listing starts Thu 15 Oct 2026; (13 Sep, 15 Oct] holds exactly 20 working days.
    base = land_listing(
        right_type=RightType.MINING_RIGHT,
        land_use=None,
        term_years=30,
        announcement_at=cst(2026, 9, 13, 10),
        registration_start=cst(2026, 9, 14),
        listing_start=cst(2026, 10, 15),
        listing_end=cst(2026, 10, 29, 15),
        registration_end=cst(2026, 10, 27, 17),
        deposit_deadline=cst(2026, 10, 27, 17),
    )
    return replace(base, **changes)


def test_mining_announcement_exactly_twenty_working_days_passes():
    assert violations(mining()) == set()


def test_mining_announcement_nineteen_working_days_is_refused():
    # 32 calendar days ahead, but only 19 working days (Mid-Autumn and National Day).
    assert violations(mining(announcement_at=cst(2026, 9, 14, 8))) == {("announcement_at", "notice_too_short")}


def _into_2027(**changes) -> ListingTerms:
    return land_listing(**{
        "announcement_at": cst(2026, 12, 1), "registration_start": cst(2026, 12, 2), "listing_start": cst(2027, 1, 4),
        "listing_end": cst(2027, 1, 15, 15), "registration_end": cst(2027, 1, 13), "deposit_deadline": cst(2027, 1, 13),
        **changes,
    })


def test_dates_beyond_the_holiday_table_are_provisional_by_default_and_refused_on_request():
    terms = _into_2027()
    check = validate_terms(terms, calendar=CAL, rules=RULES)
    assert check.provisional and check.provisional_years == (2027,)
    assert "2027 年节假日安排尚未录入" in check.warning and "周一至周五" in check.warning
    refusing = TradingRules(allow_provisional_calendar=False)
    assert violations(terms, rules=refusing) == {("listing_end", "calendar_not_covered")}
    # a year whose notice an admin declared complete is no guess
    assert not validate_terms(terms, calendar=WorkdayCalendar(covered_years=[2027]), rules=refusing).provisional


def test_covered_schedules_are_not_provisional():
    check = validate_terms(land_listing(), calendar=CAL, rules=RULES)
    assert not check.provisional and check.warning is None


def test_admin_holiday_overrides_count_in_an_uncovered_year():
    # 4-15 Jan 2027 is 10 weekdays; an admin-entered holiday on 4 Jan leaves 9: too short.
    terms = _into_2027()
    holiday = WorkdayCalendar(overrides={cst(2027, 1, 4).astimezone(CST).date(): False})
    assert violations(terms, calendar=holiday) == {("listing_end", "listing_period_too_short")}
    # a make-up workday on Saturday 16 Jan brings it back to 10 when the period runs to that day
    makeup = WorkdayCalendar(overrides={cst(2027, 1, 4).astimezone(CST).date(): False,
                                        cst(2027, 1, 16).astimezone(CST).date(): True})
    assert violations(_into_2027(listing_end=cst(2027, 1, 16, 15)), calendar=makeup) == set()


def test_every_violation_is_reported_at_once():
    terms = land_listing(
        land_use=None, term_years=0, start_price=Decimal("-1"), increment=Decimal("0"), deposit=Decimal("0.001"),
        reserve_price=None, announcement_at=cst(2026, 9, 20), registration_start=cst(2026, 9, 19),
        registration_end=cst(2026, 10, 16), deposit_deadline=cst(2026, 10, 16), bidding_start=cst(2026, 10, 15),
    )
    assert violations(terms) == {
        ("land_use", "required"),
        ("term_years", "not_positive"),
        ("start_price", "invalid_amount"),
        ("increment", "invalid_amount"),
        ("deposit", "invalid_amount"),
        ("reserve_price", "required"),
        ("announcement_at", "notice_too_short"),
        ("registration_start", "before_announcement"),
        ("registration_end", "after_listing_end"),
        ("deposit_deadline", "not_before_listing_end"),
        ("bidding_start", "before_listing_end"),
    }


def test_violation_entries_carry_field_code_and_message():
    with pytest.raises(TermsInvalid) as info:
        validate_terms(land_listing(increment=Decimal("0")), calendar=CAL, rules=RULES)
    [entry] = info.value.extensions["violations"]
    assert entry["field"] == "increment" and entry["code"] == "invalid_amount" and entry["message"]


@pytest.mark.parametrize(
    ("right_type", "land_use", "years", "ok"),
    [
        (RightType.STATE_CONSTRUCTION_LAND_USE, LandUse.RESIDENTIAL, 70, True),
        (RightType.STATE_CONSTRUCTION_LAND_USE, LandUse.RESIDENTIAL, 71, False),
        (RightType.STATE_CONSTRUCTION_LAND_USE, LandUse.COMMERCIAL_TOURISM_ENTERTAINMENT, 40, True),
        (RightType.STATE_CONSTRUCTION_LAND_USE, LandUse.COMMERCIAL_TOURISM_ENTERTAINMENT, 41, False),
        (RightType.COLLECTIVE_COMMERCIAL_CONSTRUCTION_LAND_USE, LandUse.INDUSTRIAL, 50, True),
        (RightType.COLLECTIVE_COMMERCIAL_CONSTRUCTION_LAND_USE, LandUse.INDUSTRIAL, 51, False),
        (RightType.STATE_CONSTRUCTION_LAND_USE, LandUse.EDUCATION_SCIENCE_CULTURE_HEALTH_SPORTS, 51, False),
        (RightType.STATE_CONSTRUCTION_LAND_USE, LandUse.MIXED, 50, True),
        (RightType.EXPLORATION_RIGHT, None, 5, True),
        (RightType.EXPLORATION_RIGHT, None, 6, False),
        (RightType.MINING_RIGHT, None, 30, True),
        (RightType.MINING_RIGHT, None, 31, False),
    ],
)
def test_term_within_legal_maximum(right_type, land_use, years, ok):
    found = violations(mining(right_type=right_type, land_use=land_use, term_years=years))
    assert (("term_years", "exceeds_maximum") not in found) is ok
    assert max_term_years(right_type=right_type, land_use=land_use) >= 5


def test_mining_right_rejects_a_land_use():
    assert ("land_use", "not_applicable") in violations(mining(land_use=LandUse.INDUSTRIAL))


def test_reserve_equal_to_start_price_passes_and_below_is_refused():
    assert violations(land_listing(reserve_price=Decimal("12000000"))) == set()
    assert violations(land_listing(reserve_price=Decimal("11999999.99"))) == {("reserve_price", "below_start_price")}


def test_no_reserve_must_be_explicit_and_exclusive():
    assert violations(land_listing(reserve_price=None, no_reserve=True)) == set()
    assert violations(land_listing(no_reserve=True)) == {("reserve_price", "conflicts_with_no_reserve")}


def test_zero_start_price_is_allowed():
    assert violations(land_listing(start_price=Decimal("0"), no_reserve=True, reserve_price=None)) == set()


def test_float_money_is_refused():
    assert ("deposit", "invalid_amount") in violations(land_listing(deposit=2400000.0))


def test_money_problem_boundaries():
    assert money_problem(Decimal("1.10")) is None
    assert money_problem(Decimal("1.100")) is None  # trailing zero is not a third decimal
    assert money_problem(Decimal("1.001")) is not None
    assert money_problem(Decimal("1E+40")) is None
    assert money_problem(Decimal("NaN")) is not None
    assert money_problem(Decimal("0")) is not None
    assert money_problem(Decimal("0"), allow_zero=True) is None
    assert money_problem(True) is not None


def test_registration_window_must_be_inside_announcement_and_listing_end():
    assert violations(land_listing(registration_end=cst(2026, 9, 2))) == {("registration_end", "not_after_start")}
    assert violations(land_listing(registration_end=cst(2026, 10, 15, 15))) == set()  # equal to listing end


def test_deposit_deadline_bounds():
    found = violations(land_listing(deposit_deadline=cst(2026, 9, 1, 23)))
    assert found == {("deposit_deadline", "before_registration")}
    assert violations(land_listing(deposit_deadline=cst(2026, 10, 15, 15), registration_end=cst(2026, 10, 15, 15))) == {
        ("deposit_deadline", "not_before_listing_end")
    }


def test_auction_needs_bidding_start_after_registration_end():
    assert violations(auction(bidding_start=None)) == {("bidding_start", "required")}
    assert violations(auction(bidding_start=cst(2026, 10, 12, 17))) == {("bidding_start", "not_after_registration_end")}
    assert violations(auction(bidding_start=cst(2026, 10, 15, 15))) == {("bidding_start", "outside_listing_period")}


def test_tender_deposit_deadline_not_after_bidding_start():
    terms = auction(method=Method.TENDER, deposit_deadline=cst(2026, 10, 14, 11))
    assert violations(terms) == {("deposit_deadline", "after_bidding_start")}


def test_listing_end_must_follow_listing_start():
    assert ("listing_end", "not_after_start") in violations(land_listing(listing_end=cst(2026, 9, 28)))


def test_naive_datetimes_are_reported_without_comparing():
    found = violations(land_listing(listing_end=datetime(2026, 10, 15, 15)))
    assert found == {("listing_end", "naive_datetime")}


def test_mining_auction_needs_three_qualified_bidders():
    with pytest.raises(TooFewBidders) as info:
        check_can_proceed(right_type=RightType.MINING_RIGHT, method=Method.AUCTION, qualified_count=2, rules=RULES)
    assert info.value.status_code == 409 and info.value.code == "listing.too_few_bidders"
    assert info.value.extensions == {"qualified_count": 2, "required": 3}
    check_can_proceed(right_type=RightType.EXPLORATION_RIGHT, method=Method.TENDER, qualified_count=3, rules=RULES)


def test_mining_listing_and_land_auction_need_one_bidder():
    assert minimum_qualified(right_type=RightType.MINING_RIGHT, method=Method.LISTING, rules=RULES) == 1
    land = RightType.STATE_CONSTRUCTION_LAND_USE
    check_can_proceed(right_type=land, method=Method.AUCTION, qualified_count=1, rules=RULES)
    with pytest.raises(TooFewBidders):
        check_can_proceed(right_type=land, method=Method.LISTING, qualified_count=0, rules=RULES)


def test_labels_and_timed_bidding_start():
    assert RightType.MINING_RIGHT.label == "采矿权"
    assert land_listing().timed_bidding_start == cst(2026, 10, 15, 15)
    assert auction().timed_bidding_start is None
