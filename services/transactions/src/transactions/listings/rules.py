"""Listing rules: validate terms (every violation at once) and check bidding may proceed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from natres_platform.errors import Conflict, ValidationFailed
from natres_platform.workdays import WorkdayCalendar

from transactions.listings.terms import (
    LOCAL_TZ,
    LandUse,
    ListingTerms,
    Method,
    RightType,
    TradingRules,
    Violation,
    local_date,
    max_term_years,
    money_problem,
)

__all__ = [
    "LOCAL_TZ", "LandUse", "ListingTerms", "Method", "RightType", "ScheduleCheck", "TermsInvalid", "TooFewBidders",
    "TradingRules", "Violation", "check_can_proceed", "local_date", "max_term_years", "minimum_qualified",
    "money_problem", "validate_terms",
]


@dataclass(frozen=True)
class ScheduleCheck:
    """What valid terms leave to know: the years whose working days were guessed (Monday-Friday)."""

    provisional_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        """Some working day counted lies in a year without the State Council holiday notice."""
        return bool(self.provisional_years)

    @property
    def warning(self) -> str | None:
        """The Chinese notice shown with a provisional schedule."""
        if not self.provisional_years:
            return None
        years = "、".join(str(y) for y in self.provisional_years)
        return (f"{years} 年节假日安排尚未录入，排期中的工作日暂按周一至周五计算（暂定）；"
                "国务院办公厅节假日通知发布后，请交易管理员录入并复核本项目排期。")


class TermsInvalid(ValidationFailed):
    code = "listing.terms_invalid"
    title = "出让条件不符合交易规则"


class TooFewBidders(Conflict):
    code = "listing.too_few_bidders"
    title = "资格审核通过的竞买人数量不足"


def validate_terms(terms: ListingTerms, *, calendar: WorkdayCalendar, rules: TradingRules) -> ScheduleCheck:
    """Raise TermsInvalid listing every broken rule at once, or say which years were counted provisionally."""
    found: list[Violation] = []
    years: set[int] = set()
    found += _check_term(terms)
    found += _check_prices(terms)
    found += _check_schedule(terms, calendar=calendar, rules=rules, provisional_years=years)
    if found:
        raise TermsInvalid(
            f"出让条件有 {len(found)} 处不符合规则", violations=[v.as_dict() for v in found]
        )
    return ScheduleCheck(provisional_years=tuple(sorted(years)))


def _check_term(terms: ListingTerms) -> list[Violation]:
    out: list[Violation] = []
    if terms.right_type.is_mineral:
        if terms.land_use is not None:
            out.append(Violation("land_use", "not_applicable", "矿业权不设土地用途"))
    elif terms.land_use is None:
        out.append(Violation("land_use", "required", "土地使用权出让须注明土地用途"))
    years = terms.term_years
    limit = max_term_years(right_type=terms.right_type, land_use=terms.land_use)
    if isinstance(years, bool) or not isinstance(years, int) or years <= 0:
        out.append(Violation("term_years", "not_positive", "出让年限须为正整数"))
    elif limit is not None and years > limit:
        out.append(Violation("term_years", "exceeds_maximum", f"出让年限超过法定最高年限 {limit} 年"))
    return out


def _check_prices(terms: ListingTerms) -> list[Violation]:
    out: list[Violation] = []
    for field, allow_zero in (("start_price", True), ("increment", False), ("deposit", False)):
        problem = money_problem(getattr(terms, field), allow_zero=allow_zero)
        if problem:
            out.append(Violation(field, "invalid_amount", problem))
    reserve = terms.reserve_price
    if terms.no_reserve and reserve is not None:
        out.append(Violation("reserve_price", "conflicts_with_no_reserve", "已声明无底价，不能同时设定底价"))
    elif not terms.no_reserve and reserve is None:
        out.append(Violation("reserve_price", "required", "须设定底价或明确声明无底价"))
    elif reserve is not None:
        problem = money_problem(reserve)
        start_ok = money_problem(terms.start_price, allow_zero=True) is None
        if problem:
            out.append(Violation("reserve_price", "invalid_amount", problem))
        elif start_ok and reserve < terms.start_price:
            out.append(Violation("reserve_price", "below_start_price", "底价不得低于起始价"))
    return out


_TIME_FIELDS = (
    "announcement_at", "registration_start", "registration_end", "deposit_deadline",
    "listing_start", "listing_end", "bidding_start",
)
_PERIOD = "挂牌（交易）"


def _check_schedule(
    t: ListingTerms, *, calendar: WorkdayCalendar, rules: TradingRules, provisional_years: set[int]
) -> list[Violation]:
    naive = [
        Violation(f, "naive_datetime", "时间须带时区")
        for f in _TIME_FIELDS
        if getattr(t, f) is not None and getattr(t, f).utcoffset() is None
    ]
    if naive:
        return naive  # comparing naive with aware times is meaningless; fix these first
    out = _check_notice(t, calendar=calendar, rules=rules, provisional_years=provisional_years)
    if t.listing_end <= t.listing_start:
        out.append(Violation("listing_end", "not_after_start", f"{_PERIOD}截止时间须晚于开始时间"))
    elif t.method is Method.LISTING:
        out += _check_listing_period(t, calendar=calendar, rules=rules, provisional_years=provisional_years)
    if t.registration_start < t.announcement_at:
        out.append(Violation("registration_start", "before_announcement", "报名不得早于公告发布"))
    if t.registration_end <= t.registration_start:
        out.append(Violation("registration_end", "not_after_start", "报名截止时间须晚于报名开始时间"))
    if t.registration_end > t.listing_end:
        out.append(Violation("registration_end", "after_listing_end", f"报名截止时间不得晚于{_PERIOD}截止时间"))
    if t.deposit_deadline < t.registration_start:
        out.append(Violation("deposit_deadline", "before_registration", "保证金截止时间不得早于报名开始时间"))
    if t.deposit_deadline >= t.listing_end:
        out.append(Violation("deposit_deadline", "not_before_listing_end", f"保证金截止时间须早于{_PERIOD}截止时间"))
    return out + _check_bidding_start(t)


def _check_notice(
    t: ListingTerms, *, calendar: WorkdayCalendar, rules: TradingRules, provisional_years: set[int]
) -> list[Violation]:
    announced, starts = local_date(t.announcement_at), local_date(t.listing_start)
    if t.right_type.is_mineral:
        # Mining information is published 20 working days ahead (provincial online rules),
        # counted like calendar days: working days in (announcement date, start date].
        need = rules.mining_announcement_min_working_days
        have, provisional = calendar.working_days_between(start=announced, end=starts)
        out = _provisional("announcement_at", provisional, rules)
        provisional_years |= _guessed_years(calendar, announced, starts) if provisional else set()
        if have < need:
            msg = f"矿业权出让公告须提前至少 {need} 个工作日发布（现为 {have} 个）"
            out.append(Violation("announcement_at", "notice_too_short", msg))
        return out
    need = rules.announcement_min_days
    if (starts - announced).days < need:
        msg = f"出让公告须在{_PERIOD}开始日前至少 {need} 日发布"
        return [Violation("announcement_at", "notice_too_short", msg)]
    return []


def _check_listing_period(
    t: ListingTerms, *, calendar: WorkdayCalendar, rules: TradingRules, provisional_years: set[int]
) -> list[Violation]:
    # Platforms count both the opening and the closing day, since quotes are taken on both;
    # a close at local midnight takes nothing on that day, so that day does not count.
    first = local_date(t.listing_start)
    end_local = t.listing_end.astimezone(LOCAL_TZ)
    last = end_local.date() - timedelta(days=1) if end_local.time() == time(0) else end_local.date()
    have, provisional = calendar.working_days_between(start=first - timedelta(days=1), end=last)
    out = _provisional("listing_end", provisional, rules)
    provisional_years |= _guessed_years(calendar, first - timedelta(days=1), last) if provisional else set()
    need = rules.listing_min_working_days
    if have < need:
        msg = f"挂牌期须不少于 {need} 个工作日（现为 {have} 个）"
        out.append(Violation("listing_end", "listing_period_too_short", msg))
    return out


def _check_bidding_start(t: ListingTerms) -> list[Violation]:
    b = t.bidding_start
    if t.method is Method.LISTING:
        if b is not None and b < t.listing_end:
            return [Violation("bidding_start", "before_listing_end", "限时竞价不得早于挂牌截止时间开始")]
        return []
    if b is None:
        return [Violation("bidding_start", "required", "拍卖、招标须设定竞价（投标）开始时间")]
    out: list[Violation] = []
    if b <= t.registration_end:
        msg = "竞价（投标）开始时间须晚于报名截止时间"  # qualification ends before bidding
        out.append(Violation("bidding_start", "not_after_registration_end", msg))
    if b < t.listing_start or b >= t.listing_end:
        out.append(Violation("bidding_start", "outside_listing_period", "竞价（投标）开始时间须在交易期内"))
    if t.deposit_deadline > b:
        msg = "保证金截止时间不得晚于竞价（投标）开始时间"
        out.append(Violation("deposit_deadline", "after_bidding_start", msg))
    return out


def _provisional(field: str, provisional: bool, rules: TradingRules) -> list[Violation]:
    if provisional and not rules.allow_provisional_calendar:
        msg = "节假日安排尚未录入，无法确定工作日，请先更新工作日历"
        return [Violation(field, "calendar_not_covered", msg)]
    return []


def _guessed_years(calendar: WorkdayCalendar, start: date, end: date) -> set[int]:
    """Years of the days in (start, end] whose status is a Monday-Friday guess."""
    years, day = set(), start + timedelta(days=1)
    while day <= end:
        if calendar.is_provisional(day):
            years.add(day.year)
        day += timedelta(days=1)
    return years


def minimum_qualified(*, right_type: RightType, method: Method, rules: TradingRules) -> int:
    """How many qualified bidders the trade needs before bidding may start."""
    if right_type.is_mineral and method in (Method.AUCTION, Method.TENDER):
        return rules.mining_min_qualified_bidders  # 矿业权交易规则: else stop or re-organise
    return 1


def check_can_proceed(
    *, right_type: RightType, method: Method, qualified_count: int, rules: TradingRules
) -> None:
    """Raise TooFewBidders unless enough bidders qualified for bidding to start."""
    required = minimum_qualified(right_type=right_type, method=method, rules=rules)
    if qualified_count < required:
        raise TooFewBidders(
            f"需至少 {required} 名资格审核通过的竞买人，现有 {qualified_count} 名",
            qualified_count=qualified_count,
            required=required,
        )
