"""audit: the parked table records replays (`natres-audit replay-parked`, POST .../ops/parked/{id}/replay).

A parked message was never re-admitted (an event parked as an unknown type before its contract
existed stayed parked for good). A replay runs it through the consumer's handler path again and
keeps the row: `resolved_at` / `resolution` ('applied' or 'duplicate') once admitted, and `replays`
lists every attempt with the reason it replaced (natres_platform.parked).

Revision ID: audit_0003
Revises: audit_0002
Create Date: 2026-11-30
"""

from alembic import op

from natres_platform.migrations import add_parked_replay_columns, drop_parked_replay_columns

revision = "audit_0003"
down_revision = "audit_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_parked_replay_columns(op.get_bind(), "audit")


def downgrade() -> None:
    drop_parked_replay_columns(op.get_bind(), "audit")
