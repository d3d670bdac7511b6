"""registry: units extended, control lines, append-only book, applications, certificates, zones, calendar.

Also the cross-service view `registry.units_for_trade` read by transactions.

Revision ID: registry_0002
Revises: registry_0001
Create Date: 2026-11-29
"""

from alembic import op

from natres_platform.migrations import grant_app_role

revision = "registry_0002"
down_revision = "registry_0001"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE registry.units
    ADD COLUMN resource_type text,
    ADD COLUMN name text,
    ADD COLUMN location text,
    ADD COLUMN created_by text,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT ck_units_status CHECK (status IN ('current', 'historical', 'cancelled')),
    ADD CONSTRAINT ck_units_area CHECK (area_m2 >= 0);
CREATE INDEX ix_units_layer_status ON registry.units (layer, status);
CREATE INDEX ix_units_kind ON registry.units (kind);
CREATE INDEX ix_units_in_trade ON registry.units (in_trade_listing_id) WHERE in_trade_listing_id IS NOT NULL;

-- 三区三线 control lines, loaded by an admin; a batch replaces nothing (lines are added).
CREATE TABLE registry.control_lines (
    id uuid PRIMARY KEY,
    line_type text NOT NULL CHECK (line_type IN ('basic_farmland', 'ecological_redline', 'urban_boundary')),
    name text NOT NULL,
    geom geometry(MultiPolygon, 4490) NOT NULL,
    area_m2 numeric(18, 2) NOT NULL,
    source text,
    batch_id uuid NOT NULL,
    loaded_by text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_control_lines_geom ON registry.control_lines USING gist (geom);

CREATE TABLE registry.unit_control_lines (
    unit_id uuid NOT NULL REFERENCES registry.units (id),
    line_id uuid NOT NULL REFERENCES registry.control_lines (id),
    line_type text NOT NULL,
    overlap_m2 numeric(18, 2) NOT NULL,
    share numeric(9, 6) NOT NULL,
    PRIMARY KEY (unit_id, line_id)
);
CREATE INDEX ix_unit_control_lines_line ON registry.unit_control_lines (line_id);

-- Split / merge lineage of units.
CREATE TABLE registry.unit_lineage (
    parent_id uuid NOT NULL REFERENCES registry.units (id),
    child_id uuid NOT NULL REFERENCES registry.units (id),
    kind text NOT NULL CHECK (kind IN ('split', 'merge')),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL,
    PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX ix_unit_lineage_child ON registry.unit_lineage (child_id);

-- "In trade" marks: one row per listing, cleared (not deleted) when the listing ends.
CREATE TABLE registry.trade_marks (
    listing_id text PRIMARY KEY,
    unit_id uuid NOT NULL REFERENCES registry.units (id),
    marked_at timestamptz NOT NULL DEFAULT now(),
    cleared_at timestamptz,
    clear_reason text
);
CREATE INDEX ix_trade_marks_unit ON registry.trade_marks (unit_id);

-- 登记簿: append-only versions of a unit's rights state.
CREATE TABLE registry.book_entries (
    id uuid PRIMARY KEY,
    unit_id uuid NOT NULL REFERENCES registry.units (id),
    version integer NOT NULL CHECK (version >= 1),
    recorded_state text NOT NULL CHECK (recorded_state IN ('provisional', 'current', 'terminated')),
    right_type text,
    holders jsonb NOT NULL DEFAULT '[]',
    sharing text,
    term_start date,
    term_end date,
    source text,
    land_use text,
    restrictions jsonb NOT NULL DEFAULT '[]',
    details jsonb NOT NULL DEFAULT '{}',
    corrects_entry_id uuid REFERENCES registry.book_entries (id),
    application_id uuid,
    registration_type text,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    recorded_by text NOT NULL,
    UNIQUE (unit_id, version)
);
CREATE INDEX ix_book_entries_unit_time ON registry.book_entries (unit_id, recorded_at);
CREATE INDEX ix_book_entries_holders ON registry.book_entries USING gin (holders jsonb_path_ops);

-- The book is never altered (条例 Arts. 9-13): refuse UPDATE, DELETE and TRUNCATE for every
-- role, the owner included; a correction is a new entry pointing at the corrected one.
CREATE FUNCTION registry.refuse_book_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'registry.book_entries is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER book_entries_append_only BEFORE UPDATE OR DELETE ON registry.book_entries
    FOR EACH ROW EXECUTE FUNCTION registry.refuse_book_change();
CREATE TRIGGER book_entries_no_truncate BEFORE TRUNCATE ON registry.book_entries
    FOR EACH STATEMENT EXECUTE FUNCTION registry.refuse_book_change();

CREATE TABLE registry.applications (
    id uuid PRIMARY KEY,
    number text NOT NULL UNIQUE,
    type text NOT NULL CHECK (type IN ('first', 'change', 'transfer', 'cancellation', 'correction', 'objection',
                                       'advance_notice', 'seizure', 'mortgage', 'mortgage_discharge')),
    unit_id uuid NOT NULL REFERENCES registry.units (id),
    status text NOT NULL CHECK (status IN ('submitted', 'refused_acceptance', 'accepted', 'public_notice', 'reviewed',
                                           'recorded', 'certified', 'withdrawn', 'refused')),
    channel text NOT NULL CHECK (channel IN ('online', 'counter', 'trade')),
    applicant_subject text NOT NULL,
    applicant_name text,
    applicant_org_code text,
    filed_by text NOT NULL,
    parties jsonb NOT NULL DEFAULT '[]',
    details jsonb NOT NULL DEFAULT '{}',
    receiving_office varchar(6) NOT NULL,
    competent_office varchar(6) NOT NULL,
    missing_items jsonb NOT NULL DEFAULT '[]',
    refusal_reasons jsonb NOT NULL DEFAULT '[]',
    listing_id text,
    submitted_at timestamptz NOT NULL DEFAULT now(),
    accepted_at timestamptz,
    accepted_by text,
    notice_start date,
    notice_end date,
    reviewed_at timestamptz,
    reviewed_by text,
    review_opinion text,
    recorded_at timestamptz,
    recorded_by text,
    book_entry_id uuid REFERENCES registry.book_entries (id),
    certificate_id uuid,
    closed_at timestamptz,
    time_limit_days integer,
    deadline date,
    deadline_provisional boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_applications_unit ON registry.applications (unit_id);
CREATE INDEX ix_applications_applicant ON registry.applications (applicant_subject);
CREATE INDEX ix_applications_open_deadline ON registry.applications (deadline)
    WHERE status IN ('accepted', 'public_notice', 'reviewed');
-- One registration per concluded deal: the consumer's second line of idempotency.
CREATE UNIQUE INDEX uq_applications_listing ON registry.applications (listing_id) WHERE listing_id IS NOT NULL;

CREATE TABLE registry.application_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES registry.applications (id),
    action text NOT NULL,
    from_status text,
    to_status text NOT NULL,
    actor text NOT NULL,
    office varchar(6),
    note jsonb NOT NULL DEFAULT '{}',
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ix_application_history_app ON registry.application_history (application_id, id);

CREATE TABLE registry.application_documents (
    id uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES registry.applications (id),
    kind text NOT NULL,
    filename text NOT NULL,
    media_type text NOT NULL,
    size_bytes integer NOT NULL,
    sha256 char(64) NOT NULL,
    content bytea NOT NULL,
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_application_documents_app ON registry.application_documents (application_id);

CREATE TABLE registry.certificate_counters (
    office_region varchar(6) NOT NULL,
    year integer NOT NULL,
    kind text NOT NULL CHECK (kind IN ('right', 'proof')),
    last_serial integer NOT NULL,
    PRIMARY KEY (office_region, year, kind)
);

CREATE TABLE registry.certificates (
    id uuid PRIMARY KEY,
    number text NOT NULL UNIQUE,
    kind text NOT NULL CHECK (kind IN ('right', 'proof')),
    office_region varchar(6) NOT NULL,
    year integer NOT NULL,
    serial integer NOT NULL,
    application_id uuid NOT NULL UNIQUE REFERENCES registry.applications (id),
    unit_id uuid NOT NULL REFERENCES registry.units (id),
    book_entry_id uuid NOT NULL REFERENCES registry.book_entries (id),
    payload jsonb NOT NULL,
    signature text NOT NULL,
    key_id text NOT NULL,
    pdf bytea NOT NULL,
    issued_at timestamptz NOT NULL,
    issued_by text NOT NULL,
    UNIQUE (office_region, year, kind, serial)
);
CREATE INDEX ix_certificates_unit ON registry.certificates (unit_id);

-- 域内通办: zone definitions ship in data/zones.json; an admin's switch is stored here and wins.
CREATE TABLE registry.zone_settings (
    zone_id text PRIMARY KEY,
    enabled boolean NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Working-day calendar: State Council notice days typed in by an admin (true = workday).
CREATE TABLE registry.holiday_overrides (
    day date PRIMARY KEY,
    is_workday boolean NOT NULL,
    note text,
    set_by text NOT NULL,
    set_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE registry.calendar_years (
    year integer PRIMARY KEY,
    declared_by text NOT NULL,
    declared_at timestamptz NOT NULL DEFAULT now()
);

-- The cross-service contract (transactions reads it): one row per unit with its blocking state.
-- Restrictions come from the unit's latest book entry; objection / advance notice stop counting
-- once they lapse.
CREATE VIEW registry.units_for_trade AS
SELECT u.id,
       u.code,
       u.county_code,
       u.layer,
       u.kind,
       u.status,
       u.area_m2,
       u.in_trade_listing_id,
       coalesce(r.has_seizure, false) AS has_seizure,
       coalesce(r.has_objection, false) AS has_objection,
       coalesce(r.has_advance_notice, false) AS has_advance_notice,
       u.geom
FROM registry.units u
LEFT JOIN LATERAL (
    SELECT b.restrictions FROM registry.book_entries b
    WHERE b.unit_id = u.id ORDER BY b.version DESC LIMIT 1
) cur ON true
LEFT JOIN LATERAL (
    SELECT bool_or(x->>'kind' = 'seizure') AS has_seizure,
           bool_or(x->>'kind' = 'objection') AS has_objection,
           bool_or(x->>'kind' = 'advance_notice') AS has_advance_notice
    FROM jsonb_array_elements(coalesce(cur.restrictions, '[]'::jsonb)) x
    WHERE x->>'lapses_at' IS NULL OR (x->>'lapses_at')::timestamptz > now()
) r ON true;
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    conn = op.get_bind()
    grant_app_role(conn, schema="registry", app_role="registry_app")
    # Belt and braces with the trigger: the runtime role has no right to rewrite the book.
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON registry.book_entries FROM registry_app")
    op.execute("GRANT SELECT ON registry.units_for_trade TO transactions_app")
    op.execute("GRANT SELECT ON registry.units_for_trade TO audit_app")


def downgrade() -> None:
    op.execute(
        """
        DROP VIEW registry.units_for_trade;
        DROP TABLE registry.calendar_years, registry.holiday_overrides, registry.zone_settings,
            registry.certificates, registry.certificate_counters, registry.application_documents,
            registry.application_history, registry.applications;
        DROP TRIGGER book_entries_append_only ON registry.book_entries;
        DROP TRIGGER book_entries_no_truncate ON registry.book_entries;
        DROP TABLE registry.book_entries;
        DROP FUNCTION registry.refuse_book_change();
        DROP TABLE registry.trade_marks, registry.unit_lineage, registry.unit_control_lines, registry.control_lines;
        ALTER TABLE registry.units DROP CONSTRAINT ck_units_status, DROP CONSTRAINT ck_units_area,
            DROP COLUMN resource_type, DROP COLUMN name, DROP COLUMN location, DROP COLUMN created_by,
            DROP COLUMN updated_at;
        """
    )
