"""transactions: the trading calendar's holiday overrides and declared years; provisional schedules.

Revision ID: transactions_0004
Revises: transactions_0003
Create Date: 2026-11-30
"""

from alembic import op

revision = "transactions_0004"
down_revision = "transactions_0003"
branch_labels = None
depends_on = None

DDL = [
    # One day of a State Council notice as a trading administrator entered it (true = make-up workday).
    """
    CREATE TABLE transactions.holiday_overrides (
        day date PRIMARY KEY,
        is_workday boolean NOT NULL,
        note text,
        set_by text NOT NULL,
        set_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    # A year whose notice is entered in full: its other days are ordinary Monday-Friday, no guess.
    """
    CREATE TABLE transactions.calendar_years (
        year integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
        declared_by text NOT NULL,
        declared_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    # Working days of the schedule were counted Monday-Friday in a year without holiday data.
    "ALTER TABLE transactions.listings ADD COLUMN schedule_provisional boolean NOT NULL DEFAULT false",
    "ALTER TABLE transactions.listings ADD COLUMN schedule_warning text",
]


def upgrade() -> None:
    for statement in DDL:
        op.execute(statement)
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON transactions.holiday_overrides, transactions.calendar_years "
               "TO transactions_app")


def downgrade() -> None:
    op.execute("ALTER TABLE transactions.listings DROP COLUMN schedule_warning")
    op.execute("ALTER TABLE transactions.listings DROP COLUMN schedule_provisional")
    op.execute("DROP TABLE transactions.calendar_years")
    op.execute("DROP TABLE transactions.holiday_overrides")
