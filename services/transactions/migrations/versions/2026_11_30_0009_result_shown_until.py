"""transactions: how long a published result (结果公示) must stay shown.

`result_shown_until` is fixed at publication from the trading calendar (mining: 10 working days;
land: TRANSACTIONS_RESULT_SHOWN_WORKING_DAYS_LAND); `result_shown_provisional` says a day counted
lay in a year without holiday data. Results published before this migration keep NULL: their
period was never computed, and the calendar of that day cannot be reconstructed reliably.

New columns of an existing table inherit its table-level grants (transactions_app: 0002).

Revision ID: transactions_0009
Revises: transactions_0008
Create Date: 2026-11-30
"""

from alembic import op

revision = "transactions_0009"
down_revision = "transactions_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE transactions.listings ADD COLUMN result_shown_until timestamptz, "
               "ADD COLUMN result_shown_provisional boolean")


def downgrade() -> None:
    op.execute("ALTER TABLE transactions.listings DROP COLUMN result_shown_provisional, "
               "DROP COLUMN result_shown_until")
