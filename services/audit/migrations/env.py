"""Alembic environment: shared body (natres_platform.migration_env)."""

from natres_platform.migration_env import run

run()
