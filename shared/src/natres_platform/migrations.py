"""Alembic helpers: each service migrates its own schema as the schema's owner role."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from natres_platform.messaging_tables import MessagingTables
from natres_platform.settings import ServiceSettings


def alembic_config(settings: ServiceSettings, migrations_dir: Path) -> Config:
    """An Alembic config built in code (no URL in alembic.ini: settings are the one source)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", settings.database_url(owner=True, driver="psycopg").replace("%", "%%"))
    cfg.attributes["schema"] = settings.db_schema
    return cfg


def upgrade(settings: ServiceSettings, migrations_dir: Path, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(settings, migrations_dir), revision)


def revision_text(migration_file: str, sibling: str, name: str) -> str:
    """A DDL text another revision in the same folder defines (a downgrade restores that revision's own)."""
    path = Path(migration_file).with_name(sibling)
    spec = importlib.util.spec_from_file_location(f"_revision_text_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def create_messaging_tables_v1(conn: Connection, schema: str) -> None:
    """Outbox, inbox and parked tables as of v1 (a later change gets its own function)."""
    MessagingTables(schema, parked_replay=False).metadata.create_all(bind=conn)


def add_parked_replay_columns(conn: Connection, schema: str) -> None:
    """v2 of the parked table: what `replay-parked` records (resolved_at, resolution, replays)."""
    conn.execute(text(
        f'ALTER TABLE "{schema}".parked_events ADD COLUMN resolved_at timestamptz, ADD COLUMN resolution text, '
        "ADD COLUMN replays jsonb NOT NULL DEFAULT '[]'::jsonb"
    ))
    conn.execute(text(
        f'ALTER TABLE "{schema}".parked_events ADD CONSTRAINT ck_{schema}_parked_resolution '
        "CHECK ((resolved_at IS NULL) = (resolution IS NULL))"
    ))


def drop_parked_replay_columns(conn: Connection, schema: str) -> None:
    """Back to the v1 parked table."""
    conn.execute(text(
        f'ALTER TABLE "{schema}".parked_events DROP COLUMN replays, DROP COLUMN resolution, DROP COLUMN resolved_at'
    ))


def grant_app_role(conn: Connection, *, schema: str, app_role: str) -> None:
    """Runtime role: use the schema and read/write its tables; DDL stays with the owner."""
    conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{app_role}"'))
    conn.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{app_role}"'))
    conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{app_role}"'))
