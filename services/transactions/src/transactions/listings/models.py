"""Listing tables: the listing row (terms, state, live price, counters) and its term revisions."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Integer, LargeBinary, Numeric, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from transactions.metadata import metadata

Money = Numeric(18, 2)
TS = DateTime(timezone=True)

listings = Table(
    "listings",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("title", Text, nullable=False),
    Column("unit_id", Text, nullable=False),
    Column("unit_code", Text, nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("right_type", Text, nullable=False),
    Column("method", Text, nullable=False),
    Column("land_use", Text),
    Column("term_years", Integer, nullable=False),
    Column("announcement_at", TS, nullable=False),
    Column("registration_start", TS, nullable=False),
    Column("registration_end", TS, nullable=False),
    Column("deposit_deadline", TS, nullable=False),
    Column("listing_start", TS, nullable=False),
    Column("listing_end", TS, nullable=False),
    Column("bidding_start", TS),
    Column("start_price", Money, nullable=False),
    Column("increment", Money, nullable=False),
    Column("reserve_price", Money),
    Column("no_reserve", Boolean, nullable=False),
    Column("deposit", Money, nullable=False),
    Column("state", Text, nullable=False),
    Column("suspended_from", Text),
    Column("revision", Integer, nullable=False),
    Column("unit_marked_at", TS),
    Column("unit_cleared_at", TS),
    Column("current_price", Money),
    Column("leader_registration_id", UUID(as_uuid=False)),
    Column("last_seq", Integer, nullable=False),
    Column("feed_seq", BigInteger, nullable=False),
    Column("opens_at", TS),
    Column("closes_at", TS),
    Column("next_action_at", TS),
    Column("winner_registration_id", UUID(as_uuid=False)),
    Column("final_price", Money),
    Column("outcome_reason", Text),
    Column("closed_at", TS),
    Column("deal_confirmation_no", Text),
    Column("deal_confirmation_pdf", LargeBinary),
    Column("deal_confirmation_sha256", Text),
    Column("contract_no", Text),
    Column("contract_signed_at", TS),
    Column("published_at", TS),
    Column("confirmation_signed_at", TS),
    Column("confirmation_due_at", TS),
    Column("confirmation_alerted_at", TS),
    Column("contract_due_at", TS),
    Column("publication_due_at", TS),
    Column("publication_alerted_at", TS),
    Column("defaulted_at", TS),
    Column("result_shown_until", TS),
    Column("result_shown_provisional", Boolean),
    Column("schedule_provisional", Boolean, nullable=False, server_default="false"),
    Column("schedule_warning", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

listing_revisions = Table(
    "listing_revisions",
    metadata,
    Column("listing_id", UUID(as_uuid=False), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("terms", JSONB, nullable=False),
    Column("reason", Text, nullable=False),
    Column("changed_by", Text, nullable=False),
    Column("changed_at", TS, nullable=False),
)

# Columns a caller may read without the PDF blob (which can be large).
LIGHT_COLUMNS = [c for c in listings.c if c.name != "deal_confirmation_pdf"]
