"""Bidder tables: registrations (报名 → 保证金 → 资格 → 竞买号) and the bank callback nonce store."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Numeric, String, Table, Text
from sqlalchemy.dialects.postgresql import UUID

from transactions.metadata import metadata

TS = DateTime(timezone=True)

registrations = Table(
    "registrations",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("listing_id", UUID(as_uuid=False), nullable=False),
    Column("bidder_subject", Text, nullable=False),
    Column("bidder_username", Text),
    Column("bidder_name", Text, nullable=False),
    Column("org_code", Text),
    Column("client_ip", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("bidder_number", String(6)),
    Column("wants_continue", Boolean, nullable=False),
    Column("deposit_status", Text, nullable=False),
    Column("deposit_amount", Numeric(18, 2)),
    Column("deposit_paid_at", TS),
    Column("bank_reference", Text),
    Column("qualified_by", Text),
    Column("qualified_at", TS),
    Column("reject_reason", Text),
    Column("created_at", TS, nullable=False),
)

bank_nonces = Table(
    "bank_nonces",
    metadata,
    Column("nonce", Text, primary_key=True),
    Column("received_at", TS, nullable=False),
)
