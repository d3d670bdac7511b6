"""The log's tables (SQLAlchemy Core), bound to one schema like MessagingTables."""

from __future__ import annotations

import re

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    func,
)

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def checked_schema(schema: str) -> str:
    """A schema name safe to splice into SQL (bulk statements are written as text)."""
    if not _IDENTIFIER.fullmatch(schema):
        raise ValueError(f"unsafe schema name {schema!r}")
    return schema


class LogTables:
    """entries, merkle_nodes, log_state and checkpoints of one schema (DDL: audit.ddl)."""

    def __init__(self, schema: str, metadata: MetaData | None = None) -> None:
        self.schema = checked_schema(schema)
        self.metadata = metadata or MetaData()
        self.entries = Table(
            "entries",
            self.metadata,
            Column("idx", BigInteger, primary_key=True, autoincrement=False),
            Column("event_id", Text, nullable=False, unique=True),
            Column("event_type", Text, nullable=False),
            Column("source", Text, nullable=False),
            Column("subject", Text, nullable=False),
            Column("actor", Text, nullable=False),
            Column("region", Text),
            Column("event_time", DateTime(timezone=True), nullable=False),
            Column("topic", Text, nullable=False),
            Column("partition", Integer, nullable=False),
            Column("offset", BigInteger, nullable=False),
            Column("canonical", LargeBinary, nullable=False),
            Column("appended_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
            schema=schema,
        )
        self.nodes = Table(
            "merkle_nodes",
            self.metadata,
            Column("level", SmallInteger, primary_key=True),
            Column("idx", BigInteger, primary_key=True),
            Column("hash", LargeBinary, nullable=False),
            schema=schema,
        )
        self.state = Table(
            "log_state",
            self.metadata,
            Column("id", SmallInteger, primary_key=True),
            Column("size", BigInteger, nullable=False),
            Column("root_hash", LargeBinary, nullable=False),
            Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
            schema=schema,
        )
        self.checkpoints = Table(
            "checkpoints",
            self.metadata,
            Column("size", BigInteger, primary_key=True, autoincrement=False),
            Column("root_hash", LargeBinary, nullable=False),
            Column("note", Text, nullable=False),
            Column("published_by", Text, nullable=False),
            Column("published_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
            schema=schema,
        )
