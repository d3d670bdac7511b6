"""Listing terms as data: right types, methods, land uses with legal maximum terms, trading numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

# Schedule rules are stated in local calendar days; the platform serves one province.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


class RightType(StrEnum):
    """The rights the platform sells."""

    STATE_CONSTRUCTION_LAND_USE = "state_construction_land_use"
    COLLECTIVE_COMMERCIAL_CONSTRUCTION_LAND_USE = "collective_commercial_construction_land_use"
    EXPLORATION_RIGHT = "exploration_right"
    MINING_RIGHT = "mining_right"

    @property
    def label(self) -> str:
        """The Chinese name shown to users."""
        return _RIGHT_LABELS[self]

    @property
    def is_mineral(self) -> bool:
        """探矿权 and 采矿权 (矿业权) follow the mining trading rules."""
        return self in (RightType.EXPLORATION_RIGHT, RightType.MINING_RIGHT)


_RIGHT_LABELS = {
    RightType.STATE_CONSTRUCTION_LAND_USE: "国有建设用地使用权",
    RightType.COLLECTIVE_COMMERCIAL_CONSTRUCTION_LAND_USE: "集体经营性建设用地使用权",
    RightType.EXPLORATION_RIGHT: "探矿权",
    RightType.MINING_RIGHT: "采矿权",
}


class Method(StrEnum):
    """招标 / 拍卖 / 挂牌."""

    TENDER = "tender"
    AUCTION = "auction"
    LISTING = "listing"


class LandUse(StrEnum):
    """Land uses with their maximum term (城镇国有土地使用权出让和转让暂行条例 Art. 12)."""

    RESIDENTIAL = "residential"
    INDUSTRIAL = "industrial"
    EDUCATION_SCIENCE_CULTURE_HEALTH_SPORTS = "education_science_culture_health_sports"
    COMMERCIAL_TOURISM_ENTERTAINMENT = "commercial_tourism_entertainment"
    MIXED = "mixed"

    @property
    def max_term_years(self) -> int:
        """Legal maximum term in years."""
        return _LAND_MAX_TERMS[self]


_LAND_MAX_TERMS = {
    LandUse.RESIDENTIAL: 70,
    LandUse.INDUSTRIAL: 50,
    LandUse.EDUCATION_SCIENCE_CULTURE_HEALTH_SPORTS: 50,
    LandUse.COMMERCIAL_TOURISM_ENTERTAINMENT: 40,
    LandUse.MIXED: 50,
}
# 矿产资源法 (2024) Art. 24: exploration 5 years per grant (renewals are new grants), mining ≤ 30.
_MINERAL_MAX_TERMS = {RightType.EXPLORATION_RIGHT: 5, RightType.MINING_RIGHT: 30}


def max_term_years(*, right_type: RightType, land_use: LandUse | None) -> int | None:
    """Legal maximum term, or None when a land right lacks its land use."""
    if right_type.is_mineral:
        return _MINERAL_MAX_TERMS[right_type]
    # Collective commercial land follows the state-owned maximum for the same use.
    return land_use.max_term_years if land_use is not None else None


@dataclass(frozen=True)
class TradingRules:
    """Configurable trading numbers; defaults are the conservative values of domain-rules.md."""

    announcement_min_days: int = 20
    mining_announcement_min_working_days: int = 20
    listing_min_working_days: int = 10
    timed_bidding_countdown: timedelta = timedelta(minutes=4)
    mining_min_qualified_bidders: int = 3
    late_bid_window: timedelta = timedelta(seconds=30)
    premium_alert_ratio: Decimal = Decimal("0.5")
    bidders_per_address_alert: int = 2
    # A working day past the holiday table is a Monday-Friday guess: by default accepted and the
    # schedule marked provisional; False refuses such schedules (calendar_not_covered).
    allow_provisional_calendar: bool = True


@dataclass(frozen=True)
class ListingTerms:
    """What a trading administrator fixes when creating a listing (times aware, money in yuan)."""

    # listing_start..listing_end is the trading period: the 挂牌 quote period for LISTING;
    # for TENDER listing_end is the bid opening (开标). bidding_start is when 拍卖 bidding or
    # 招标 submission opens (required for both); for LISTING it may set a later 限时竞价
    # start, which otherwise is listing_end.

    right_type: RightType
    method: Method
    land_use: LandUse | None
    term_years: int
    announcement_at: datetime
    registration_start: datetime
    registration_end: datetime
    deposit_deadline: datetime
    listing_start: datetime
    listing_end: datetime
    bidding_start: datetime | None
    start_price: Decimal
    increment: Decimal
    reserve_price: Decimal | None
    no_reserve: bool
    deposit: Decimal

    @property
    def timed_bidding_start(self) -> datetime | None:
        """When 限时竞价 would start for a 挂牌 listing."""
        if self.method is not Method.LISTING:
            return None
        return self.bidding_start or self.listing_end


@dataclass(frozen=True)
class Violation:
    """One broken rule, named by field and a stable code."""

    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """The problem+json shape."""
        return {"field": self.field, "code": self.code, "message": self.message}


def local_date(moment: datetime) -> date:
    """The Asia/Shanghai calendar date of an instant."""
    return moment.astimezone(LOCAL_TZ).date()


def money_problem(value: Any, *, allow_zero: bool = False) -> str | None:
    """Why a value is not a valid amount in yuan (Decimal, finite, ≤ 2 decimals), or None."""
    # bool is an int subclass and float loses cents: accept Decimal and int only.
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        return "金额须为十进制数"
    amount = Decimal(value)
    if not amount.is_finite():
        return "金额须为有限数值"
    if amount < 0:
        return "金额不能为负数"
    if amount == 0 and not allow_zero:
        return "金额须大于零"
    if _decimal_places(amount) > 2:
        return "金额最多保留两位小数"
    return None


def _decimal_places(amount: Decimal) -> int:
    # Read the digits rather than quantize: quantize fails beyond the context precision,
    # and "100.10" (trailing zeros) still has two meaningful places at most.
    _, digits, exponent = amount.as_tuple()
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(int(exponent) + trailing_zeros)) if any(digits) else 0

