"""The scheduler's step on a concluded listing: alert on missed deadlines, default a winner without a contract."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from natres_platform.uow import UnitOfWork

from transactions.bidders import repository as bidders
from transactions.bidders.deposits import forfeit, refund_all
from transactions.blacklist.service import list_defaulter
from transactions.events import listing_event, money
from transactions.feed import repository as feed
from transactions.listings import repository
from transactions.listings.terms import RightType
from transactions.settlement.deadlines import next_deadline
from transactions.supervision.rules import confirmation_overdue, publication_overdue, winner_defaulted
from transactions.supervision.service import SYSTEM_ACTOR, raise_alerts
from transactions.trading import Trading

DEFAULT_REASON = "contract_not_signed"


async def watch(*, uow: UnitOfWork, trading: Trading, listing: Any, now: datetime) -> None:
    """Act on every settlement deadline of the (locked) listing that has passed, then wait for the next."""
    s = trading.settings
    mining = RightType(listing.right_type).is_mineral
    values: dict[str, Any] = {}
    if _passed(listing.confirmation_due_at, now) and listing.confirmation_signed_at is None \
            and listing.confirmation_alerted_at is None:
        days = s.confirmation_working_days_mining if mining else s.confirmation_working_days_land
        found = confirmation_overdue(due_at=listing.confirmation_due_at, now=now, working_days=days)
        await raise_alerts(uow=uow, listing=listing, now=now, found=[(a, a.rule.value) for a in found])
        values["confirmation_alerted_at"] = now
    if _passed(listing.publication_due_at, now) and listing.published_at is None \
            and listing.publication_alerted_at is None:
        days = s.publication_working_days_mining if mining else s.publication_working_days_land
        found = publication_overdue(due_at=listing.publication_due_at, now=now, working_days=days)
        await raise_alerts(uow=uow, listing=listing, now=now, found=[(a, a.rule.value) for a in found])
        values["publication_alerted_at"] = now
    if _passed(listing.contract_due_at, now) and listing.contract_signed_at is None and listing.defaulted_at is None:
        await default_winner(uow=uow, trading=trading, listing=listing, now=now)
        values["defaulted_at"] = now
    values["next_action_at"] = next_deadline({**listing._mapping, **values})
    values["updated_at"] = now
    await repository.update_row(uow.session, listing_id=listing.id, values=values)


async def default_winner(*, uow: UnitOfWork, trading: Trading, listing: Any, now: datetime) -> None:
    """违约: the 定金 is forfeited, the other deposits refunded, the winner blacklisted, everyone told."""
    winner = await bidders.get(uow.session, registration_id=listing.winner_registration_id, lock=True)
    forfeited = await forfeit(uow=uow, listing=listing, registration_id=winner.id, actor=SYSTEM_ACTOR, now=now,
                              reason=DEFAULT_REASON)
    # the other bidders are refunded as at a signed contract: they did not win
    await refund_all(uow=uow, listing=listing, actor=SYSTEM_ACTOR, now=now, reason="not_winner",
                     except_registration=winner.id)
    await list_defaulter(uow=uow, trading=trading, listing=listing, winner=winner, reason=DEFAULT_REASON,
                         actor=SYSTEM_ACTOR, now=now)
    # The registry opened the winner's registration on deal.concluded; this tells it the deal fell through.
    uow.record(listing_event(
        type="transactions.deal.defaulted.v1", listing=listing, actor=SYSTEM_ACTOR,
        data={"unit_id": listing.unit_id, "unit_code": listing.unit_code, "registration_id": winner.id,
              "bidder_number": winner.bidder_number, "winner_subject": winner.bidder_subject,
              "contract_due_at": listing.contract_due_at, "reason": DEFAULT_REASON, "defaulted_at": now},
    ))
    amount = money(forfeited.deposit_amount) if forfeited is not None else None
    found = winner_defaulted(bidder_number=winner.bidder_number, due_at=listing.contract_due_at, forfeited=amount)
    await raise_alerts(uow=uow, listing=listing, now=now, found=[(a, a.rule.value) for a in found])
    await feed.append(uow.session, listing_id=listing.id, kind="default",
                      data={"bidder_number": winner.bidder_number, "defaulted_at": now}, now=now)


def _passed(due: datetime | None, now: datetime) -> bool:
    return due is not None and now >= due
