"""The blacklist table: one entry per defaulting registration, never deleted (lifting is recorded on it)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Table, Text
from sqlalchemy.dialects.postgresql import UUID

from transactions.metadata import metadata

TS = DateTime(timezone=True)

blacklist = Table(
    "blacklist",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("bidder_subject", Text, nullable=False),
    Column("org_code", Text),
    Column("bidder_name", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("listing_id", UUID(as_uuid=False), nullable=False),
    Column("registration_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("listed_at", TS, nullable=False),
    Column("until", TS),
    Column("lifted_at", TS),
    Column("lifted_by", Text),
    Column("lift_reason", Text),
    Column("lift_document_ref", Text),
)
