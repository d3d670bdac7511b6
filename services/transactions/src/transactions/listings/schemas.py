"""API shapes of listings: create, revise, the public view and the administrator's view."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from transactions.listings.states import ListingState, is_final
from transactions.listings.terms import LandUse, Method, RightType
from transactions.money import Money, MoneyOut


class ListingCreate(BaseModel):
    """What a trading administrator submits to create a listing (draft)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    unit_id: UUID
    right_type: RightType
    method: Method
    land_use: LandUse | None = None
    term_years: int
    announcement_at: AwareDatetime
    registration_start: AwareDatetime
    registration_end: AwareDatetime
    deposit_deadline: AwareDatetime
    listing_start: AwareDatetime
    listing_end: AwareDatetime
    bidding_start: AwareDatetime | None = None
    start_price: Money
    increment: Money
    reserve_price: Money | None = None
    no_reserve: bool = False
    deposit: Money


class ListingRevise(BaseModel):
    """A change of terms before bidding starts; omitted fields keep their value."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    land_use: LandUse | None = None
    term_years: int | None = None
    announcement_at: AwareDatetime | None = None
    registration_start: AwareDatetime | None = None
    registration_end: AwareDatetime | None = None
    deposit_deadline: AwareDatetime | None = None
    listing_start: AwareDatetime | None = None
    listing_end: AwareDatetime | None = None
    bidding_start: AwareDatetime | None = None
    start_price: Money | None = None
    increment: Money | None = None
    reserve_price: Money | None = None
    no_reserve: bool | None = None
    deposit: Money | None = None


class Reason(BaseModel):
    """Why an administrator suspends, resumes or terminates."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class ListingRead(BaseModel):
    """What anyone may see: no reserve price before the close, no identities."""

    id: str
    title: str
    unit_id: str
    unit_code: str
    county_code: str
    right_type: RightType
    right_type_label: str
    method: Method
    land_use: str | None
    term_years: int
    announcement_at: datetime
    registration_start: datetime
    registration_end: datetime
    deposit_deadline: datetime
    listing_start: datetime
    listing_end: datetime
    bidding_start: datetime | None
    start_price: MoneyOut
    increment: MoneyOut
    deposit: MoneyOut
    no_reserve: bool
    reserve_price: MoneyOut | None = Field(description="底价: null until the close (or when there is none)")
    state: ListingState
    revision: int
    unit_marked: bool
    current_price: MoneyOut | None
    last_seq: int
    opens_at: datetime | None
    closes_at: datetime | None
    final_price: MoneyOut | None
    outcome_reason: str | None
    published: bool
    schedule_provisional: bool = Field(description="暂定排期: working days counted Monday-Friday in a year "
                                                   "without holiday data")
    schedule_warning: str | None = Field(description="why the schedule is provisional (Chinese)")
    server_time: datetime

    @classmethod
    def from_row(cls, row: Any, *, now: datetime) -> ListingRead:
        """Shape a listing row for the public."""
        data = _common(row, now=now)
        return cls(**data)


class ListingAdminRead(ListingRead):
    """The administrator's and supervisor's view, reserve price included."""

    secret_reserve_price: MoneyOut | None
    suspended_from: str | None
    next_action_at: datetime | None
    winner_registration_id: str | None
    deal_confirmation_no: str | None
    contract_no: str | None
    contract_signed_at: datetime | None
    published_at: datetime | None
    confirmation_signed_at: datetime | None
    confirmation_due_at: datetime | None = Field(description="成交确认书 due (2 working days land, 3 mining)")
    contract_due_at: datetime | None = Field(description="出让合同 due; past it unsigned, the winner defaults")
    publication_due_at: datetime | None = Field(description="结果公示 due (10 working days land, 5 mining)")
    defaulted_at: datetime | None = Field(description="违约: 定金 forfeited, winner blacklisted")
    created_by: str

    @classmethod
    def from_row(cls, row: Any, *, now: datetime) -> ListingAdminRead:
        """Shape a listing row for trading administrators and supervisors."""
        return cls(
            **_common(row, now=now),
            secret_reserve_price=row.reserve_price,
            suspended_from=row.suspended_from,
            next_action_at=row.next_action_at,
            winner_registration_id=row.winner_registration_id,
            deal_confirmation_no=row.deal_confirmation_no,
            contract_no=row.contract_no,
            contract_signed_at=row.contract_signed_at,
            published_at=row.published_at,
            confirmation_signed_at=row.confirmation_signed_at,
            confirmation_due_at=row.confirmation_due_at,
            contract_due_at=row.contract_due_at,
            publication_due_at=row.publication_due_at,
            defaulted_at=row.defaulted_at,
            created_by=row.created_by,
        )


class RevisionRead(BaseModel):
    """One kept version of the terms."""

    revision: int
    terms: dict[str, Any]
    reason: str
    changed_by: str
    changed_at: datetime


def _common(row: Any, *, now: datetime) -> dict[str, Any]:
    state = ListingState(row.state)
    closed = is_final(state)
    return {
        "id": row.id, "title": row.title, "unit_id": row.unit_id, "unit_code": row.unit_code,
        "county_code": row.county_code, "right_type": row.right_type,
        "right_type_label": RightType(row.right_type).label, "method": row.method, "land_use": row.land_use,
        "term_years": row.term_years, "announcement_at": row.announcement_at,
        "registration_start": row.registration_start, "registration_end": row.registration_end,
        "deposit_deadline": row.deposit_deadline, "listing_start": row.listing_start,
        "listing_end": row.listing_end, "bidding_start": row.bidding_start, "start_price": row.start_price,
        "increment": row.increment, "deposit": row.deposit, "no_reserve": row.no_reserve,
        # 底价 stays secret until the end (mining trading rules 2011; 39号令 derivatives).
        "reserve_price": row.reserve_price if closed else None,
        "state": state, "revision": row.revision, "unit_marked": row.unit_marked_at is not None,
        # A tender's price is sealed: nothing to show until the opening.
        "current_price": None if row.method == Method.TENDER else row.current_price,
        "last_seq": row.last_seq, "opens_at": row.opens_at, "closes_at": row.closes_at,
        "final_price": row.final_price, "outcome_reason": row.outcome_reason,
        "published": row.published_at is not None, "schedule_provisional": row.schedule_provisional,
        "schedule_warning": row.schedule_warning, "server_time": now,
    }
