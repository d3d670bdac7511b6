"""Parse, validate and canonicalise a chunk of Kafka values: pure CPU, so it can run in worker processes."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import NamedTuple

from audit.intake.admission import Leaf, NotAdmissible, admit
from natres_platform.events import EventSchemaError, SchemaRegistry


class Position(NamedTuple):
    """Where a value was read; all that admission needs from a Kafka record."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Refusal:
    """Why a value cannot enter the log (the consumer parks it with this reason)."""

    code: str
    reason: str
    event_id: str | None
    event_type: str | None


Item = tuple[Position, bytes]


def admit_values(schemas: SchemaRegistry, items: list[Item]) -> list[Leaf | Refusal]:
    """One Leaf or Refusal per item, in order."""
    out: list[Leaf | Refusal] = []
    for position, value in items:
        try:
            event = schemas.parse(value)
        except EventSchemaError as exc:
            out.append(Refusal(exc.code, exc.detail, None, (exc.extensions or {}).get("event_type")))
            continue
        try:
            out.append(admit(event, position))
        except NotAdmissible as exc:
            out.append(Refusal(exc.code, exc.reason, event.id, event.type))
    return out


_worker_schemas: SchemaRegistry | None = None


def init_worker() -> None:
    """Process-pool initializer: each worker loads the platform contracts once."""
    global _worker_schemas
    # Ctrl-C reaches the whole process group: shutting the workers down is the parent's job.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_schemas = SchemaRegistry.platform()


def worker_ready() -> bool:
    """A no-op task: submitting one per worker makes the pool start them all now."""
    return _worker_schemas is not None


def admit_values_in_worker(items: list[Item]) -> list[Leaf | Refusal]:
    """admit_values with the worker's own registry (a registry does not cross process boundaries)."""
    assert _worker_schemas is not None, "init_worker did not run"
    return admit_values(_worker_schemas, items)
