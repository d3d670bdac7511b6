"""Admin settings: zone switches (域内通办) and holiday overrides of the working-day calendar."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from natres_platform.security import Admin, CurrentPrincipal
from registry.admin import calendar, zones
from registry.dependencies import RegistryDep
from registry.errors import ZoneUnknown
from registry.events import registry_event

router = APIRouter(prefix="/api/v1", tags=["admin 配置"])


class ZoneSwitch(BaseModel):
    """Turn a zone on or off."""

    enabled: bool


class HolidayOverride(BaseModel):
    """One day of a State Council notice: a holiday (false) or a make-up workday (true)."""

    day: date
    is_workday: bool
    note: str | None = Field(default=None, max_length=200)


def _zone_doc(z: Any, regions: Any) -> dict[str, Any]:
    counties = [c for c in regions.counties() if z.contains(c)]
    return {"id": z.id, "name": z.name, "enabled": z.enabled, "counties": counties,
            "groups": [{"name": g.name, "counties": list(g.counties)} for g in z.groups], "note": z.note}


@router.get("/zones", summary="域内通办 zones with their current switches")
async def list_zones(registry: RegistryDep, _: CurrentPrincipal) -> list[dict[str, Any]]:
    """Definitions from data/zones.json; switches from the database."""
    async with registry.uow() as uow:
        current = await zones.effective_zones(uow.session, registry.zone_definitions)
    return [_zone_doc(z, registry.regions) for z in current]


@router.put("/zones/{zone_id}", summary="Switch a zone on or off (admin)")
async def switch_zone(zone_id: str, body: ZoneSwitch, registry: RegistryDep, admin: Admin) -> dict[str, Any]:
    """E.g. turn on `province` for 全省通办."""
    if zone_id not in {z.id for z in registry.zone_definitions}:
        raise ZoneUnknown(f"通办区域 {zone_id} 不存在", zone_id=zone_id)
    async with registry.uow() as uow:
        await zones.set_zone_enabled(uow.session, zone_id=zone_id, enabled=body.enabled, actor=admin.subject)
        uow.record(registry_event(type="zone.switched", subject=zone_id, data={"zone_id": zone_id, "enabled": body.enabled},
                                  actor=admin.subject, region=None))
        await uow.commit()
    async with registry.uow() as uow:
        current = await zones.effective_zones(uow.session, registry.zone_definitions)
    return _zone_doc(next(z for z in current if z.id == zone_id), registry.regions)


@router.get("/calendar/overrides", summary="Holiday / make-up workday overrides")
async def overrides(registry: RegistryDep, _: CurrentPrincipal) -> list[dict[str, Any]]:
    """What an admin entered beyond chinese-calendar."""
    async with registry.uow() as uow:
        return await calendar.list_overrides(uow.session)


@router.put("/calendar/overrides", summary="Enter holiday days of a State Council notice (admin)")
async def set_overrides(body: list[HolidayOverride], registry: RegistryDep, admin: Admin) -> dict[str, Any]:
    """Overrides win over chinese-calendar (e.g. 2027 before the library knows it)."""
    async with registry.uow() as uow:
        for o in body:
            await calendar.set_override(uow.session, day=o.day, is_workday=o.is_workday, note=o.note, actor=admin.subject)
        uow.record(registry_event(type="calendar.changed", subject="calendar",
                                  data={"days": [{"day": o.day.isoformat(), "is_workday": o.is_workday} for o in body]},
                                  actor=admin.subject, region=None))
        await uow.commit()
    return {"saved": len(body)}


@router.put("/calendar/years/{year}", summary="Declare a year's notice fully entered (admin)")
async def declare_year(year: int, registry: RegistryDep, admin: Admin) -> dict[str, Any]:
    """Deadlines in that year stop being provisional."""
    async with registry.uow() as uow:
        await calendar.declare_year(uow.session, year=year, actor=admin.subject)
        uow.record(registry_event(type="calendar.changed", subject="calendar", data={"declared_year": year},
                                  actor=admin.subject, region=None))
        await uow.commit()
    return {"year": year, "declared": True}
