"""Vector tiles answered in front of the framework: the map's hot path.

A tile needs the cache or one ST_AsMVT statement, yet going through FastAPI (routing, path-parameter
validation, dependencies, the metrics middleware) costs several times the work of sending a cached
tile and about half as much again as rendering one. This ASGI layer answers a well-formed GET for a
tile of a known collection itself, through the same service function and with the same headers as
the route (ETag, Cache-Control, CORS, 304 on If-None-Match, X-Tile-Cache, traceparent). Anything
else (unknown collections, out-of-range tiles, a failing render) goes on to the app, whose route
answers with the usual problem+json. Tiles sent here are counted in `registry_tiles_served_total`
(they bypass the per-route HTTP metrics).
"""

from __future__ import annotations

import logging

from prometheus_client import Counter
from starlette.types import ASGIApp, Receive, Scope, Send

from natres_platform.tracing import continue_trace
from registry.maps import service
from registry.maps.collections import COLLECTIONS
from registry.runtime import Registry

log = logging.getLogger(__name__)
MVT = b"application/vnd.mapbox-vector-tile"
SERVED = Counter("registry_tiles_served_total", "Vector tiles answered in front of the app", ["cache", "status"])
_MAX_ZOOM = 22


def tile_key(path: str) -> tuple[str, int, int, int] | None:
    """('parcels', 15, x, y) for a valid /tiles/parcels/15/x/y.mvt, None for anything the route should answer."""
    parts = path.split("/")
    if len(parts) != 6 or parts[1] != "tiles" or not parts[5].endswith(".mvt"):
        return None
    z, x, y = parts[3], parts[4], parts[5][:-4]
    if not (z.isdigit() and x.isdigit() and y.isdigit()):
        return None
    zi, xi, yi = int(z), int(x), int(y)
    if parts[2] not in COLLECTIONS or zi > _MAX_ZOOM or xi >= 2**zi or yi >= 2**zi:
        return None
    return parts[2], zi, xi, yi


class TileServer:
    """Serve valid tile requests (cache hit or render); everything else passes through unchanged."""

    def __init__(self, app: ASGIApp, *, registry: Registry) -> None:
        self.app = app
        self._registry = registry
        self._cache_control = f"public, max-age={registry.settings.tile_max_age_seconds}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith("/tiles/"):
            await self.app(scope, receive, send)
            return
        key = tile_key(scope["path"])
        if key is None:
            await self.app(scope, receive, send)
            return
        try:
            tile, hit = await service.tile(registry=self._registry, collection_id=key[0], z=key[1], x=key[2], y=key[3])
        except Exception:  # noqa: BLE001 - the route renders again and reports the problem as problem+json
            log.warning("tile fast path failed; passing to the route", exc_info=True)
            await self.app(scope, receive, send)
            return
        incoming = if_none_match = None
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"traceparent":
                incoming = value.decode("latin-1")
        cache = "hit" if hit else "miss"
        headers = [(b"etag", tile.etag.encode()), (b"cache-control", self._cache_control),
                   (b"access-control-allow-origin", b"*"), (b"x-tile-cache", cache.encode()),
                   (b"traceparent", continue_trace(incoming).encode())]
        if if_none_match == tile.etag:
            SERVED.labels(cache, "304").inc()
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        SERVED.labels(cache, "200").inc()
        headers += [(b"content-type", MVT), (b"content-length", str(len(tile.body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": tile.body})
