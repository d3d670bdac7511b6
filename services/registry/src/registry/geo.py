"""Geometry at the edges: GeoJSON in (geojson-pydantic), CGCS2000 (EPSG:4490) in the database."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Union

from geojson_pydantic import MultiPolygon, Polygon
from pydantic import Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from registry.errors import GeometryInvalid, GeometryOutsideProvince

SRID = 4490  # CGCS2000 geographic
WEB_MERCATOR = 3857

AreaGeometry = Annotated[Union[Polygon, MultiPolygon], Field(discriminator="type")]

_CHECK_SQL = text(
    """
    WITH g AS (SELECT ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(:gj), 4490)) AS geom)
    SELECT ST_IsValid(geom) AS valid,
           ST_IsValidReason(geom) AS reason,
           ST_CoveredBy(geom, ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4490)) AS inside,
           ST_IsEmpty(geom) AS empty,
           CASE WHEN ST_IsValid(geom) THEN round(ST_Area(geom::geography)::numeric, 2) END AS area_m2,
           ST_AsEWKB(ST_Multi(geom)) AS ewkb
    FROM g
    """
)


@dataclass(frozen=True)
class CheckedGeometry:
    """A geometry PostGIS found valid and inside the province, as EWKB MultiPolygon."""

    ewkb: bytes
    area_m2: object  # Decimal from the database
    bbox: tuple[float, float, float, float]


def geojson_text(geometry: Polygon | MultiPolygon) -> str:
    """The GeoJSON string PostGIS parses."""
    return geometry.model_dump_json(exclude_none=True)


def _positions(geometry: Polygon | MultiPolygon) -> Iterator[Sequence[float]]:
    polygons = [geometry.coordinates] if geometry.type == "Polygon" else geometry.coordinates
    for polygon in polygons:
        for ring in polygon:
            yield from ring


def bbox_of(geometry: Polygon | MultiPolygon) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) from the coordinates, no database needed."""
    xs, ys = [], []
    for p in _positions(geometry):
        xs.append(p[0])
        ys.append(p[1])
    return min(xs), min(ys), max(xs), max(ys)


async def check_geometry(
    session: AsyncSession, geometry: Polygon | MultiPolygon, *, province_bbox: tuple[float, float, float, float]
) -> CheckedGeometry:
    """Validate in PostGIS: invalid -> 422 with ST_IsValidReason (never repaired); outside Shanxi -> 422."""
    xmin, ymin, xmax, ymax = province_bbox
    row = (
        await session.execute(
            _CHECK_SQL, {"gj": geojson_text(geometry), "xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax}
        )
    ).one()
    if row.empty:
        raise GeometryInvalid("图形为空", reason="empty")
    if not row.valid:
        raise GeometryInvalid(f"图形不合法：{row.reason}", reason=row.reason)
    if not row.inside:
        raise GeometryOutsideProvince(
            f"图形超出山西省范围（近似范围：东经 {xmin}-{xmax}°，北纬 {ymin}-{ymax}°）",
            province_bbox=list(province_bbox),
        )
    return CheckedGeometry(ewkb=bytes(row.ewkb), area_m2=row.area_m2, bbox=bbox_of(geometry))


# --- serialisation of overlap checks ------------------------------------------------------------
# Two registrations can only overlap if their bounding boxes share a grid cell, so each
# registration locks the cells its bbox covers (sorted: no deadlocks) under a shared per-layer
# lock. A very large polygon takes the per-layer lock exclusively instead of thousands of cells.
# The locks are taken by registry.register_units (units/registration.py plans them).

CELL_DEGREES = 0.002
MAX_CELLS = 256


def lock_cells(bbox: tuple[float, float, float, float]) -> list[int] | None:
    """Grid cell ids covered by the bbox, or None when there are too many (lock the layer)."""
    xmin, ymin, xmax, ymax = bbox
    ix0, ix1 = math.floor(xmin / CELL_DEGREES), math.floor(xmax / CELL_DEGREES)
    iy0, iy1 = math.floor(ymin / CELL_DEGREES), math.floor(ymax / CELL_DEGREES)
    if (ix1 - ix0 + 1) * (iy1 - iy0 + 1) > MAX_CELLS:
        return None
    # Ids may collide for far-apart cells (ix * 10_000 wraps over iy): that only serialises two
    # unrelated registrations, it never lets two overlapping ones through.
    return sorted(ix * 10_000 + iy for ix in range(ix0, ix1 + 1) for iy in range(iy0, iy1 + 1))


def feature_collection(features: list[dict]) -> dict:
    """A GeoJSON FeatureCollection dict."""
    return {"type": "FeatureCollection", "features": features}


def parse_geojson(value: str | None) -> dict | None:
    """ST_AsGeoJSON output to a dict."""
    return json.loads(value) if value else None
