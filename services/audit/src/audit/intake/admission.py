"""What may enter the log: a valid event, canonicalised (RFC 8785), with storable index fields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785

from natres_platform.events import CloudEvent

# A btree index entry must stay under ~2.7 kB; longer attributes would fail the whole batch.
MAX_ATTRIBUTE_BYTES = 1024


class NotAdmissible(Exception):
    """An event that passed its contract but cannot be logged as is (parked with the reason)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Leaf:
    """One admitted event: its canonical bytes (the leaf data) and the attributes queries use."""

    event_id: str
    event_type: str
    source: str
    subject: str
    actor: str
    region: str | None
    event_time: datetime
    topic: str
    partition: int
    offset: int
    canonical: bytes


def canonical_bytes(event: CloudEvent) -> bytes:
    """RFC 8785 JSON of the whole envelope: the exact bytes a verifier re-hashes."""
    try:
        return rfc8785.dumps(event.to_dict())
    except (rfc8785.CanonicalizationError, UnicodeEncodeError) as exc:
        raise NotAdmissible("audit.not_canonicalisable", f"RFC 8785 cannot encode the event: {exc}") from exc


def _event_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.upper())
    except ValueError as exc:
        raise NotAdmissible("audit.bad_time", f"time {value!r} is not an RFC 3339 timestamp") from exc
    if parsed.tzinfo is None:
        raise NotAdmissible("audit.bad_time", f"time {value!r} has no UTC offset")
    return parsed


def _storable(name: str, value: str | None) -> None:
    if value is None:
        return
    if "\x00" in value:
        raise NotAdmissible("audit.unstorable", f"{name} contains a NUL character")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise NotAdmissible("audit.unstorable", f"{name} is not valid Unicode (lone surrogate)") from exc
    if size > MAX_ATTRIBUTE_BYTES:
        raise NotAdmissible("audit.unstorable", f"{name} is longer than {MAX_ATTRIBUTE_BYTES} bytes")


def admit(event: CloudEvent, record: Any) -> Leaf:
    """The leaf for a validated event read from `record`, or NotAdmissible."""
    for name in ("id", "type", "source", "subject", "actor", "region"):
        _storable(name, getattr(event, name))
    return Leaf(
        event_id=event.id,
        event_type=event.type,
        source=event.source,
        subject=event.subject,
        actor=event.actor,
        region=event.region,
        event_time=_event_time(event.time),
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        canonical=canonical_bytes(event),
    )
