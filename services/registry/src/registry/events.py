"""Registry events: one constructor so every event carries source, actor and region the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from natres_platform.events import CloudEvent

SOURCE = "/natres/registry"
SYSTEM_ACTOR = "service-account-natres-registry"


def registry_event(*, type: str, subject: str, data: Mapping[str, Any], actor: str, region: str | None) -> CloudEvent:
    """A registry CloudEvent; `type` without the `registry.` prefix and `.v1` suffix is expanded."""
    full = type if type.startswith("registry.") else f"registry.{type}.v1"
    return CloudEvent.create(source=SOURCE, type=full, subject=subject, data=data, actor=actor, region=region)
