"""Zone switches: definitions from data/zones.json, the admin's enabled flag from the database."""

from __future__ import annotations

import dataclasses

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from registry.zones.rules import Zone


async def effective_zones(session: AsyncSession, definitions: tuple[Zone, ...]) -> tuple[Zone, ...]:
    """The shipped zones with the stored switches applied (the database wins)."""
    switches = {r.zone_id: r.enabled for r in await session.execute(text("SELECT zone_id, enabled FROM registry.zone_settings"))}
    return tuple(dataclasses.replace(z, enabled=switches[z.id]) if z.id in switches else z for z in definitions)


async def set_zone_enabled(session: AsyncSession, *, zone_id: str, enabled: bool, actor: str) -> None:
    """Store an admin's switch for one zone."""
    await session.execute(
        text(
            "INSERT INTO registry.zone_settings (zone_id, enabled, updated_by) VALUES (:z, :e, :a) "
            "ON CONFLICT (zone_id) DO UPDATE SET enabled = EXCLUDED.enabled, updated_by = EXCLUDED.updated_by, "
            "updated_at = now()"
        ),
        {"z": zone_id, "e": enabled, "a": actor},
    )
