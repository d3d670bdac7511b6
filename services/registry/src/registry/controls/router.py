"""Admin load of control lines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from natres_platform.security import Admin
from registry.controls import service
from registry.controls.schemas import ControlLineCollection, LineType, LoadResult
from registry.dependencies import RegistryDep

router = APIRouter(prefix="/api/v1/control-lines", tags=["control lines 三区三线"])


@router.post("", status_code=201, response_model=LoadResult, summary="Load control lines from a GeoJSON FeatureCollection (admin)")
async def load(
    body: ControlLineCollection,
    registry: RegistryDep,
    admin: Admin,
    line_type: Annotated[LineType | None, Query(description="type for features without properties.line_type")] = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
) -> LoadResult:
    """Each feature: Polygon / MultiPolygon, properties.line_type and properties.name."""
    return LoadResult(**await service.load_lines(registry=registry, collection=body, line_type=line_type, source=source,
                                                 actor=admin))
