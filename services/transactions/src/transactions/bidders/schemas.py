"""API shapes of bidder registrations: the bidder's own view and the administrator's view."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from transactions.money import Money, MoneyOut


class RegistrationRead(BaseModel):
    """A bidder's own registration (the only identity a bidder ever sees is their own)."""

    id: str
    listing_id: str
    status: str
    bidder_number: str | None
    deposit_status: str
    deposit_amount: MoneyOut | None
    deposit_paid_at: datetime | None
    wants_continue: bool
    created_at: datetime


class RegistrationAdminRead(RegistrationRead):
    """Everything, for trading administrators and supervisors."""

    bidder_subject: str
    bidder_username: str | None
    bidder_name: str
    org_code: str | None
    client_ip: str
    bank_reference: str | None
    qualified_by: str | None
    qualified_at: datetime | None
    reject_reason: str | None


class RejectBody(BaseModel):
    """Why a registration is refused."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class SimulatedPayment(BaseModel):
    """The demo bank: pay a deposit for a registration (defaults to the listing's deposit)."""

    model_config = ConfigDict(extra="forbid")

    registration_id: UUID
    amount: Money | None = None


class DepositAck(BaseModel):
    """The answer to a bank notice."""

    registration_id: str
    status: str
    deposit_status: str
    duplicate: bool
