"""API shapes of bids: the request, the accepted bid, the public and the supervisor's bid lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from transactions.money import Money, MoneyOut

MAX_RAISE_STEPS = 100


class BidCreate(BaseModel):
    """A quote in yuan (`amount`, e.g. "12500000.00"), or a 加价 (`raise_steps` with `max_amount`)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"amount": "12500000.00"}, {"raise_steps": 1, "max_amount": "13000000.00"}]})

    amount: Money | None = Field(None, description="报价：an explicit quote, ≥ the current price + the increment")
    raise_steps: int | None = Field(
        None, ge=1, le=MAX_RAISE_STEPS,
        description="加价：the server prices the bid under the listing lock as the minimum next quote (the start "
                    "price, or the current price + one increment) plus one increment per further step")
    max_amount: Money | None = Field(
        None, description="with raise_steps: the most the bidder will pay; a raise that would exceed it is "
                          "refused with 409 bid.over_limit and the current price")

    @model_validator(mode="after")
    def _one_form(self) -> BidCreate:
        if (self.amount is None) == (self.raise_steps is None):
            raise ValueError("须提供 amount（报价），或 raise_steps 与 max_amount（加价），二者择一")
        if self.raise_steps is not None and self.max_amount is None:
            raise ValueError("加价须同时给出 max_amount（可接受的最高报价）")
        if self.amount is not None and self.max_amount is not None:
            raise ValueError("max_amount 只用于加价（raise_steps）")
        return self

    @property
    def price_or_limit(self) -> Decimal:
        """The explicit quote, or for a raise the bidder's limit (what the amount rules check)."""
        return self.amount if self.amount is not None else self.max_amount  # type: ignore[return-value]


class BidRead(BaseModel):
    """An accepted bid as its bidder sees it (amount omitted for a sealed tender bid)."""

    listing_id: str
    seq: int
    bidder_number: str
    amount: MoneyOut | None
    sealed: bool
    placed_at: datetime
    closes_at: datetime | None
    replayed: bool = False


class PublicBid(BaseModel):
    """A bid on the public board: number, amount, order, time; never an identity."""

    seq: int
    bidder_number: str
    amount: MoneyOut | None
    placed_at: datetime
    phase: str


class SupervisedBid(PublicBid):
    """A bid with the bidder behind it (supervisors only)."""

    registration_id: str
    bidder_subject: str
    bidder_name: str
    org_code: str | None
    client_ip: str | None
    idempotency_key: str | None


class ContinueAck(BaseModel):
    """A 挂牌 bidder's wish to go on to 限时竞价 at the deadline."""

    listing_id: str
    bidder_number: str
    wants_continue: bool
