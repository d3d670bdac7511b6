"""Application events: every step emits one, carrying both offices and the deadline (DESIGN §9)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from natres_platform.events import CloudEvent
from registry.events import registry_event


def application_event(
    app: Mapping[str, Any], *, step: str, actor: str, extra: Mapping[str, Any] | None = None
) -> CloudEvent:
    """`registry.application.<step>.v1` keyed by the application id."""
    deadline = app.get("deadline")
    data = {
        "application_id": app["id"],
        "number": app["number"],
        "unit_id": app["unit_id"],
        "type": app["type"],
        "status": app["status"],
        "channel": app["channel"],
        "receiving_office": app["receiving_office"],
        "competent_office": app["competent_office"],
        "deadline": deadline.isoformat() if deadline else None,
        "deadline_provisional": bool(app.get("deadline_provisional")),
        **(extra or {}),
    }
    return registry_event(
        type=f"application.{step}", subject=app["id"], data=data, actor=actor, region=app["competent_office"]
    )
