"""API shapes of the blacklist: an entry with the identity behind it, and a lifting."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EntryStatus(StrEnum):
    """Whether an entry bars its bidder now."""

    ACTIVE = "active"
    EXPIRED = "expired"   # its period ran out
    LIFTED = "lifted"     # ended early by a trading administrator


class BlacklistEntryRead(BaseModel):
    """One entry, identities included (trading administrators and supervisors only)."""

    id: int
    status: EntryStatus
    listing_id: str = Field(description="the listing the winner defaulted on")
    county_code: str = Field(description="that listing's county (scopes trading administrators)")
    registration_id: str
    bidder_subject: str
    bidder_name: str
    org_code: str | None
    reason: str
    listed_at: datetime
    until: datetime | None = Field(description="end of the bar; null: until lifted")
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str | None
    lift_document_ref: str | None

    @classmethod
    def from_row(cls, row: Any, *, now: datetime) -> BlacklistEntryRead:
        """Shape an entry row (with its listing's county) as seen at `now`."""
        if row.lifted_at is not None:
            status = EntryStatus.LIFTED
        elif row.until is not None and row.until <= now:
            status = EntryStatus.EXPIRED
        else:
            status = EntryStatus.ACTIVE
        return cls(status=status, **{k: row._mapping[k] for k in cls.model_fields if k != "status"})


class LiftBody(BaseModel):
    """Why the entry ends early, and the decision it rests on."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)
    document_ref: str | None = Field(default=None, min_length=1, max_length=200,
                                     description="e.g. the number of the decision or court ruling")
