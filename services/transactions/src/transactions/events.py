"""CloudEvents of the transactions service: one source, subject = listing id, region = county."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from natres_platform.events import CloudEvent, rfc3339

SOURCE = "/natres/transactions"


def listing_event(*, type: str, listing: Any, actor: str, data: Mapping[str, Any]) -> CloudEvent:
    """An event about one listing (Kafka key = listing id keeps its events in order)."""
    return CloudEvent.create(
        source=SOURCE,
        type=type,
        subject=str(listing.id),
        data={"listing_id": str(listing.id), **{k: jsonable(v) for k, v in data.items()}},
        actor=actor,
        region=listing.county_code,
    )


def jsonable(value: Any) -> Any:
    """Money as decimal strings, times as RFC 3339 UTC; everything else unchanged."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def money(value: Decimal | None) -> str | None:
    """A yuan amount as the decimal string every contract uses."""
    return None if value is None else f"{value:.2f}"
