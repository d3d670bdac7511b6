"""transactions: outbox, inbox and parked-event tables; runtime role grants.

Revision ID: transactions_0001
Revises:
Create Date: 2026-11-29
"""

from alembic import op

from natres_platform.migrations import create_messaging_tables_v1, grant_app_role

revision = "transactions_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    create_messaging_tables_v1(conn, "transactions")
    grant_app_role(conn, schema="transactions", app_role="transactions_app")


def downgrade() -> None:
    for table in ("parked_events", "inbox", "outbox"):
        op.drop_table(table, schema="transactions")
