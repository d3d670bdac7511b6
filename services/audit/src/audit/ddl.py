"""DDL of the log tables as of v1, with the append-only guard; shared by the migration, tests and bench."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from audit.tables import checked_schema

LOG_TABLES = ("entries", "merkle_nodes", "checkpoints")

_TABLES_V1 = """
CREATE TABLE {s}.log_state (
    id smallint PRIMARY KEY CHECK (id = 1),
    size bigint NOT NULL CHECK (size >= 0),
    root_hash bytea NOT NULL CHECK (octet_length(root_hash) = 32),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO {s}.log_state (id, size, root_hash) VALUES (1, 0, sha256(''::bytea));

CREATE TABLE {s}.entries (
    idx bigint PRIMARY KEY CHECK (idx >= 0),
    event_id text NOT NULL UNIQUE,
    event_type text NOT NULL,
    source text NOT NULL,
    subject text NOT NULL,
    actor text NOT NULL,
    region text,
    event_time timestamptz NOT NULL,
    topic text NOT NULL,
    "partition" integer NOT NULL,
    "offset" bigint NOT NULL,
    canonical bytea NOT NULL,
    appended_at timestamptz NOT NULL DEFAULT now()
);
-- Each query filter pairs with idx so keyset paging (ORDER BY idx) walks one index range.
CREATE INDEX ix_entries_subject ON {s}.entries (subject, idx);
CREATE INDEX ix_entries_actor ON {s}.entries (actor, idx);
CREATE INDEX ix_entries_type ON {s}.entries (event_type, idx);
CREATE INDEX ix_entries_region ON {s}.entries (region, idx);
CREATE INDEX ix_entries_time ON {s}.entries (event_time);

-- Hash of every complete subtree (audit/log/README.md): level 0 = leaf hashes; never changes.
CREATE TABLE {s}.merkle_nodes (
    level smallint NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx bigint NOT NULL CHECK (idx >= 0),
    hash bytea NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE TABLE {s}.checkpoints (
    size bigint PRIMARY KEY CHECK (size >= 0),
    root_hash bytea NOT NULL CHECK (octet_length(root_hash) = 32),
    note text NOT NULL,
    published_by text NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now()
);
"""

_GUARD_V1 = """
CREATE FUNCTION {s}.refuse_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit log is append-only: ' || TG_OP || ' on ' || TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME || ' refused',
        ERRCODE = 'insufficient_privilege',
        HINT = 'a correction is a new entry, never a rewrite';
END
$$;

-- The tree size only grows, and a size keeps its root: a rewind would let history be rewritten.
CREATE FUNCTION {s}.guard_log_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.size < OLD.size OR (NEW.size = OLD.size AND NEW.root_hash <> OLD.root_hash) THEN
        RAISE EXCEPTION USING
            MESSAGE = 'audit log state may only grow (size ' || OLD.size || ' -> ' || NEW.size || ')',
            ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
"""

_TABLE_GUARD = """
CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {s}.{t}
    FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_log_change();
CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {s}.{t}
    FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_log_change();
"""

_STATE_GUARD = """
CREATE TRIGGER log_state_grows BEFORE UPDATE ON {s}.log_state
    FOR EACH ROW EXECUTE FUNCTION {s}.guard_log_state();
CREATE TRIGGER log_state_no_delete BEFORE DELETE OR TRUNCATE ON {s}.log_state
    FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_log_change();
"""


def _run(conn: Connection, sql: str) -> None:
    # exec_driver_sql: text() would read '::' casts as bind parameters (and the SQL has no '%').
    conn.exec_driver_sql(sql)


def create_log_tables_v1(conn: Connection, *, schema: str, app_role: str) -> None:
    """Create the log tables, their append-only triggers and the runtime role's narrow grants."""
    s = checked_schema(schema)
    _run(conn, _TABLES_V1.format(s=s))
    _run(conn, _GUARD_V1.format(s=s))
    for table in LOG_TABLES:
        _run(conn, _TABLE_GUARD.format(s=s, t=table))
    _run(conn, _STATE_GUARD.format(s=s))
    reassert_log_grants(conn, schema=s, app_role=app_role)


def reassert_log_grants(conn: Connection, *, schema: str, app_role: str) -> None:
    """Runtime role: read and append log rows, grow the state row; never UPDATE/DELETE/TRUNCATE.

    Idempotent. Needed after table creation because the owner's default privileges grant all DML.
    """
    s = checked_schema(schema)
    role = app_role.replace('"', '""')
    tables = ", ".join(f"{s}.{t}" for t in (*LOG_TABLES, "log_state"))
    conn.execute(text(f'REVOKE ALL ON {tables} FROM "{role}"'))
    conn.execute(text(f'GRANT SELECT, INSERT ON {", ".join(f"{s}.{t}" for t in LOG_TABLES)} TO "{role}"'))
    conn.execute(text(f'GRANT SELECT, UPDATE (size, root_hash, updated_at) ON {s}.log_state TO "{role}"'))

