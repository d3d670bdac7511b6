"""audit: append-only Merkle log (entries, full nodes, state, checkpoints) with guard triggers.

Revision ID: audit_0002
Revises: audit_0001
Create Date: 2026-11-30
"""

from alembic import op

from audit.ddl import create_log_tables_v1

revision = "audit_0002"
down_revision = "audit_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_log_tables_v1(op.get_bind(), schema="audit", app_role="audit_app")


def downgrade() -> None:
    # Dropping is the one way out the guard allows (it refuses UPDATE, DELETE and TRUNCATE).
    for table in ("checkpoints", "merkle_nodes", "entries", "log_state"):
        op.drop_table(table, schema="audit")
    op.execute("DROP FUNCTION audit.refuse_log_change(), audit.guard_log_state()")
