"""The body of every service's Alembic env.py: sync psycopg, version table in the service schema."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool, text


def run() -> None:
    """Run migrations online against the owner connection."""
    config = context.config
    schema = config.attributes["schema"]
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, version_table_schema=schema, transaction_per_migration=False)
        with context.begin_transaction():
            # Serialise concurrent `migrate` runs (two instances starting at once); inside the
            # migration transaction so the lock and the DDL commit together.
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": f"migrate:{schema}"})
            context.run_migrations()
