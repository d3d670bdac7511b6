"""The alerts table: every supervision finding, de-duplicated by a stable key."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from transactions.metadata import metadata

alerts = Table(
    "alerts",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("listing_id", UUID(as_uuid=False), nullable=False),
    Column("rule", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("details", JSONB, nullable=False),
    Column("dedupe_key", Text, nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
)
