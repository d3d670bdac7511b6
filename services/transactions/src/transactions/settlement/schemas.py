"""API shapes of settlement: contract signing and the published result."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from transactions.money import MoneyOut


class ContractBody(BaseModel):
    """The signed 出让合同's number."""

    model_config = ConfigDict(extra="forbid")

    contract_no: str = Field(min_length=1, max_length=100)


class ConfirmationSigned(BaseModel):
    """The winner's signature on the 成交确认书, and what is due next."""

    listing_id: str
    deal_confirmation_no: str
    signed_at: datetime
    due_at: datetime | None
    contract_due_at: datetime | None


class ResultRead(BaseModel):
    """The published result (公示)."""

    listing_id: str
    unit_id: str
    unit_code: str
    right_type: str
    method: str
    price: MoneyOut
    bidder_number: str
    winner_name: str
    winner_org_code: str | None
    deal_confirmation_no: str
    contract_no: str
    published_at: datetime
    shown_until: datetime | None = Field(description="公示 stays shown at least until then (working days after "
                                                     "publication: 10 for mining rights, land as configured)")
    shown_until_provisional: bool | None = Field(description="a day counted lies in a year without holiday data")
