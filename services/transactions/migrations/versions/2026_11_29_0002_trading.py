"""transactions: listings, revisions, bidder registrations, bank nonces, bids, live feed, alerts.

Revision ID: transactions_0002
Revises: transactions_0001
Create Date: 2026-11-29
"""

from alembic import op

from natres_platform.migrations import grant_app_role

revision = "transactions_0002"
down_revision = "transactions_0001"
branch_labels = None
depends_on = None

FINAL = "('concluded', 'failed', 'terminated')"

DDL = [
    f"""
    CREATE TABLE transactions.listings (
        id uuid PRIMARY KEY,
        title text NOT NULL,
        unit_id text NOT NULL,
        unit_code text NOT NULL,
        county_code varchar(6) NOT NULL,
        right_type text NOT NULL,
        method text NOT NULL CHECK (method IN ('tender', 'auction', 'listing')),
        land_use text,
        term_years integer NOT NULL CHECK (term_years > 0),
        announcement_at timestamptz NOT NULL,
        registration_start timestamptz NOT NULL,
        registration_end timestamptz NOT NULL,
        deposit_deadline timestamptz NOT NULL,
        listing_start timestamptz NOT NULL,
        listing_end timestamptz NOT NULL,
        bidding_start timestamptz,
        start_price numeric(18, 2) NOT NULL CHECK (start_price >= 0),
        increment numeric(18, 2) NOT NULL CHECK (increment > 0),
        reserve_price numeric(18, 2),
        no_reserve boolean NOT NULL,
        deposit numeric(18, 2) NOT NULL CHECK (deposit > 0),
        state text NOT NULL DEFAULT 'draft',
        suspended_from text,
        revision integer NOT NULL DEFAULT 1,
        unit_marked_at timestamptz,
        unit_cleared_at timestamptz,
        current_price numeric(18, 2),
        leader_registration_id uuid,
        last_seq integer NOT NULL DEFAULT 0,
        feed_seq bigint NOT NULL DEFAULT 0,
        opens_at timestamptz,
        closes_at timestamptz,
        next_action_at timestamptz,
        winner_registration_id uuid,
        final_price numeric(18, 2),
        outcome_reason text,
        closed_at timestamptz,
        deal_confirmation_no text UNIQUE,
        deal_confirmation_pdf bytea,
        deal_confirmation_sha256 text,
        contract_no text,
        contract_signed_at timestamptz,
        published_at timestamptz,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((reserve_price IS NULL) = no_reserve)
    )
    """,
    # The scheduler's queue: only listings with something due are indexed.
    "CREATE INDEX ix_listings_next_action ON transactions.listings (next_action_at) WHERE next_action_at IS NOT NULL",
    # One open listing per unit, whatever the registry has marked yet.
    f"CREATE UNIQUE INDEX uq_listings_open_unit ON transactions.listings (unit_id) WHERE state NOT IN {FINAL}",
    "CREATE INDEX ix_listings_state ON transactions.listings (state, created_at)",
    """
    CREATE TABLE transactions.listing_revisions (
        listing_id uuid NOT NULL REFERENCES transactions.listings (id),
        revision integer NOT NULL,
        terms jsonb NOT NULL,
        reason text NOT NULL,
        changed_by text NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (listing_id, revision)
    )
    """,
    """
    CREATE TABLE transactions.registrations (
        id uuid PRIMARY KEY,
        listing_id uuid NOT NULL REFERENCES transactions.listings (id),
        bidder_subject text NOT NULL,
        bidder_username text,
        bidder_name text NOT NULL,
        org_code text,
        client_ip text NOT NULL,
        status text NOT NULL DEFAULT 'registered',
        bidder_number varchar(6),
        wants_continue boolean NOT NULL DEFAULT false,
        deposit_status text NOT NULL DEFAULT 'pending',
        deposit_amount numeric(18, 2),
        deposit_paid_at timestamptz,
        bank_reference text UNIQUE,
        qualified_by text,
        qualified_at timestamptz,
        reject_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (listing_id, bidder_subject),
        UNIQUE (listing_id, bidder_number)
    )
    """,
    """
    CREATE TABLE transactions.bank_nonces (
        nonce text PRIMARY KEY,
        received_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE TABLE transactions.bids (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        listing_id uuid NOT NULL REFERENCES transactions.listings (id),
        seq integer NOT NULL,
        registration_id uuid NOT NULL REFERENCES transactions.registrations (id),
        bidder_number varchar(6) NOT NULL,
        amount numeric(18, 2),
        sealed bytea,
        phase text NOT NULL,
        placed_at timestamptz NOT NULL,
        idempotency_key text,
        client_ip text,
        UNIQUE (listing_id, seq),
        UNIQUE (registration_id, idempotency_key),
        -- a tender bid is sealed until the opening, then its amount is written beside the seal
        CHECK (amount IS NOT NULL OR sealed IS NOT NULL)
    )
    """,
    """
    CREATE TABLE transactions.feed_items (
        listing_id uuid NOT NULL REFERENCES transactions.listings (id),
        seq bigint NOT NULL,
        kind text NOT NULL,
        data jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (listing_id, seq)
    )
    """,
    """
    CREATE TABLE transactions.alerts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        listing_id uuid NOT NULL REFERENCES transactions.listings (id),
        rule text NOT NULL,
        severity text NOT NULL,
        message text NOT NULL,
        details jsonb NOT NULL,
        dedupe_key text NOT NULL UNIQUE,
        raised_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    "CREATE INDEX ix_alerts_listing ON transactions.alerts (listing_id, id)",
]


def upgrade() -> None:
    for statement in DDL:
        op.execute(statement)
    grant_app_role(op.get_bind(), schema="transactions", app_role="transactions_app")


def downgrade() -> None:
    for table in ("alerts", "feed_items", "bids", "bank_nonces", "registrations", "listing_revisions", "listings"):
        op.execute(f"DROP TABLE transactions.{table}")
