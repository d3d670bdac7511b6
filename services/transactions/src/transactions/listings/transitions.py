"""Applying a state transition: new state, when the scheduler acts next, a feed item and an event."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from natres_platform.uow import UnitOfWork

from transactions.events import listing_event
from transactions.feed import repository as feed
from transactions.listings import repository
from transactions.listings.states import ListingState, Transition, transition
from transactions.listings.terms import ListingTerms, LandUse, Method, RightType
from transactions.settlement.deadlines import next_deadline

S = ListingState


def bidding_opens_at(listing: Any) -> datetime:
    """挂牌 quotes open with the listing period; 拍卖 bidding and 招标 submission at bidding_start."""
    return listing.listing_start if listing.method == Method.LISTING else listing.bidding_start


def next_action_at(listing: Mapping[str, Any]) -> datetime | None:
    """When the scheduler must next look at a listing in this state (None: nothing time-driven)."""
    state = S(listing["state"])
    if state is S.ANNOUNCED:
        # Registration opens only once the registry confirmed the unit is marked in trade.
        return listing["registration_start"] if listing["unit_marked_at"] else None
    if state is S.REGISTRATION:
        return listing["listing_start"] if listing["method"] == Method.LISTING else listing["bidding_start"]
    if state in (S.BIDDING, S.TIMED_BIDDING):
        return listing["closes_at"]
    if state is S.CONCLUDED:
        # After the deal: the settlement deadlines (成交确认书, 出让合同, 结果公示) are watched.
        return next_deadline(listing)
    return None


def terms_of(listing: Any) -> ListingTerms:
    """The pure rules' view of a listing row."""
    return ListingTerms(
        right_type=RightType(listing.right_type),
        method=Method(listing.method),
        land_use=LandUse(listing.land_use) if listing.land_use else None,
        term_years=listing.term_years,
        announcement_at=listing.announcement_at,
        registration_start=listing.registration_start,
        registration_end=listing.registration_end,
        deposit_deadline=listing.deposit_deadline,
        listing_start=listing.listing_start,
        listing_end=listing.listing_end,
        bidding_start=listing.bidding_start,
        start_price=listing.start_price,
        increment=listing.increment,
        reserve_price=listing.reserve_price,
        no_reserve=listing.no_reserve,
        deposit=listing.deposit,
    )


def base_data(listing: Any) -> dict[str, Any]:
    """What every listing event carries (DESIGN §9 announced/failed/terminated fields included)."""
    return {
        "unit_id": listing.unit_id,
        "unit_code": listing.unit_code,
        "right_type": listing.right_type,
        "method": listing.method,
        "listing_start": listing.listing_start,
        "listing_end": listing.listing_end,
        "state": listing.state,
        "revision": listing.revision,
    }


async def apply_transition(
    *,
    uow: UnitOfWork,
    listing: Any,
    event: Transition,
    actor: str,
    now: datetime,
    values: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
) -> Any:
    """Move a locked listing through `event`; the caller commits."""
    current = S(listing.state)
    suspended_from = S(listing.suspended_from) if listing.suspended_from else None
    new = transition(current, event, suspended_from=suspended_from)
    changes: dict[str, Any] = {
        "state": new.value,
        "suspended_from": current.value if event is Transition.SUSPENDED else None,
        "updated_at": now,
        **(values or {}),
    }
    merged = {**listing._mapping, **changes}
    changes.setdefault("next_action_at", next_action_at(merged))
    row = await repository.update_row(uow.session, listing_id=listing.id, values=changes)
    extra = dict(data or {})
    await feed.append(
        uow.session,
        listing_id=row.id,
        kind="status",
        data={"state": row.state, "previous_state": current.value, "opens_at": row.opens_at,
              "closes_at": row.closes_at, "reason": extra.get("reason")},
        now=now,
    )
    uow.record(
        listing_event(
            type=event.event_type, listing=row, actor=actor,
            data={**base_data(row), "previous_state": current.value, **extra},
        )
    )
    return row
