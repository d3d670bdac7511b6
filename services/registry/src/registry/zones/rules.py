"""域内通办 zones as data, and the pure rules: who may receive, who must review and record."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from natres_platform.errors import Forbidden
from registry.regions import Regions, is_county_level_code, level_of_code

__all__ = [
    "Decision",
    "NotCompetentOfficeError",
    "OutsideZoneError",
    "Zone",
    "ZoneGroup",
    "can_receive",
    "competence_decision",
    "is_competent",
    "load_zones",
    "with_enabled",
    "zone_problems",
    "zones_shared",
]


class OutsideZoneError(Forbidden):
    code = "zone.outside_zone"
    title = "不在同一通办区域，不能受理"


class NotCompetentOfficeError(Forbidden):
    code = "zone.competent_office_only"
    title = "只能由不动产所在地登记机构办理"


@dataclass(frozen=True)
class ZoneGroup:
    """A named subset of a zone's counties, kept for display (e.g. the 太忻 corridors)."""

    name: str
    counties: tuple[str, ...]


@dataclass(frozen=True)
class Zone:
    """A 通办 zone: explicit county codes and/or every county under a city or the province."""

    id: str
    name: str
    enabled: bool
    counties: frozenset[str] = frozenset()
    within: tuple[str, ...] = ()
    groups: tuple[ZoneGroup, ...] = ()
    note: str = ""

    def contains(self, county: str) -> bool:
        """Whether a county-level code belongs to the zone."""
        if not is_county_level_code(county):
            return False
        return county in self.counties or any(county.startswith(_prefix(code)) for code in self.within)


@dataclass(frozen=True)
class Decision:
    """The outcome of a zone rule: allowed or not, the rule code and a message naming the rule."""

    allowed: bool
    rule: str
    message: str
    zone_id: str | None = None

    def raise_if_denied(self) -> None:
        """Raise the matching domain error when the rule forbids the step."""
        if self.allowed:
            return
        error = NotCompetentOfficeError if self.rule == "zone.competent_only" else OutsideZoneError
        raise error(self.message, rule=self.rule)


def _prefix(code: str) -> str:
    """Prefix shared by every county under a province, city or county code."""
    level = level_of_code(code)
    return {"province": code[:2], "city": code[:4], "county": code}[level]


def load_zones(path: Path | None = None) -> tuple[Zone, ...]:
    """Read zone definitions, in their order; the shipped zones.json unless a path is given."""
    if path is None:
        text = (resources.files("registry") / "data" / "zones.json").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return tuple(_zone_from_dict(row) for row in json.loads(text)["zones"])


def _zone_from_dict(row: dict) -> Zone:
    groups = tuple(ZoneGroup(name=g["name"], counties=tuple(g["counties"])) for g in row.get("groups", []))
    return Zone(
        id=row["id"],
        name=row["name"],
        enabled=bool(row.get("enabled", False)),
        counties=frozenset(row.get("counties", [])),
        within=tuple(row.get("within", [])),
        groups=groups,
        note=row.get("note", ""),
    )


def with_enabled(zones: Iterable[Zone], *, zone_id: str, enabled: bool) -> tuple[Zone, ...]:
    """A copy of the zones with one switched on or off (e.g. 全省通办 once the province decides)."""
    zones = tuple(zones)
    if zone_id not in {z.id for z in zones}:
        raise KeyError(f"unknown zone {zone_id!r}")
    return tuple(dataclasses.replace(z, enabled=enabled) if z.id == zone_id else z for z in zones)


def zone_problems(zones: Iterable[Zone], *, regions: Regions) -> list[str]:
    """What is wrong with zone data: unknown codes, duplicate ids, groups outside their zone."""
    problems: list[str] = []
    seen: set[str] = set()
    for zone in zones:
        if zone.id in seen:
            problems.append(f"{zone.id}: duplicate zone id")
        seen.add(zone.id)
        problems += [f"{zone.id}: {c} is not a known county" for c in sorted(zone.counties) if not regions.is_county(c)]
        problems += [f"{zone.id}: {c} is not a known city or province" for c in zone.within if c not in regions or regions.is_county(c)]
        for group in zone.groups:
            problems += [f"{zone.id}/{group.name}: {c} is not in the zone" for c in group.counties if not zone.contains(c)]
    return problems


def _label(code: str, regions: Regions | None) -> str:
    if regions is not None and code in regions:
        return f"{regions.name(code)}({code})"
    return code


def _require_unit_county(unit_county: str) -> None:
    # The unit's county comes from its validated code: anything else is a caller bug.
    if not is_county_level_code(unit_county):
        raise ValueError(f"unit_county must be a county-level code, got {unit_county!r}")


def zones_shared(*, office_region: str, unit_county: str, zones: Iterable[Zone]) -> list[Zone]:
    """Enabled zones holding both the office's county and the unit's county, in data order."""
    _require_unit_county(unit_county)
    if not is_county_level_code(office_region):
        return []
    return [z for z in zones if z.enabled and z.contains(office_region) and z.contains(unit_county)]


def can_receive(
    *,
    office_region: str,
    unit_county: str,
    zones: Iterable[Zone],
    regions: Regions | None = None,
) -> Decision:
    """Whether a county office may accept (受理) an application for a unit in `unit_county`."""
    _require_unit_county(unit_county)
    office, unit = _label(office_region, regions), _label(unit_county, regions)
    if not is_county_level_code(office_region):
        # Provincial and city offices do not register (条例 Art. 7), so they cannot receive either.
        return Decision(False, "zone.outside_zone", f"受理机构 {office} 不是县级登记机构，不能受理登记申请")
    if office_region == unit_county:
        return Decision(True, "zone.same_county", f"不动产位于受理机构所在县 {unit}，属地受理")
    shared = zones_shared(office_region=office_region, unit_county=unit_county, zones=zones)
    if shared:
        zone = shared[0]
        return Decision(
            True,
            f"zone.shared_zone:{zone.id}",
            f"受理机构 {office} 与不动产所在地 {unit} 同属已启用的通办区域「{zone.name}」，可域内通办受理",
            zone_id=zone.id,
        )
    return Decision(
        False,
        "zone.outside_zone",
        f"受理机构 {office} 与不动产所在地 {unit} 不在同一已启用的通办区域，不能受理；"
        f"请向不动产所在地登记机构申请（不动产登记暂行条例第十七条）",
    )


def is_competent(*, office_region: str, unit_county: str) -> bool:
    """Whether the office may review and record: only the unit's own county (条例 Art. 7)."""
    _require_unit_county(unit_county)
    return office_region == unit_county


def competence_decision(*, office_region: str, unit_county: str, regions: Regions | None = None) -> Decision:
    """The 属地审核登簿 rule as a Decision, for review, recording and certificate steps."""
    unit = _label(unit_county, regions)
    if is_competent(office_region=office_region, unit_county=unit_county):
        return Decision(True, "zone.competent_only", f"由不动产所在地 {unit} 登记机构审核、登簿（条例第七条）")
    return Decision(
        False,
        "zone.competent_only",
        f"{_label(office_region, regions)} 不是不动产所在地 {unit} 的登记机构；"
        f"审核、登簿只能由属地登记机构办理（不动产登记暂行条例第七条）",
    )
