"""API models of checkpoints and the log's public key."""

from __future__ import annotations

import base64
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import Row


class CheckpointRead(BaseModel):
    """A published signed tree head."""

    origin: str
    size: int = Field(description="Tree size: entries 0 … size-1 are covered")
    root_hash: str = Field(description="RFC 9162 root hash, standard base64")
    note: str = Field(description="C2SP tlog-checkpoint in a C2SP signed note (Ed25519)")
    published_at: datetime

    @classmethod
    def from_row(cls, row: Row, *, origin: str) -> CheckpointRead:
        """From a checkpoints row."""
        return cls(
            origin=origin,
            size=row.size,
            root_hash=base64.b64encode(row.root_hash).decode(),
            note=row.note,
            published_at=row.published_at,
        )


class CheckpointPage(BaseModel):
    items: list[CheckpointRead]
    next_cursor: int | None = Field(description="Pass as after_size for the next page; null at the end")


class PublicKeyRead(BaseModel):
    """What a verifier needs to trust checkpoints."""

    origin: str
    key_name: str
    vkey: str = Field(description="Verifier key in golang.org/x/mod/sumdb/note format")
