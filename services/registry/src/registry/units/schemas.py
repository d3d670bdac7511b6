"""Unit API schemas: UnitCreate in, UnitRead out (GeoJSON geometry)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from registry.geo import AreaGeometry


class UnitCreate(BaseModel):
    """A surveyed unit (地籍调查 result): code, boundary, optional name and location."""

    code: str = Field(examples=["140107003002GB00012W00000000", "ZY140981SN000001"])
    geometry: AreaGeometry
    name: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, max_length=500)


class UnitBatchCreate(BaseModel):
    """A cadastral survey import: registered all together or not at all."""

    units: list[UnitCreate] = Field(min_length=1, max_length=1000)


class ControlLineHit(BaseModel):
    """A control line the unit's interior overlaps, with the overlap in m² and as a share of the unit."""

    line_id: str
    line_type: str
    name: str | None = None
    overlap_m2: Decimal
    share: Decimal


class UnitRead(BaseModel):
    """A unit as stored, with its geometry as GeoJSON."""

    id: str
    code: str
    family: str
    kind: str
    layer: str
    county_code: str
    status: str
    area_m2: Decimal
    name: str | None = None
    location: str | None = None
    in_trade_listing_id: str | None = None
    control_lines: list[ControlLineHit] = []
    created_at: datetime
    geometry: dict[str, Any] | None = None


class UnitSummary(BaseModel):
    """A unit without geometry, for lists."""

    id: str
    code: str
    kind: str
    layer: str
    county_code: str
    status: str
    area_m2: Decimal
    name: str | None = None


class LineageRead(BaseModel):
    """Parents and children of a unit (split / merge)."""

    unit_id: str
    parents: list[dict[str, str]]
    children: list[dict[str, str]]


class SplitRequest(BaseModel):
    """Split one unit into children with new codes and boundaries."""

    children: list[UnitCreate] = Field(min_length=2)


class MergeRequest(BaseModel):
    """Merge current units into a new one."""

    parent_ids: list[str] = Field(min_length=2)
    child: UnitCreate
