"""registry: messaging tables and the shared spatial units table (一张图), readable by the others.

Revision ID: registry_0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import UUID

from natres_platform.migrations import create_messaging_tables_v1, grant_app_role

revision = "registry_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    create_messaging_tables_v1(conn, "registry")
    op.create_table(
        "units",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("code", sa.Text, nullable=False, unique=True),
        sa.Column("layer", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=4490, spatial_index=False), nullable=False),
        sa.Column("area_m2", sa.Numeric(18, 2), nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="current"),
        sa.Column("in_trade_listing_id", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema="registry",
    )
    op.create_index("ix_units_geom", "units", ["geom"], schema="registry", postgresql_using="gist")
    op.create_index("ix_units_county", "units", ["county_code"], schema="registry")
    grant_app_role(conn, schema="registry", app_role="registry_app")
    # The shared parcels layer: other services read units, never write them (DESIGN §2).
    for reader in ("transactions_app", "audit_app"):
        op.execute(f'GRANT USAGE ON SCHEMA registry TO "{reader}"')
        op.execute(f'GRANT SELECT ON registry.units TO "{reader}"')


def downgrade() -> None:
    op.drop_table("units", schema="registry")
    for table in ("parked_events", "inbox", "outbox"):
        op.drop_table(table, schema="registry")
