"""Raising alerts: stored once per finding (dedupe key) and announced as transactions.alert.raised.v1."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from natres_platform.uow import UnitOfWork

from transactions.events import listing_event
from transactions.supervision.models import alerts
from transactions.supervision.rules import ALERT_EVENT_TYPE, Alert

SYSTEM_ACTOR = "service:natres-transactions"


async def raise_alerts(
    *, uow: UnitOfWork, listing: Any, found: Iterable[tuple[Alert, str]], now: datetime, actor: str = SYSTEM_ACTOR
) -> int:
    """Store new findings (a repeat of a known key is ignored) and record one event per new alert."""
    raised = 0
    for alert, key in found:
        data = alert.as_dict()
        alert_id = (
            await uow.session.execute(
                pg_insert(alerts)
                .values(listing_id=listing.id, rule=data["rule"], severity=data["severity"],
                        message=data["message"], details=data["details"], dedupe_key=f"{listing.id}:{key}",
                        raised_at=now)
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
                .returning(alerts.c.id)
            )
        ).scalar()
        if alert_id is None:
            continue
        raised += 1
        uow.record(listing_event(
            type=ALERT_EVENT_TYPE, listing=listing, actor=actor,
            data={"alert_id": alert_id, **data, "raised_at": now},
        ))
    return raised
