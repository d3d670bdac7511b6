"""监管 rules: pure evaluators that turn trading facts into alerts (no alert = empty list)."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from transactions.bidding.rules import Bid
from transactions.listings.terms import TradingRules

ALERT_EVENT_TYPE = "transactions.alert.raised.v1"
DEFAULT_RULES = TradingRules()


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    HIGH = "high"


class AlertRule(StrEnum):
    SINGLE_BIDDER = "supervision.single_bidder"
    LATE_BID = "supervision.late_bid"
    HIGH_PREMIUM = "supervision.high_premium"
    SHARED_ADDRESS = "supervision.shared_address"
    CONFIRMATION_OVERDUE = "supervision.confirmation_overdue"
    PUBLICATION_OVERDUE = "supervision.publication_overdue"
    WINNER_DEFAULTED = "supervision.winner_defaulted"


@dataclass(frozen=True)
class Alert:
    """One supervision finding; details hold only JSON-ready values (money as strings)."""

    rule: AlertRule
    severity: Severity
    message: str
    details: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def as_dict(self) -> dict[str, Any]:
        """The event `data` shape."""
        return {"rule": self.rule.value, "severity": self.severity.value, "message": self.message,
                "details": dict(self.details)}


def single_bidder(*, qualified_count: int) -> list[Alert]:
    """Bidding starts with exactly one qualified bidder: no competition to set the price."""
    if qualified_count != 1:
        return []
    return [Alert(AlertRule.SINGLE_BIDDER, Severity.WARNING, "竞价开始时仅有一名资格审核通过的竞买人",
                  {"qualified_count": qualified_count})]


def late_bid(*, bid: Bid, closes_at: datetime, rules: TradingRules = DEFAULT_RULES) -> list[Alert]:
    """A bid in the last `late_bid_window` before the close that was in force when it came."""
    remaining = closes_at - bid.placed_at
    if not (timedelta(0) < remaining <= rules.late_bid_window):
        return []
    # Seconds to the millisecond, rounded half up, and money with two decimals: exactly what
    # transactions.place_bid() writes for the same finding.
    seconds = (Decimal(remaining // timedelta(microseconds=1)) / 1_000_000).quantize(Decimal("0.001"), ROUND_HALF_UP)
    return [Alert(AlertRule.LATE_BID, Severity.INFO,
                  f"竞买号 {bid.bidder_number} 在截止前 {seconds} 秒报价",
                  {"bidder_number": bid.bidder_number, "sequence": bid.sequence, "amount": f"{bid.amount:.2f}",
                   "seconds_before_close": remaining.total_seconds()})]


def premium_rate(*, final_price: Decimal, start_price: Decimal) -> Decimal | None:
    """final / start − 1, or None when the start price is zero (the rate is undefined)."""
    if start_price <= 0:
        return None
    return final_price / start_price - 1


def high_premium(*, final_price: Decimal, start_price: Decimal, rules: TradingRules = DEFAULT_RULES) -> list[Alert]:
    """A premium rate strictly above `premium_alert_ratio` (溢价率过高)."""
    rate = premium_rate(final_price=final_price, start_price=start_price)
    if rate is None or rate <= rules.premium_alert_ratio:
        return []
    shown = rate.quantize(Decimal("0.0001"))
    return [Alert(AlertRule.HIGH_PREMIUM, Severity.WARNING,
                  f"成交溢价率 {shown * 100:.2f}% 超过阈值 {rules.premium_alert_ratio * 100:.2f}%",
                  {"final_price": str(final_price), "start_price": str(start_price),
                   "premium_rate": str(shown), "threshold": str(rules.premium_alert_ratio)})]


def shared_address(
    *, registrations: Iterable[tuple[str, str]], rules: TradingRules = DEFAULT_RULES
) -> list[Alert]:
    """Several bidders registered from one network address (possible collusion), one alert each."""
    groups: dict[str, set[str]] = defaultdict(set)
    for number, address in registrations:
        groups[network_key(address)].add(number)
    return [
        Alert(AlertRule.SHARED_ADDRESS, Severity.HIGH, f"{len(numbers)} 名竞买人来自同一网络地址 {key}",
              {"address": key, "bidder_numbers": sorted(numbers)})
        for key, numbers in sorted(groups.items())
        if len(numbers) >= rules.bidders_per_address_alert
    ]


def network_key(address: str) -> str:
    """What counts as one network address: an IPv4 host, or an IPv6 /64 (one household/LAN)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()  # keep unparseable values comparable rather than dropping them
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        # One subscriber gets a whole /64 and rotates addresses inside it.
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)



def confirmation_overdue(*, due_at: datetime, now: datetime, working_days: int) -> list[Alert]:
    """The winner had not signed the 成交确认书 when its deadline passed."""
    if now < due_at:
        return []
    return [Alert(AlertRule.CONFIRMATION_OVERDUE, Severity.WARNING,
                  f"竞得人未在成交后 {working_days} 个工作日内签订成交确认书",
                  {"due_at": _utc(due_at), "working_days": working_days})]


def publication_overdue(*, due_at: datetime, now: datetime, working_days: int) -> list[Alert]:
    """The result was not published (结果公示) within its working days after the conclusion."""
    if now < due_at:
        return []
    return [Alert(AlertRule.PUBLICATION_OVERDUE, Severity.WARNING,
                  f"成交结果未在成交后 {working_days} 个工作日内公示",
                  {"due_at": _utc(due_at), "working_days": working_days})]


def winner_defaulted(*, bidder_number: str, due_at: datetime, forfeited: str | None) -> list[Alert]:
    """违约: no 出让合同 by its deadline; the 定金 is forfeited and the winner blacklisted."""
    return [Alert(AlertRule.WINNER_DEFAULTED, Severity.HIGH,
                  f"竞得人（竞买号 {bidder_number}）逾期未签订出让合同，定金不予退还并列入黑名单",
                  {"bidder_number": bidder_number, "due_at": _utc(due_at), "forfeited_amount": forfeited})]


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
