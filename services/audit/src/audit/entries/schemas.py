"""API models of log entries, their filters and pages."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Row

from audit.checkpoints.schemas import CheckpointRead


class EntryFilters(BaseModel):
    """What auditors filter on; all optional and combined with AND."""

    subject: str | None = Field(None, max_length=1024, description="Aggregate id (CloudEvents subject)")
    actor: str | None = Field(None, max_length=1024, description="Token subject that caused the event")
    type: str | None = Field(None, max_length=1024, description="Event type, e.g. registry.record.viewed.v1")
    region: str | None = Field(None, pattern=r"^[0-9]{6}$", description="GB/T 2260 county code")
    since: datetime | None = Field(None, description="Event time ≥ since (RFC 3339)")
    until: datetime | None = Field(None, description="Event time < until (RFC 3339)")
    before: int | None = Field(None, ge=0, description="Only entries with index < before, e.g. a checkpoint size")

    @field_validator("since", "until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        # A time without offset is read as UTC, the platform's only time zone on the wire.
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    def logged(self) -> dict[str, Any]:
        """The filters actually set, as recorded in audit.query.performed.v1."""
        return self.model_dump(mode="json", exclude_none=True)


class EntryRead(BaseModel):
    """One log entry: the event as logged (RFC 8785 bytes, parsed) and where it sits in the tree."""

    index: int
    event_id: str
    type: str
    source: str
    subject: str
    actor: str
    region: str | None
    time: datetime
    appended_at: datetime
    leaf_hash: str = Field(description="SHA-256(0x00 ‖ canonical bytes), base64")
    event: dict[str, Any] = Field(description="The CloudEvent; RFC 8785 of it is the leaf data")
    proof: list[str] | None = Field(None, description="Inclusion proof against the checkpoint given alongside")

    @classmethod
    def from_row(cls, row: Row, *, proof: list[bytes] | None = None) -> EntryRead:
        """From an entries row joined with its leaf hash."""
        return cls(
            index=row.idx,
            event_id=row.event_id,
            type=row.event_type,
            source=row.source,
            subject=row.subject,
            actor=row.actor,
            region=row.region,
            time=row.event_time,
            appended_at=row.appended_at,
            leaf_hash=base64.b64encode(row.leaf_hash).decode(),
            event=json.loads(row.canonical),
            proof=[base64.b64encode(p).decode() for p in proof] if proof is not None else None,
        )


class EntryDetail(EntryRead):
    """An entry with its inclusion proof against a checkpoint (null while no checkpoint covers it)."""

    checkpoint: CheckpointRead | None = None


class EntryPage(BaseModel):
    """A keyset page: pass next_cursor as `after` for the next one."""

    items: list[EntryRead]
    next_cursor: int | None
    checkpoint: CheckpointRead | None = Field(None, description="What the items' proofs verify against")
