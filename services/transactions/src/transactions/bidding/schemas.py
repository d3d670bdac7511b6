"""API shapes of bids: the request, the accepted bid, the public and the supervisor's bid lines."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from transactions.money import Money, MoneyOut


class BidCreate(BaseModel):
    """A quote in yuan as a decimal string, e.g. "12500000.00"."""

    model_config = ConfigDict(extra="forbid")

    amount: Money


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
