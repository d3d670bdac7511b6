"""The bids table: accepted bids with their gap-free per-listing sequence."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, LargeBinary, Numeric, String, Table, Text
from sqlalchemy.dialects.postgresql import UUID

from transactions.metadata import metadata

TS = DateTime(timezone=True)

bids = Table(
    "bids",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("listing_id", UUID(as_uuid=False), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("registration_id", UUID(as_uuid=False), nullable=False),
    Column("bidder_number", String(6), nullable=False),
    Column("amount", Numeric(18, 2)),
    Column("sealed", LargeBinary),
    Column("phase", Text, nullable=False),
    Column("placed_at", TS, nullable=False),
    Column("idempotency_key", Text),
    Column("client_ip", Text),
)
