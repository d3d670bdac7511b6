"""The live-feed table: per-listing gap-free sequence of what bidders and the public may see."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from transactions.metadata import metadata

feed_items = Table(
    "feed_items",
    metadata,
    Column("listing_id", UUID(as_uuid=False), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
