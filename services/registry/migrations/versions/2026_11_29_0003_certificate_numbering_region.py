"""registry: certificate serials run per place named in the number (the city for its districts).

晋(2026)太原市不动产权第0000001号 is issued by every 太原 district office alike, so the counter
is keyed by the numbering region (city code for 市辖区, else the county), not the district.

Revision ID: registry_0003
Revises: registry_0002
Create Date: 2026-11-29
"""

from alembic import op

revision = "registry_0003"
down_revision = "registry_0002"
branch_labels = None
depends_on = None

# GB/T 2260: county digits 01-20 are 市辖区, numbered under their city (regions.certificate_place_name).
_NUMBERING = "CASE WHEN substr({c}, 5, 2)::int <= 20 THEN substr({c}, 1, 4) || '00' ELSE {c} END"


def upgrade() -> None:
    op.execute("ALTER TABLE registry.certificates ADD COLUMN numbering_region varchar(6)")
    op.execute(f"UPDATE registry.certificates SET numbering_region = {_NUMBERING.format(c='office_region')}")
    op.execute("ALTER TABLE registry.certificates ALTER COLUMN numbering_region SET NOT NULL")
    op.execute("ALTER TABLE registry.certificates DROP CONSTRAINT certificates_office_region_year_kind_serial_key")
    op.execute("ALTER TABLE registry.certificates ADD CONSTRAINT uq_certificates_serial UNIQUE (numbering_region, year, kind, serial)")
    op.execute("ALTER TABLE registry.certificate_counters RENAME COLUMN office_region TO numbering_region")
    op.execute("DELETE FROM registry.certificate_counters")
    op.execute(
        "INSERT INTO registry.certificate_counters (numbering_region, year, kind, last_serial) "
        "SELECT numbering_region, year, kind, max(serial) FROM registry.certificates GROUP BY 1, 2, 3"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE registry.certificate_counters RENAME COLUMN numbering_region TO office_region")
    op.execute("ALTER TABLE registry.certificates DROP CONSTRAINT uq_certificates_serial")
    op.execute("ALTER TABLE registry.certificates ADD CONSTRAINT certificates_office_region_year_kind_serial_key "
               "UNIQUE (office_region, year, kind, serial)")
    op.execute("ALTER TABLE registry.certificates DROP COLUMN numbering_region")
