"""The bid hot path: place_bid() for a lone bid, place_bids() for a batch (migrations 0006, 0010; batcher.py).

The listing row lock is held only while PostgreSQL finishes that one statement and commits, so
the bid rate on a hot listing is bounded by the database, not by Python awaits under the lock.
The outbox rows are CloudEvents built and validated here, with placeholders where only the
lock can decide the value (seq, times, registration, bidder number, region); the function fills
those in with values of the same types and formats.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from natres_platform.auth import Principal
from natres_platform.events import CloudEvent, rfc3339, utc_now
from natres_platform.tracing import current_traceparent

from transactions.bidding.batcher import BidRequest
from transactions.bidding.errors import IdempotencyKeyReused
from transactions.bidding.rules import BidderNotQualified, minimum_next, refusal
from transactions.bidding.schemas import BidRead
from transactions.events import SOURCE, money
from transactions.listings.errors import ListingNotFound
from transactions.listings.terms import money_problem
from transactions.supervision.rules import ALERT_EVENT_TYPE, AlertRule, Severity
from transactions.supervision.service import SYSTEM_ACTOR
from transactions.trading import Trading

BID_ACCEPTED = "transactions.bid.accepted.v1"
# Placeholders of the right type and format: the function overwrites each of them.
_ZERO_ID = "00000000-0000-0000-0000-000000000000"
_SOME_REGION = "140000"
# numeric(18, 2): larger amounts cannot be stored (and no listing is worth 10^16 yuan).
_MAX_AMOUNT = Decimal("9999999999999999.99")


@dataclass(frozen=True)
class Result:
    """The row transactions.place_bid() returns."""

    outcome: str
    seq: int | None
    bidder_number: str | None
    amount: Decimal | None
    sealed: bool | None
    placed_at: datetime | None
    closes_at: datetime | None
    current_price: Decimal | None
    start_price: Decimal | None
    increment: Decimal | None
    opens_at: datetime | None
    phase: str | None
    alert_raised: bool


def templates(*, trading: Trading, listing_id: str, actor: str) -> tuple[str, str]:
    """The bid-accepted and late-bid alert events as UnitOfWork.record would keep them, validated, as JSON.

    Only the id, the time and the trace differ between two bids of one bidder on one listing
    (the function sets them, and what the lock decides): the validated templates are kept per
    (listing, bidder), which saves a fifth of a bid's CPU (pydantic, jsonschema, json).
    """
    key = (listing_id, actor)
    hit = _TEMPLATES.get(key)
    if hit is not None:
        return hit
    now = rfc3339(utc_now())
    bid = CloudEvent(
        id=_ZERO_ID, time=now, source=SOURCE, type=BID_ACCEPTED, subject=listing_id, actor=actor,
        region=_SOME_REGION,
        data={"listing_id": listing_id, "registration_id": _ZERO_ID, "bidder_number": "000000", "seq": 1,
              "amount": "0.00", "sealed": False, "phase": "bidding", "placed_at": now, "closes_at": now},
    )
    alert = CloudEvent(
        id=_ZERO_ID, time=now, source=SOURCE, type=ALERT_EVENT_TYPE, subject=listing_id, actor=SYSTEM_ACTOR,
        region=_SOME_REGION,
        data={"listing_id": listing_id, "alert_id": 1, "rule": AlertRule.LATE_BID.value,
              "severity": Severity.INFO.value, "message": "", "details": {}, "raised_at": now},
    )
    schemas = trading.ctx.schemas
    schemas.validate(bid)
    schemas.validate(alert)
    hit = _json(bid), _json(alert)
    if len(_TEMPLATES) >= _TEMPLATES_MAX:
        _TEMPLATES.pop(next(iter(_TEMPLATES)))
    _TEMPLATES[key] = hit
    return hit


_TEMPLATES: dict[tuple[str, str], tuple[str, str]] = {}
_TEMPLATES_MAX = 4096


def bid_request(
    *, trading: Trading, listing_id: str, principal: Principal, amount: Decimal, key: str | None,
    client_ip: str | None, raise_steps: int | None = None,
) -> BidRequest:
    """The arguments place_bid(s) takes for one request (`amount`: the quote, or a raise's limit)."""
    amount_ok = money_problem(amount) is None and amount <= _MAX_AMOUNT
    # An invalid amount still goes to the database: the checks before it (qualified, open, closed)
    # decide which refusal the bidder sees, exactly as in bidding.rules.check_bid.
    stored = amount if amount_ok else Decimal(0)
    bid, alert = templates(trading=trading, listing_id=listing_id, actor=principal.subject)
    return BidRequest(
        subject=principal.subject, amount=stored, amount_ok=amount_ok, key=key, client_ip=client_ip, event=bid,
        alert=alert, event_id=uuid.uuid4(), alert_id=uuid.uuid4(), traceparent=current_traceparent.get(),
        steps=raise_steps)


async def call_place_bid(
    *, trading: Trading, listing_id: str, principal: Principal, amount: Decimal, key: str | None,
    client_ip: str | None, raise_steps: int | None = None,
) -> Result:
    """One round trip: admit (or refuse) and write the bid, its feed item and its events.

    With `raise_steps` the function prices the bid and `amount` is the bidder's limit.
    """
    request = bid_request(trading=trading, listing_id=listing_id, principal=principal, amount=amount, key=key,
                          client_ip=client_ip, raise_steps=raise_steps)
    return Result(*await trading.bid_batcher.submit(listing_id, request))


def answer(result: Result, *, listing_id: str, amount: Decimal, raise_steps: int | None = None) -> BidRead:
    """The accepted (or replayed) bid, or the error that refuses it (`amount`: the quote, or a raise's limit)."""
    outcome = result.outcome
    if outcome == "accepted":
        return BidRead(listing_id=listing_id, seq=result.seq, bidder_number=result.bidder_number,
                       amount=result.amount, sealed=False, placed_at=result.placed_at, closes_at=result.closes_at)
    if outcome == "replayed":
        if not result.sealed and not same_request(result.amount, amount=amount, raise_steps=raise_steps):
            raise IdempotencyKeyReused(original_seq=result.seq)
        return BidRead(listing_id=listing_id, seq=result.seq, bidder_number=result.bidder_number,
                       amount=None if result.sealed else result.amount, sealed=bool(result.sealed),
                       placed_at=result.placed_at, closes_at=result.closes_at, replayed=True)
    if outcome == "not_found":
        raise ListingNotFound(listing_id=listing_id)
    if outcome == "not_registered":
        raise BidderNotQualified("未报名该项目")
    exc = refusal(outcome, amount=amount, current=result.current_price, start_price=result.start_price,
                  increment=result.increment, phase=result.phase, opens_at=result.opens_at,
                  closes_at=result.closes_at, raise_steps=raise_steps)
    # Every refusal of an open-price bid tells the bidder where the price stands.
    exc.extensions.setdefault("current_price", money(result.current_price))
    exc.extensions.setdefault("minimum_next", money(minimum_next(
        current=result.current_price, start_price=result.start_price, increment=result.increment))
        if result.start_price is not None else None)
    raise exc


def same_request(stored: Decimal | None, *, amount: Decimal, raise_steps: int | None) -> bool:
    """Whether a retried key asks for what its bid got: the same quote, or a raise whose limit covers it."""
    if raise_steps is None:
        return stored == amount
    return stored is not None and stored <= amount


def _json(event: CloudEvent) -> str:
    return json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":"))
