"""Bid admission and close outcomes for 挂牌, 拍卖 and 招标 (pure: the caller passes `now`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from natres_platform.errors import Conflict, Forbidden, PlatformError, ValidationFailed

from transactions.listings.terms import Method, money_problem
from transactions.listings.states import ListingState


@dataclass(frozen=True)
class Bid:
    """An accepted bid; `sequence` is the per-listing order the server gave it."""

    sequence: int
    bidder_number: str
    amount: Decimal
    placed_at: datetime


class OutcomeStatus(StrEnum):
    CONCLUDED = "concluded"
    FAILED = "failed"
    TIMED_BIDDING = "timed_bidding"


class FailureReason(StrEnum):
    NO_BIDS = "no_bids"
    BELOW_RESERVE = "below_reserve"


@dataclass(frozen=True)
class Outcome:
    """What a close decides: a winner, 流拍 with a reason, or (挂牌 only) 限时竞价."""

    status: OutcomeStatus
    winning_bid: Bid | None = None
    reason: FailureReason | None = None
    continuing_bidders: tuple[str, ...] = ()


class BidTooLow(Conflict):
    code = "bid.too_low"
    title = "报价低于当前价加加价幅度"


class BidClosed(Conflict):
    code = "bid.closed"
    title = "竞价已截止"


class BidNotOpen(Conflict):
    code = "bid.not_open"
    title = "当前不在报价时间内"


class BidderNotQualified(Forbidden):
    code = "bid.not_qualified"
    title = "竞买人未取得本项目竞买资格"


class BidInvalidAmount(ValidationFailed):
    code = "bid.invalid_amount"
    title = "报价金额无效"


class BidAlreadyLeading(Conflict):
    code = "bid.already_leading"
    title = "当前最高报价已是本竞买人，不能自行加价"


class BidOverLimit(Conflict):
    code = "bid.over_limit"
    title = "按加价幅度计算的报价超过竞买人设定的上限"


def minimum_next(*, current: Decimal | None, start_price: Decimal, increment: Decimal) -> Decimal:
    """The lowest acceptable next quote: the start price first, then current + increment."""
    return start_price if current is None else current + increment


def raised(*, steps: int, current: Decimal | None, start_price: Decimal, increment: Decimal) -> Decimal:
    """The price of a 加价 of `steps`: the minimum next quote, plus one increment per further step."""
    return minimum_next(current=current, start_price=start_price, increment=increment) + (steps - 1) * increment


# Phases in which each method takes bids; a tender has no countdown round.
_OPEN_PHASES = {
    Method.LISTING: frozenset({ListingState.BIDDING, ListingState.TIMED_BIDDING}),
    Method.AUCTION: frozenset({ListingState.BIDDING, ListingState.TIMED_BIDDING}),
    Method.TENDER: frozenset({ListingState.BIDDING}),
}


def check_bid(
    *,
    method: Method,
    phase: ListingState,
    amount: Decimal,
    current: Decimal | None,
    start_price: Decimal,
    increment: Decimal,
    now: datetime,
    closes_at: datetime | None,
    bidder_qualified: bool,
    opens_at: datetime | None = None,
    is_current_leader: bool = False,
    raise_steps: int | None = None,
) -> None:
    """Raise the specific error that refuses this bid, or return if it may be accepted."""
    # `bidder_qualified` is False also for a bidder outside the 限时竞价 round. `closes_at` is
    # the deadline in force (the countdown end during 限时竞价); a bid at that instant is late.
    # A tender bid is sealed, so it is checked against the start price only.
    # transactions.place_bid() (migration 0003) applies the same checks in the same order.
    code = refusal_code(method=method, phase=phase, amount=amount, current=current, start_price=start_price,
                        increment=increment, now=now, closes_at=closes_at, bidder_qualified=bidder_qualified,
                        opens_at=opens_at, is_current_leader=is_current_leader, raise_steps=raise_steps)
    if code is not None:
        if method is Method.TENDER:
            current = None
        raise refusal(code, amount=amount, current=current, start_price=start_price, increment=increment,
                      phase=phase, opens_at=opens_at, closes_at=closes_at, raise_steps=raise_steps)


def refusal_code(
    *,
    method: Method,
    phase: ListingState,
    amount: Decimal,
    current: Decimal | None,
    start_price: Decimal,
    increment: Decimal,
    now: datetime,
    closes_at: datetime | None,
    bidder_qualified: bool,
    opens_at: datetime | None = None,
    is_current_leader: bool = False,
    raise_steps: int | None = None,
) -> str | None:
    """The first rule the bid breaks (a code of REFUSALS), or None when it may be accepted.

    With `raise_steps` the bid is a 加价 priced by the server and `amount` is the bidder's limit.
    """
    if not bidder_qualified:
        return "not_qualified"
    if phase not in _OPEN_PHASES[method] or (opens_at is not None and now < opens_at):
        return "not_open"
    if closes_at is not None and now >= closes_at:
        return "closed"
    if money_problem(amount):
        return "invalid_amount"
    if method is Method.TENDER:
        current, is_current_leader = None, False
    if is_current_leader:
        return "already_leading"
    if raise_steps is not None:
        priced = raised(steps=raise_steps, current=current, start_price=start_price, increment=increment)
        return "over_limit" if priced > amount else None
    if amount < minimum_next(current=current, start_price=start_price, increment=increment):
        return "too_low"
    return None


REFUSALS = ("not_qualified", "not_open", "closed", "invalid_amount", "already_leading", "too_low", "over_limit")


def refusal(
    code: str,
    *,
    amount: Decimal,
    current: Decimal | None,
    start_price: Decimal | None,
    increment: Decimal | None,
    phase: ListingState | str | None,
    opens_at: datetime | None,
    closes_at: datetime | None,
    raise_steps: int | None = None,
) -> PlatformError:
    """The error that refuses a bid for `code`, with what the bidder needs to know."""
    if code == "not_qualified":
        return BidderNotQualified()
    if code == "not_open":
        return BidNotOpen(phase=str(phase) if phase is not None else None, opens_at=_iso(opens_at))
    if code == "closed":
        return BidClosed(closes_at=_iso(closes_at))
    if code == "invalid_amount":
        return BidInvalidAmount(money_problem(amount) or "报价金额无效")
    if code == "already_leading":
        return BidAlreadyLeading(current_price=_money(current))
    if code == "too_low":
        floor = minimum_next(current=current, start_price=start_price, increment=increment)
        return BidTooLow(f"报价须不低于 {floor} 元", current_price=_money(current), minimum_next=_money(floor))
    if code == "over_limit":
        priced = raised(steps=raise_steps or 1, current=current, start_price=start_price, increment=increment)
        return BidOverLimit(f"加价 {raise_steps or 1} 个幅度后报价为 {priced} 元，超过上限 {amount} 元",
                            current_price=_money(current), priced_amount=_money(priced), max_amount=_money(amount))
    raise ValueError(f"unknown refusal code {code!r}")


def timed_deadline(*, last_bid_at: datetime, countdown: timedelta) -> datetime:
    """The countdown end: pass the last valid bid time, or the round's start before any bid."""
    return last_bid_at + countdown


def highest_bid(bids: Iterable[Bid]) -> Bid | None:
    """The best bid: highest amount, ties to the earlier sequence number."""
    return min(bids, key=lambda b: (-b.amount, b.sequence), default=None)


def outcome(*, bids: Iterable[Bid], reserve_price: Decimal | None) -> Outcome:
    """Close on the highest bid: it wins if it reaches the reserve (None = no reserve)."""
    best = highest_bid(bids)
    if best is None:
        return Outcome(OutcomeStatus.FAILED, reason=FailureReason.NO_BIDS)
    if reserve_price is not None and best.amount < reserve_price:
        return Outcome(OutcomeStatus.FAILED, reason=FailureReason.BELOW_RESERVE)
    return Outcome(OutcomeStatus.CONCLUDED, winning_bid=best)


def listing_close_outcome(
    *, bids: Iterable[Bid], continue_requests: Iterable[str], reserve_price: Decimal | None
) -> Outcome:
    """挂牌 deadline: 限时竞价 if ≥ 2 bidders want to continue, otherwise close on the quotes."""
    continuing = tuple(sorted(set(continue_requests)))
    if len(continuing) >= 2:
        return Outcome(OutcomeStatus.TIMED_BIDDING, continuing_bidders=continuing)
    return outcome(bids=bids, reserve_price=reserve_price)


def timed_bidding_outcome(*, bids: Iterable[Bid], reserve_price: Decimal | None) -> Outcome:
    """End of 限时竞价: all bids count, so with no new quote the listing-period high bid wins."""
    return outcome(bids=bids, reserve_price=reserve_price)


def auction_close_outcome(*, bids: Iterable[Bid], reserve_price: Decimal | None) -> Outcome:
    """拍卖 countdown expired: the highest bid wins if it reaches the reserve."""
    return outcome(bids=bids, reserve_price=reserve_price)


def tender_outcome(*, bids: Iterable[Bid], reserve_price: Decimal | None) -> Outcome:
    """招标 opening on unsealed bids: highest wins, ties to the earlier submission."""
    return outcome(bids=bids, reserve_price=reserve_price)


def _money(value: Decimal | None) -> str | None:
    # problem+json bodies carry money as decimal strings, never floats
    return None if value is None else str(value)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
