"""Time-driven steps of a listing: open registration and bidding, close (award, 限时竞价, 流拍), deadlines."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from natres_platform.events import utc_now
from natres_platform.uow import UnitOfWork

from transactions.bidders import repository as bidders
from transactions.bidders.deposits import refund_all
from transactions.bidding import repository as bids_repo
from transactions.bidding.rules import (
    Bid,
    Outcome,
    OutcomeStatus,
    auction_close_outcome,
    listing_close_outcome,
    timed_bidding_outcome,
)
from transactions.bidding.sealed import SealedBid, derive_tender_key, open_tender
from transactions.events import money
from transactions.listings import repository
from transactions.listings.rules import TooFewBidders, check_can_proceed
from transactions.listings.states import ListingState, Transition
from transactions.listings.terms import Method, RightType
from transactions.listings.transitions import apply_transition
from transactions.settlement.overdue import watch
from transactions.settlement.service import conclude
from transactions.supervision.rules import single_bidder
from transactions.supervision.service import SYSTEM_ACTOR, raise_alerts
from transactions.trading import Trading

log = logging.getLogger(__name__)
S = ListingState
RETRY_AFTER = timedelta(seconds=30)


async def run_due(*, trading: Trading, limit: int = 100) -> int:
    """Act on every listing whose next step is due (each in its own transaction); returns how many."""
    done = 0
    while done < limit:
        try:
            acted = await advance_one(trading=trading)
        except Exception:  # noqa: BLE001 - one broken listing must not stall the others
            log.exception("scheduler: step failed")
            acted = True
        if not acted:
            break
        done += 1
    return done


async def advance_one(*, trading: Trading) -> bool:
    """Claim the most overdue listing (SKIP LOCKED) and take its step; False when nothing is due."""
    now = utc_now()
    claimed: str | None = None
    try:
        async with trading.uow() as uow:
            row = await repository.claim_due(uow.session, now=now)
            if row is None:
                return False
            claimed = row.id
            await take_step(uow=uow, trading=trading, listing=row, now=now)
            await uow.commit()
    except Exception:
        if claimed is not None:
            # Keep the failure visible but push the listing back, so the queue keeps moving.
            async with trading.uow() as uow:
                await repository.update_row(uow.session, listing_id=claimed,
                                            values={"next_action_at": now + RETRY_AFTER})
                await uow.commit()
        raise
    return True


async def take_step(*, uow: UnitOfWork, trading: Trading, listing: Any, now: datetime) -> None:
    """The step due on a claimed (locked) listing; the caller commits."""
    state = S(listing.state)
    if state is S.ANNOUNCED and listing.unit_marked_at is None:
        # Never open registration on a unit the registry has not marked in trade (地证同交).
        await repository.update_row(uow.session, listing_id=listing.id, values={"next_action_at": None})
    elif state is S.ANNOUNCED:
        await apply_transition(uow=uow, listing=listing, event=Transition.REGISTRATION_OPENED,
                               actor=SYSTEM_ACTOR, now=now)
    elif state is S.REGISTRATION:
        await _open_bidding(uow=uow, trading=trading, listing=listing, now=now)
    elif state in (S.BIDDING, S.TIMED_BIDDING):
        await _close(uow=uow, trading=trading, listing=listing, now=now)
    elif state is S.CONCLUDED:
        await watch(uow=uow, trading=trading, listing=listing, now=now)
    else:
        await repository.update_row(uow.session, listing_id=listing.id, values={"next_action_at": None})


async def _open_bidding(*, uow: UnitOfWork, trading: Trading, listing: Any, now: datetime) -> None:
    method = Method(listing.method)
    qualified = await bidders.qualified_count(uow.session, listing_id=listing.id)
    if method is not Method.LISTING:
        try:
            check_can_proceed(right_type=RightType(listing.right_type), method=method, qualified_count=qualified,
                              rules=trading.rules)
        except TooFewBidders as exc:
            await _fail(uow=uow, listing=listing, now=now, reason="too_few_bidders",
                        data={"qualified_count": qualified, "required": exc.extensions["required"]})
            return
    # 挂牌 quotes run to the end of the listing period; 招标 bids to the opening; 拍卖 on a countdown.
    closes_at = now + trading.countdown if method is Method.AUCTION else listing.listing_end
    row = await apply_transition(uow=uow, listing=listing, event=Transition.BIDDING_OPENED, actor=SYSTEM_ACTOR,
                                 now=now, values={"opens_at": now, "closes_at": closes_at},
                                 data={"qualified_count": qualified, "closes_at": closes_at})
    if method is not Method.LISTING:
        await raise_alerts(uow=uow, listing=row, now=now,
                           found=[(a, a.rule.value) for a in single_bidder(qualified_count=qualified)])


async def _close(*, uow: UnitOfWork, trading: Trading, listing: Any, now: datetime) -> None:
    method, state = Method(listing.method), S(listing.state)
    reserve = listing.reserve_price
    if method is Method.TENDER:
        outcome = await _open_tender(uow=uow, trading=trading, listing=listing, now=now)
    else:
        all_bids = await _bids(uow, listing.id)
        if method is Method.LISTING and state is S.BIDDING:
            regs = await bidders.for_listing(uow.session, listing_id=listing.id)
            continuing = [r.bidder_number for r in regs if r.status == "qualified" and r.wants_continue]
            outcome = listing_close_outcome(bids=all_bids, continue_requests=continuing, reserve_price=reserve)
        elif method is Method.LISTING:
            outcome = timed_bidding_outcome(bids=all_bids, reserve_price=reserve)
        else:
            outcome = auction_close_outcome(bids=all_bids, reserve_price=reserve)
    if outcome.status is OutcomeStatus.TIMED_BIDDING:
        # A separately scheduled 限时竞价 starts then; otherwise right at the listing deadline.
        opens_at = max(listing.bidding_start, now) if listing.bidding_start else now
        await apply_transition(
            uow=uow, listing=listing, event=Transition.TIMED_BIDDING_STARTED, actor=SYSTEM_ACTOR, now=now,
            values={"opens_at": opens_at, "closes_at": opens_at + trading.countdown},
            data={"continuing_bidders": list(outcome.continuing_bidders), "opens_at": opens_at,
                  "closes_at": opens_at + trading.countdown},
        )
    elif outcome.status is OutcomeStatus.CONCLUDED:
        await conclude(uow=uow, trading=trading, listing=listing, winning=outcome.winning_bid, now=now)
    else:
        await _fail(uow=uow, listing=listing, now=now, reason=outcome.reason.value, data=_reveal(listing, outcome))


async def _fail(*, uow: UnitOfWork, listing: Any, now: datetime, reason: str, data: dict[str, Any]) -> None:
    """流拍 (or too few bidders): the registry lifts its mark, every deposit is refunded."""
    row = await apply_transition(uow=uow, listing=listing, event=Transition.FAILED, actor=SYSTEM_ACTOR, now=now,
                                 values={"closed_at": now, "outcome_reason": reason},
                                 data={"reason": reason, **data})
    await refund_all(uow=uow, listing=row, actor=SYSTEM_ACTOR, now=now, reason="failed")


def _reveal(listing: Any, outcome: Outcome) -> dict[str, Any]:
    # After the close the reserve is no longer secret: the failure says what it was.
    return {"reserve_price": money(listing.reserve_price), "no_reserve": listing.no_reserve,
            "highest_price": money(outcome.winning_bid.amount) if outcome.winning_bid else None}


async def _bids(uow: UnitOfWork, listing_id: str) -> list[Bid]:
    rows = await bids_repo.for_listing(uow.session, listing_id=listing_id, limit=1_000_000)
    return [Bid(sequence=r.seq, bidder_number=r.bidder_number, amount=r.amount, placed_at=r.placed_at) for r in rows]


async def _open_tender(*, uow: UnitOfWork, trading: Trading, listing: Any, now: datetime) -> Outcome:
    """开标: unseal every bid (only now the key is used) and write the amounts beside the seals."""
    rows = await bids_repo.for_listing(uow.session, listing_id=listing.id, limit=1_000_000)
    sealed = [SealedBid(sequence=r.seq, bidder_number=r.bidder_number, sealed=r.sealed, placed_at=r.placed_at)
              for r in rows]
    key = derive_tender_key(server_secret=trading.tender_secret, listing_id=listing.id)
    outcome, opened = open_tender(sealed_bids=sealed, key=key, now=now, opens_at=listing.closes_at,
                                  reserve_price=listing.reserve_price)
    await bids_repo.reveal(uow.session, listing_id=listing.id, amounts={b.sequence: b.amount for b in opened})
    return outcome
