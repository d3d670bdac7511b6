"""一张图 over HTTP: OGC API - Features under /ogc and vector tiles under /tiles (public, read-only)."""

from __future__ import annotations

import re

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from natres_platform.errors import ValidationFailed
from registry.dependencies import RegistryDep
from registry.maps import service
from registry.maps.collections import COLLECTIONS

router = APIRouter(tags=["map 一张图"])
GEOJSON = "application/geo+json"
MVT = "application/vnd.mapbox-vector-tile"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)*/?")


def _base(request: Request) -> str:
    """Our own URL as the client sees it: behind the portal's proxy, with its path prefix."""
    prefix = request.headers.get("x-forwarded-prefix", "")
    if not _PREFIX.fullmatch(prefix):  # only a plain path; it only shapes links in this response
        prefix = ""
    return str(request.base_url).rstrip("/") + prefix.rstrip("/")


def _parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    if bbox is None:
        return None
    try:
        parts = [float(v) for v in bbox.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or parts[0] > parts[2] or parts[1] > parts[3]:
        raise ValidationFailed("bbox 应为 minx,miny,maxx,maxy", field="bbox")
    return parts[0], parts[1], parts[2], parts[3]


@router.get("/ogc", summary="OGC API - Features landing page")
async def landing(request: Request) -> JSONResponse:
    """Links to the API description, conformance and the collections."""
    base = _base(request) + "/ogc"
    return JSONResponse({
        "title": "山西省自然资源统一确权登记 一张图",
        "description": "Registration units and control lines (CGCS2000 coordinates, served as CRS84)",
        "links": [
            {"href": base, "rel": "self", "type": "application/json", "title": "this document"},
            {"href": _base(request) + "/openapi.json", "rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0"},
            {"href": base + "/conformance", "rel": "conformance", "type": "application/json"},
            {"href": base + "/collections", "rel": "data", "type": "application/json"},
        ],
    })


@router.get("/ogc/conformance", summary="OGC API - Features conformance classes")
async def conformance() -> JSONResponse:
    """Core + GeoJSON + OpenAPI 3.0."""
    return JSONResponse({"conformsTo": CONFORMANCE})


def _collection_doc(request: Request, cid: str, bbox: list[float] | None) -> dict:
    c = COLLECTIONS[cid]
    base = f"{_base(request)}/ogc/collections/{cid}"
    doc = {
        "id": cid,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            {"href": base, "rel": "self", "type": "application/json"},
            {"href": base + "/items", "rel": "items", "type": GEOJSON},
            {"href": f"{_base(request)}/tiles/{cid}/{{z}}/{{x}}/{{y}}.mvt", "rel": "item", "type": MVT,
             "title": "Mapbox vector tiles", "templated": True},
        ],
    }
    if bbox:
        doc["extent"] = {"spatial": {"bbox": [bbox], "crs": CRS84}}
    return doc


@router.get("/ogc/collections", summary="The map's collections")
async def collections(request: Request, registry: RegistryDep) -> JSONResponse:
    """Every collection with its links."""
    docs = [_collection_doc(request, cid, None) for cid in COLLECTIONS]
    return JSONResponse({
        "links": [{"href": f"{_base(request)}/ogc/collections", "rel": "self", "type": "application/json"}],
        "collections": docs,
    })


@router.get("/ogc/collections/{collection_id}", summary="One collection")
async def collection(request: Request, registry: RegistryDep, collection_id: str) -> JSONResponse:
    """Description, extent and links of a collection."""
    bbox = await service.extent(registry=registry, collection_id=collection_id)
    return JSONResponse(_collection_doc(request, collection_id, bbox))


@router.get("/ogc/collections/{collection_id}/items", summary="Features (GeoJSON) with bbox, limit and paging")
async def items(
    request: Request,
    registry: RegistryDep,
    collection_id: str,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy (CRS84)")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JSONResponse:
    """A page of features; a `next` link while more follow."""
    features, more = await service.items(
        registry=registry, collection_id=collection_id, bbox=_parse_bbox(bbox), limit=limit, offset=offset
    )
    base = f"{_base(request)}/ogc/collections/{collection_id}/items"
    extra = f"&bbox={bbox}" if bbox else ""
    links = [
        {"href": f"{base}?limit={limit}&offset={offset}{extra}", "rel": "self", "type": GEOJSON},
        {"href": f"{_base(request)}/ogc/collections/{collection_id}", "rel": "collection", "type": "application/json"},
    ]
    if more:
        links.append({"href": f"{base}?limit={limit}&offset={offset + limit}{extra}", "rel": "next", "type": GEOJSON})
    if offset:
        links.append({"href": f"{base}?limit={limit}&offset={max(offset - limit, 0)}{extra}", "rel": "prev", "type": GEOJSON})
    body = {"type": "FeatureCollection", "features": features, "numberReturned": len(features), "links": links}
    return JSONResponse(body, media_type=GEOJSON)


@router.get("/ogc/collections/{collection_id}/items/{feature_id}", summary="One feature (GeoJSON)")
async def item(request: Request, registry: RegistryDep, collection_id: str, feature_id: str) -> JSONResponse:
    """A single feature."""
    feature = await service.item(registry=registry, collection_id=collection_id, feature_id=feature_id)
    base = f"{_base(request)}/ogc/collections/{collection_id}"
    feature["links"] = [
        {"href": f"{base}/items/{feature_id}", "rel": "self", "type": GEOJSON},
        {"href": base, "rel": "collection", "type": "application/json"},
    ]
    return JSONResponse(feature, media_type=GEOJSON)


@router.get("/tiles/{collection_id}/{z}/{x}/{y}.mvt", summary="Mapbox vector tile of a collection",
            response_class=Response, responses={200: {"content": {MVT: {}}}})
async def tile(
    request: Request,
    registry: RegistryDep,
    collection_id: str,
    z: Annotated[int, Path(ge=0, le=22)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
) -> Response:
    """ST_AsMVT output with ETag / Cache-Control; 304 when the client's copy is current."""
    cached, hit = await service.tile(registry=registry, collection_id=collection_id, z=z, x=x, y=y)
    headers = {
        "ETag": cached.etag,
        "Cache-Control": f"public, max-age={registry.settings.tile_max_age_seconds}",
        "Access-Control-Allow-Origin": "*",
        "X-Tile-Cache": "hit" if hit else "miss",  # this process's cache; for operators and the bench
    }
    if request.headers.get("if-none-match") == cached.etag:
        return Response(status_code=304, headers=headers)
    return Response(content=cached.body, media_type=MVT, headers=headers)
