"""Control-line load: a GeoJSON FeatureCollection of polygons."""

from __future__ import annotations

from typing import Any, Literal, Union

from geojson_pydantic import Feature, FeatureCollection, MultiPolygon, Polygon
from pydantic import BaseModel

LineType = Literal["basic_farmland", "ecological_redline", "urban_boundary"]
LINE_LABELS = {"basic_farmland": "永久基本农田", "ecological_redline": "生态保护红线", "urban_boundary": "城镇开发边界"}

ControlLineCollection = FeatureCollection[Feature[Union[Polygon, MultiPolygon], dict[str, Any]]]


class LoadResult(BaseModel):
    """What a load added."""

    batch_id: str
    loaded: int
    by_type: dict[str, int]
    units_affected: int
    line_ids: list[str]
