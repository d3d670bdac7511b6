"""transactions: settlement deadlines (成交确认书, 出让合同, 结果公示), winner default and the blacklist.

Revision ID: transactions_0005
Revises: transactions_0004
Create Date: 2026-11-30
"""

from alembic import op

revision = "transactions_0005"
down_revision = "transactions_0004"
branch_labels = None
depends_on = None

COLUMNS = (
    ("confirmation_signed_at", "timestamptz"),   # the winner signed the 成交确认书
    ("confirmation_due_at", "timestamptz"),      # ... due by (2 working days land, 3 mining)
    ("confirmation_alerted_at", "timestamptz"),  # supervision alert raised for missing it
    ("contract_due_at", "timestamptz"),          # 出让合同 due by; past it the winner defaults
    ("publication_due_at", "timestamptz"),       # 结果公示 due by (10 working days land, 5 mining)
    ("publication_alerted_at", "timestamptz"),
    ("defaulted_at", "timestamptz"),             # 违约: 定金 forfeited, winner blacklisted
)

DDL = [
    *(f"ALTER TABLE transactions.listings ADD COLUMN {name} {kind}" for name, kind in COLUMNS),
    # Who may not register for new listings (a defaulting winner), by account and by enterprise.
    """
    CREATE TABLE transactions.blacklist (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        bidder_subject text NOT NULL,
        org_code text,
        bidder_name text NOT NULL,
        reason text NOT NULL,
        listing_id uuid NOT NULL REFERENCES transactions.listings (id),
        registration_id uuid NOT NULL REFERENCES transactions.registrations (id) UNIQUE,
        listed_at timestamptz NOT NULL,
        until timestamptz
    )
    """,
    "CREATE INDEX ix_blacklist_subject ON transactions.blacklist (bidder_subject)",
    "CREATE INDEX ix_blacklist_org ON transactions.blacklist (org_code) WHERE org_code IS NOT NULL",
]


def upgrade() -> None:
    for statement in DDL:
        op.execute(statement)
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON transactions.blacklist TO transactions_app")


def downgrade() -> None:
    op.execute("DROP TABLE transactions.blacklist")
    for name, _ in reversed(COLUMNS):
        op.execute(f"ALTER TABLE transactions.listings DROP COLUMN {name}")
