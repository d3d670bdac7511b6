"""Listing use cases: create, revise terms, announce, suspend, resume, terminate."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from natres_platform.auth import Principal
from natres_platform.events import utc_now
from natres_platform.uow import UnitOfWork

from transactions.bidders.deposits import refund_all
from transactions.calendar.repository import load_calendar
from transactions.events import jsonable, listing_event
from transactions.listings import repository
from transactions.listings.errors import ListingNotFound, TermsLocked, UnitAlreadyListed
from transactions.listings.rules import validate_terms
from transactions.listings.schemas import ListingCreate, ListingRevise
from transactions.listings.states import ListingState, Transition, terms_editable
from transactions.listings.terms import LandUse, ListingTerms, Method, RightType
from transactions.listings.transitions import apply_transition, base_data
from transactions.listings.units import check_tradable, load_unit
from transactions.regions import require_jurisdiction
from transactions.trading import Trading

TERM_FIELDS = (
    "land_use", "term_years", "announcement_at", "registration_start", "registration_end", "deposit_deadline",
    "listing_start", "listing_end", "bidding_start", "start_price", "increment", "reserve_price", "no_reserve",
    "deposit",
)


def _terms(values: dict[str, Any]) -> ListingTerms:
    return ListingTerms(
        right_type=RightType(values["right_type"]),
        method=Method(values["method"]),
        land_use=LandUse(values["land_use"]) if values.get("land_use") else None,
        **{f: values.get(f) for f in TERM_FIELDS if f != "land_use"},
    )


def _snapshot(values: Any) -> dict[str, Any]:
    """The terms of one revision as kept (reserve included: revisions are not public)."""
    get = values.get if isinstance(values, dict) else lambda f: getattr(values, f)
    return jsonable({f: get(f) for f in ("title", "right_type", "method", *TERM_FIELDS)})


async def load(uow: UnitOfWork, *, listing_id: str, lock: bool = False) -> Any:
    """The listing or ListingNotFound."""
    row = await repository.get(uow.session, listing_id=listing_id, lock=lock)
    if row is None:
        raise ListingNotFound(listing_id=listing_id)
    return row


async def check_schedule(uow: UnitOfWork, *, trading: Trading, values: Any) -> dict[str, Any]:
    """Validate the terms on the trading calendar as entered now; the provisional flag and warning to keep."""
    calendar = await load_calendar(uow.session)
    check = validate_terms(_terms(values), calendar=calendar, rules=trading.rules)
    return {"schedule_provisional": check.provisional, "schedule_warning": check.warning}


async def create_listing(*, trading: Trading, data: ListingCreate, actor: Principal) -> Any:
    """Check the rules and the unit, then keep the listing as a draft with revision 1."""
    values = data.model_dump()
    values["unit_id"] = str(data.unit_id)
    now = utc_now()
    async with trading.uow() as uow:
        schedule = await check_schedule(uow, trading=trading, values=values)
        unit = check_tradable(
            await load_unit(uow.session, unit_id=values["unit_id"], view=trading.settings.units_view),
            unit_id=values["unit_id"],
        )
        require_jurisdiction(actor, unit.county_code)
        listing_id = str(uuid.uuid4())
        try:
            async with uow.session.begin_nested():
                row = await repository.insert(uow.session, values={
                    **values, **schedule, "id": listing_id, "unit_code": unit.code, "county_code": unit.county_code,
                    "state": ListingState.DRAFT.value, "revision": 1, "last_seq": 0, "feed_seq": 0,
                    "created_by": actor.subject, "created_at": now, "updated_at": now,
                })
        except IntegrityError as exc:
            if "uq_listings_open_unit" in str(exc.orig):
                raise UnitAlreadyListed(unit_id=values["unit_id"]) from None
            raise
        await repository.insert_revision(uow.session, listing_id=listing_id, revision=1, terms=_snapshot(values),
                                         reason="创建", actor=actor.subject, now=now)
        uow.record(listing_event(
            type="transactions.listing.created.v1", listing=row, actor=actor.subject,
            data={**base_data(row), "title": row.title, "start_price": row.start_price,
                  "increment": row.increment, "deposit": row.deposit, "no_reserve": row.no_reserve,
                  "restrictions_checked": unit.restrictions_known,
                  "schedule_provisional": row.schedule_provisional},
        ))
        await uow.commit()
    return row


async def revise_terms(*, trading: Trading, listing_id: str, data: ListingRevise, actor: Principal) -> Any:
    """Change terms before bidding starts; the rules are checked again and the change kept as a revision."""
    changes = data.model_dump(exclude_unset=True)
    reason = changes.pop("reason")
    now = utc_now()
    async with trading.uow() as uow:
        row = await load(uow, listing_id=listing_id, lock=True)
        require_jurisdiction(actor, row.county_code)
        if not terms_editable(ListingState(row.state)):
            raise TermsLocked(state=row.state)
        merged = {**row._mapping, **changes}
        if changes.get("no_reserve"):
            merged["reserve_price"] = None
        elif changes.get("reserve_price") is not None:
            merged["no_reserve"] = False
        schedule = await check_schedule(uow, trading=trading, values=merged)
        revision = row.revision + 1
        values = {k: merged[k] for k in ("title", *TERM_FIELDS)}
        row = await repository.update_row(uow.session, listing_id=listing_id,
                                          values={**values, **schedule, "revision": revision, "updated_at": now})
        await repository.insert_revision(uow.session, listing_id=listing_id, revision=revision,
                                         terms=_snapshot(merged), reason=reason, actor=actor.subject, now=now)
        # The reserve stays secret: the event says which fields changed, never the reserve value.
        uow.record(listing_event(
            type="transactions.listing.revised.v1", listing=row, actor=actor.subject,
            data={**base_data(row), "changed_fields": sorted(changes), "reason": reason,
                  "public_terms": {k: v for k, v in jsonable(values).items() if k != "reserve_price"}},
        ))
        await uow.commit()
    return row


async def change_state(
    *, trading: Trading, listing_id: str, event: Transition, actor: Principal, reason: str | None = None
) -> Any:
    """Announce, suspend, resume or terminate (administrator actions)."""
    now = utc_now()
    async with trading.uow() as uow:
        row = await load(uow, listing_id=listing_id, lock=True)
        require_jurisdiction(actor, row.county_code)
        values: dict[str, Any] = {}
        data: dict[str, Any] = {"reason": reason or event.value}
        if event is Transition.ANNOUNCED:
            # Published on the calendar as entered now: a holiday notice entered since the draft counts.
            values.update(await check_schedule(uow, trading=trading, values=row._mapping))
            data["schedule_provisional"] = values["schedule_provisional"]
        if event is Transition.RESUMED and row.closes_at is not None and row.suspended_from in (
            ListingState.TIMED_BIDDING, ListingState.BIDDING
        ) and row.method != Method.TENDER:
            values["closes_at"] = _resumed_deadline(row, now=now, trading=trading)
        if event is Transition.SUSPENDED:
            values["next_action_at"] = None  # the clock stops while suspended
        row = await apply_transition(uow=uow, listing=row, event=event, actor=actor.subject, now=now,
                                     values=values, data=data)
        if event is Transition.TERMINATED:
            await refund_all(uow=uow, listing=row, actor=actor.subject, now=now, reason="terminated")
        await uow.commit()
    return row


def _resumed_deadline(row: Any, *, now: datetime, trading: Trading) -> datetime:
    # A countdown interrupted by a suspension restarts in full rather than expiring on resume.
    countdown_phase = row.suspended_from == ListingState.TIMED_BIDDING or row.method == Method.AUCTION
    if countdown_phase:
        return max(row.closes_at, now + trading.countdown)
    return row.closes_at
