"""In-process tile cache, kept correct across processes by following registry.map_changes.

Every transaction that changes what the map shows appends a row to the change log: new units carry
their bbox and drop only the unit-collection tiles over it, at every zoom; a row without an area
(control lines, trade marks, split / merge) drops everything. Each API process follows the log
(maps/changes.py), so with several workers every cache hears every change; the process that made
a change applies it at once as well.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict, deque
from dataclasses import dataclass

from registry.maps.changes import MapChangeFeed
from registry.maps.collections import COLLECTIONS

MAX_ZOOM = 22
UNIT_COLLECTIONS = tuple(c.id for c in COLLECTIONS.values() if c.table == "units")
# ST_AsMVTGeom keeps 64 of 4096 units beyond the tile edge: a unit that close to a tile shows in it.
_EDGE = 64 / 4096
_LOG_LENGTH = 512

Key = tuple[str, int, int, int]  # (collection, z, x, y)
Area = tuple[float, float, float, float]


@dataclass(frozen=True)
class CachedTile:
    """Tile bytes with the ETag computed once."""

    body: bytes
    etag: str
    stored_at: float


def etag_of(body: bytes) -> str:
    """A strong ETag from the content."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _tile_y(lat: float, n: int) -> float:
    lat = max(min(lat, 85.0511), -85.0511)
    return (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n


def tile_range(area: Area, z: int) -> tuple[int, int, int, int]:
    """x0, x1, y0, y1 of the tiles at zoom z that show anything inside the area (edge buffer included)."""
    n = 2**z
    xmin, ymin, xmax, ymax = area
    x0 = math.floor((xmin + 180) / 360 * n - _EDGE)
    x1 = math.floor((xmax + 180) / 360 * n + _EDGE)
    y0 = math.floor(_tile_y(ymax, n) - _EDGE)
    y1 = math.floor(_tile_y(ymin, n) + _EDGE)
    return max(x0, 0), min(x1, n - 1), max(y0, 0), min(y1, n - 1)


def _covers(area: Area | None, key: Key) -> bool:
    if area is None:
        return True
    collection, z, x, y = key
    if collection not in UNIT_COLLECTIONS:
        return False
    x0, x1, y0, y1 = tile_range(area, z)
    return x0 <= x <= x1 and y0 <= y <= y1


class TileCache:
    """LRU of rendered tiles with area-precise invalidation; bypassed while the change feed is not current."""

    def __init__(self, *, max_entries: int, ttl_seconds: float, dsn: str, poll_seconds: float = 0.2) -> None:
        self._entries: OrderedDict[Key, CachedTile] = OrderedDict()
        self._by_zoom: dict[int, set[Key]] = {}
        self._max = max_entries
        self._ttl = ttl_seconds
        self._feed = MapChangeFeed(dsn, on_change=self.changed, interval=poll_seconds)
        self.generation = 0
        # Recent changes, so a tile rendered while one arrived is not stored if the change touches it.
        self._changes: deque[tuple[int, Area | None]] = deque(maxlen=_LOG_LENGTH)

    def invalidate(self) -> None:
        """Drop everything."""
        self.generation += 1
        self._changes.append((self.generation, None))
        self._entries.clear()
        self._by_zoom.clear()

    def changed(self, area: Area | None) -> None:
        """Apply one change: unit tiles over `area` go, or everything when there is no area."""
        if area is None:
            self.invalidate()
            return
        self.generation += 1
        self._changes.append((self.generation, area))
        for z, keys in self._by_zoom.items():
            if not keys:
                continue
            x0, x1, y0, y1 = tile_range(area, z)
            span = (x1 - x0 + 1) * (y1 - y0 + 1) * len(UNIT_COLLECTIONS)
            if span <= len(keys):
                doomed = [(c, z, x, y) for c in UNIT_COLLECTIONS for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)
                          if (c, z, x, y) in keys]
            else:
                doomed = [k for k in keys if k[0] in UNIT_COLLECTIONS and x0 <= k[2] <= x1 and y0 <= k[3] <= y1]
            for key in doomed:
                self._drop(key)

    def _drop(self, key: Key) -> None:
        if self._entries.pop(key, None) is not None:
            self._by_zoom[key[1]].discard(key)

    def follow_changes(self) -> None:
        """Start following the change log (idempotent; needs the running loop)."""
        self._feed.start()

    @property
    def listening(self) -> bool:
        """Whether every change is being heard (otherwise the cache is bypassed)."""
        return self._feed.healthy

    def get(self, key: Key) -> CachedTile | None:
        """A fresh cached tile or None (always None while changes may be going unheard)."""
        if not self.listening:
            return None
        tile = self._entries.get(key)
        if tile is None:
            return None
        if time.monotonic() - tile.stored_at > self._ttl:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return tile

    def _changed_since(self, generation: int, key: Key) -> bool:
        if generation == self.generation:
            return False
        if not self._changes or self._changes[0][0] > generation + 1:
            return True  # older than the log remembers
        return any(g > generation and _covers(area, key) for g, area in self._changes)

    def put(self, key: Key, body: bytes, *, generation: int) -> CachedTile:
        """Store a tile rendered under `generation` unless a change touching it arrived meanwhile."""
        tile = CachedTile(body=body, etag=etag_of(body), stored_at=time.monotonic())
        if self.listening and not self._changed_since(generation, key):
            self._entries[key] = tile
            self._by_zoom.setdefault(key[1], set()).add(key)
            while len(self._entries) > self._max:
                old, _ = self._entries.popitem(last=False)
                self._by_zoom[old[1]].discard(old)
        return tile

    async def close(self) -> None:
        """Stop following the change log."""
        await self._feed.close()
