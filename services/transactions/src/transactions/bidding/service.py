"""Placing a bid: admitted under the listing row lock, numbered gap-free, idempotent per key."""

from __future__ import annotations

import os
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from natres_platform.auth import Principal
from natres_platform.errors import PlatformError
from natres_platform.events import utc_now

from transactions.bidding import procedure, repository
from transactions.bidding.errors import (
    ContinueNotAllowed,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    RaiseNotForTender,
    TenderAlreadySubmitted,
)
from transactions.bidding.rules import (
    Bid,
    BidderNotQualified,
    BidOverLimit,
    BidTooLow,
    check_bid,
    minimum_next,
    raised,
)
from transactions.bidding.schemas import BidRead, ContinueAck
from transactions.bidding.sealed import derive_tender_key, seal
from transactions.bidders import repository as bidders
from transactions.events import listing_event, money
from transactions.listings.service import load as load_listing
from transactions.listings.states import ListingState
from transactions.listings.terms import Method, money_problem
from transactions.supervision.rules import late_bid
from transactions.supervision.service import raise_alerts
from transactions.trading import Trading

_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
S = ListingState


async def place_bid(
    *, trading: Trading, listing_id: str, principal: Principal, amount: Decimal, idempotency_key: str | None,
    client_ip: str | None, raise_steps: int | None = None,
) -> BidRead:
    """Accept the bid or raise the error that refuses it (409s carry the current price).

    `amount` is the quote; with `raise_steps` (加价) it is the most the bidder will pay and the
    price is set under the listing lock.
    """
    if idempotency_key is not None and not _KEY.match(idempotency_key):
        raise IdempotencyKeyInvalid()
    result = await procedure.call_place_bid(trading=trading, listing_id=listing_id, principal=principal,
                                            amount=amount, key=idempotency_key, client_ip=client_ip,
                                            raise_steps=raise_steps)
    if result.outcome == "tender":
        return await place_bid_in_python(trading=trading, listing_id=listing_id, principal=principal,
                                         amount=amount, idempotency_key=idempotency_key, client_ip=client_ip,
                                         raise_steps=raise_steps)
    return procedure.answer(result, listing_id=listing_id, amount=amount, raise_steps=raise_steps)


async def place_bid_in_python(
    *, trading: Trading, listing_id: str, principal: Principal, amount: Decimal, idempotency_key: str | None,
    client_ip: str | None, raise_steps: int | None = None,
) -> BidRead:
    """The admission in Python over a session: sealed 招标 bids, and the reference for place_bid()."""
    # Tender amounts are encrypted here so the sealing key never reaches the database; for
    # 挂牌/拍卖 this is what the stored function replaced, and the tests hold the two equal.
    async with trading.uow() as uow:
        early = await _fast_path(uow, listing_id=listing_id, principal=principal, amount=amount,
                                 key=idempotency_key, raise_steps=raise_steps)
        if early is not None:
            return early
        row = await repository.admission(uow.session, listing_id=listing_id, subject=principal.subject,
                                         key=idempotency_key)
        if row is None:
            await load_listing(uow, listing_id=listing_id)  # raises ListingNotFound
        if row.reg_id is None:
            raise BidderNotQualified("未报名该项目")
        if row.key_seq is not None:
            return _replay(row, amount=amount, raise_steps=raise_steps)
        if raise_steps is not None and Method(row.method) is Method.TENDER:
            raise RaiseNotForTender()
        # The server clock decides, read after the lock: a bid that waited on the lock behind
        # the close is judged at the time it is actually admitted.
        now = utc_now()
        method, phase = Method(row.method), S(row.state)
        try:
            _admit(row, method=method, phase=phase, amount=amount, now=now, raise_steps=raise_steps)
        except PlatformError as exc:
            if method is not Method.TENDER:
                exc.extensions.setdefault("current_price", money(row.current_price))
                exc.extensions.setdefault("minimum_next", money(minimum_next(
                    current=row.current_price, start_price=row.start_price, increment=row.increment)))
            raise
        if raise_steps is not None:
            amount = raised(steps=raise_steps, current=row.current_price, start_price=row.start_price,
                            increment=row.increment)
        seq = row.last_seq + 1
        # 拍卖 and 限时竞价: every valid bid restarts the countdown.
        countdown = method is Method.AUCTION or phase is S.TIMED_BIDDING
        closes_at = now + trading.countdown if countdown else row.closes_at
        sealed = None
        if method is Method.TENDER:
            key = derive_tender_key(server_secret=trading.tender_secret, listing_id=listing_id)
            sealed = seal(amount=amount, bidder_number=row.bidder_number, nonce=os.urandom(12), key=key)
        shown = None if sealed else amount
        feed = {"type": "bid", "seq": seq, "bidder_number": row.bidder_number, "amount": money(shown),
                "placed_at": _iso(now), "closes_at": _iso(closes_at)}
        if sealed:  # a tender shows only that a sealed bid arrived
            feed = {"type": "bid", "seq": seq, "sealed": True, "placed_at": _iso(now), "closes_at": _iso(closes_at)}
        await repository.accept(
            uow.session, listing_id=listing_id, seq=seq, reg_id=row.reg_id, bidder_number=row.bidder_number,
            amount=shown, sealed=sealed, phase=phase.value, now=now, key=idempotency_key, client_ip=client_ip,
            closes_at=closes_at, feed=feed,
        )
        uow.record(listing_event(
            type="transactions.bid.accepted.v1", listing=row, actor=principal.subject,
            data={"registration_id": row.reg_id, "bidder_number": row.bidder_number, "seq": seq,
                  "amount": money(shown), "sealed": sealed is not None, "phase": phase.value, "placed_at": now,
                  "closes_at": closes_at},
        ))
        if shown is not None and row.closes_at is not None:
            found = late_bid(bid=Bid(seq, row.bidder_number, shown, now), closes_at=row.closes_at,
                             rules=trading.rules)
            await raise_alerts(uow=uow, listing=row, now=now, found=[(a, f"{a.rule.value}:{seq}") for a in found])
        await uow.commit()
    return BidRead(listing_id=listing_id, seq=seq, bidder_number=row.bidder_number, amount=shown,
                   sealed=sealed is not None, placed_at=now, closes_at=closes_at)


async def _fast_path(uow: Any, *, listing_id: str, principal: Principal, amount: Decimal, key: str | None,
                     raise_steps: int | None) -> BidRead | None:
    """Answer without the row lock when the answer cannot change: a replay, or a certainly-too-low quote."""
    seen = await repository.peek(uow.session, listing_id=listing_id, subject=principal.subject, key=key)
    if seen is None:
        return None
    if seen.key_seq is not None:
        return _replay(seen, amount=amount, raise_steps=raise_steps)
    open_phase = seen.state in (S.BIDDING, S.TIMED_BIDDING) and seen.method != Method.TENDER
    if open_phase and seen.reg_status == "qualified" and seen.current_price is not None:
        floor = seen.current_price + seen.increment
        if raise_steps is not None:
            priced = floor + (raise_steps - 1) * seen.increment
            if priced > amount and money_problem(amount) is None:
                raise BidOverLimit(f"加价 {raise_steps} 个幅度后报价为 {priced} 元，超过上限 {amount} 元",
                                   current_price=money(seen.current_price), priced_amount=money(priced),
                                   max_amount=money(amount))
        elif amount < floor and money_problem(amount) is None:
            raise BidTooLow(f"报价须不低于 {floor} 元", current_price=money(seen.current_price),
                            minimum_next=money(floor))
    return None


def _admit(row: Any, *, method: Method, phase: ListingState, amount: Decimal, now: datetime,
           raise_steps: int | None) -> None:
    qualified = row.reg_status == "qualified" and (phase is not S.TIMED_BIDDING or row.wants_continue)
    check_bid(
        method=method, phase=phase, amount=amount, current=row.current_price, start_price=row.start_price,
        increment=row.increment, now=now, closes_at=row.closes_at, bidder_qualified=qualified,
        opens_at=row.opens_at, is_current_leader=row.leader_registration_id == row.reg_id,
        raise_steps=raise_steps,
    )
    if method is Method.TENDER and row.has_bid:
        raise TenderAlreadySubmitted()


def _replay(row: Any, *, amount: Decimal, raise_steps: int | None) -> BidRead:
    """The original result of a retried request; a different amount under the same key is refused."""
    if not row.key_sealed and not procedure.same_request(row.key_amount, amount=amount, raise_steps=raise_steps):
        raise IdempotencyKeyReused(original_seq=row.key_seq)
    return BidRead(listing_id=str(row.id), seq=row.key_seq, bidder_number=row.bidder_number,
                   amount=None if row.key_sealed else row.key_amount, sealed=row.key_sealed,
                   placed_at=row.key_placed_at, closes_at=row.closes_at, replayed=True)


async def request_continue(*, trading: Trading, listing_id: str, principal: Principal) -> ContinueAck:
    """During a 挂牌 period, a qualified bidder asks to take part in 限时竞价 at the deadline."""
    now = utc_now()
    async with trading.uow() as uow:
        listing = await load_listing(uow, listing_id=listing_id, lock=True)
        reg = await bidders.get_for_bidder(uow.session, listing_id=listing_id, subject=principal.subject)
        if reg is None or reg.status != "qualified":
            raise BidderNotQualified()
        if listing.method != Method.LISTING or listing.state != S.BIDDING or (
            listing.closes_at is not None and now >= listing.closes_at
        ):
            raise ContinueNotAllowed(state=listing.state, method=listing.method)
        if not reg.wants_continue:
            await bidders.update_row(uow.session, registration_id=reg.id, values={"wants_continue": True})
            uow.record(listing_event(
                type="transactions.bidder.continue_requested.v1", listing=listing, actor=principal.subject,
                data={"registration_id": reg.id, "bidder_number": reg.bidder_number},
            ))
        await uow.commit()
    return ContinueAck(listing_id=listing_id, bidder_number=reg.bidder_number, wants_continue=True)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
