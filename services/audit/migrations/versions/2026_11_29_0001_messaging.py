"""audit: outbox, inbox and parked-event tables; runtime role grants.

Revision ID: audit_0001
Revises:
Create Date: 2026-11-29
"""

from alembic import op

from natres_platform.migrations import create_messaging_tables_v1, grant_app_role

revision = "audit_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    create_messaging_tables_v1(conn, "audit")
    grant_app_role(conn, schema="audit", app_role="audit_app")


def downgrade() -> None:
    for table in ("parked_events", "inbox", "outbox"):
        op.drop_table(table, schema="audit")
