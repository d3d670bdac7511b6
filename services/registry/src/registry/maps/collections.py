"""The map's collections: units by type, units in trade, control lines — one definition serves OGC API and tiles."""

from __future__ import annotations

from dataclasses import dataclass

from registry.units.codes import RESOURCE_TYPES


@dataclass(frozen=True)
class Collection:
    """A named filtered view of one table with the properties it exposes."""

    id: str
    title: str
    description: str
    table: str  # units | control_lines
    where: str

    @property
    def properties_sql(self) -> str:
        """Columns exposed as feature properties (display only: area as a float)."""
        if self.table == "units":
            return ("t.code, t.kind, t.layer, t.county_code, t.status, t.area_m2::float8 AS area_m2, "
                    "t.name, t.in_trade_listing_id")
        return "t.line_type, t.name, t.area_m2::float8 AS area_m2"

    @property
    def from_sql(self) -> str:
        """The table with its alias."""
        return f"registry.{self.table} t"


def _build() -> dict[str, Collection]:
    items = [
        Collection("units", "全部现势登记单元", "All current registration units", "units", "t.status = 'current'"),
        Collection("parcels", "宗地（不动产单元）", "Real-estate parcels", "units",
                   "t.status = 'current' AND t.resource_type IS NULL"),
        Collection("natural_resources", "自然资源登记单元", "Natural-resource units", "units",
                   "t.status = 'current' AND t.resource_type IS NOT NULL"),
        Collection("units_in_trade", "交易中的登记单元", "Units marked in trade (open listings)", "units",
                   "t.status = 'current' AND t.in_trade_listing_id IS NOT NULL"),
    ]
    items += [
        Collection(t.name, f"自然资源：{t.label}", f"Natural-resource units: {t.name}", "units",
                   f"t.status = 'current' AND t.resource_type = '{t.name}'")
        for t in RESOURCE_TYPES
    ]
    items += [
        Collection("control_lines", "三区三线", "All control lines", "control_lines", "true"),
        Collection("basic_farmland", "永久基本农田", "Permanent basic farmland", "control_lines", "t.line_type = 'basic_farmland'"),
        Collection("ecological_redline", "生态保护红线", "Ecological protection red line", "control_lines",
                   "t.line_type = 'ecological_redline'"),
        Collection("urban_boundary", "城镇开发边界", "Urban development boundary", "control_lines",
                   "t.line_type = 'urban_boundary'"),
    ]
    return {c.id: c for c in items}


COLLECTIONS: dict[str, Collection] = _build()
