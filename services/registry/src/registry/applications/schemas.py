"""Application API schemas."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from registry.applications.types import RegistrationType


class Party(BaseModel):
    """A party: right holder, obligor, mortgagee or applicant; its id number is masked in every response."""

    role: Literal["holder", "obligor", "mortgagee", "applicant"] = "holder"
    name: str = Field(min_length=1, max_length=200)
    id_type: str = Field(default="居民身份证", max_length=40)
    id_number: str = Field(min_length=4, max_length=40)
    share: Decimal | None = Field(default=None, gt=0, le=1, description="decimal share; holders' shares sum to 1")
    subject: str | None = Field(default=None, description="platform account of the party, if any")
    org_code: str | None = None


class ApplicationCreate(BaseModel):
    """A filing: type, unit, parties and type-specific details."""

    type: RegistrationType
    unit_id: str
    parties: list[Party] = Field(default_factory=list, max_length=50)
    details: dict[str, Any] = Field(default_factory=dict)
    receiving_office: str | None = Field(default=None, pattern=r"^\d{6}$", description="office the filing goes to")
    applicant_name: str | None = Field(default=None, max_length=200)
    applicant_subject: str | None = Field(default=None, description="counter filings: the applicant's account")


class RefuseAcceptance(BaseModel):
    """不予受理: what else is missing, told at once together with the missing documents."""

    missing_items: list[str] = Field(default_factory=list, max_length=100)
    note: str | None = None


class ReviewDecision(BaseModel):
    """审核 outcome."""

    approve: bool
    opinion: str = Field(min_length=1, max_length=2000)
    reasons: list[str] = Field(default_factory=list)


class Refusal(BaseModel):
    """不予登记 with reasons (条例 Art. 22)."""

    reasons: list[str] = Field(min_length=1)


class ApplicationRead(BaseModel):
    """An application as shown to its applicant and to officials."""

    id: str
    number: str
    type: str
    type_label: str
    unit_id: str
    status: str
    channel: str
    applicant_subject: str
    applicant_name: str | None
    parties: list[dict[str, Any]]
    details: dict[str, Any]
    receiving_office: str
    competent_office: str
    missing_items: list[dict[str, Any]]
    refusal_reasons: list[str]
    listing_id: str | None
    submitted_at: datetime
    accepted_at: datetime | None
    accepted_by: str | None
    notice_start: date | None
    notice_end: date | None
    reviewed_at: datetime | None
    reviewed_by: str | None
    recorded_at: datetime | None
    book_entry_id: str | None
    certificate_id: str | None
    time_limit_days: int | None
    deadline: date | None
    deadline_provisional: bool
    documents: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []


class DocumentRead(BaseModel):
    """An uploaded document's metadata (the bytes are fetched separately)."""

    id: str
    kind: str
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime
