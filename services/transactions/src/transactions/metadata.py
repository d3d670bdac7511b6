"""The one SQLAlchemy MetaData of the transactions schema (tables are created by Alembic, not by it)."""

from __future__ import annotations

from sqlalchemy import MetaData

SCHEMA = "transactions"
metadata = MetaData(schema=SCHEMA)
