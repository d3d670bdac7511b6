"""In-process tile cache, emptied when any process commits a unit or control-line change (LISTEN registry_map)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass

import asyncpg

log = logging.getLogger(__name__)
CHANNEL = "registry_map"


@dataclass(frozen=True)
class CachedTile:
    """Tile bytes with the ETag computed once."""

    body: bytes
    etag: str
    stored_at: float


def etag_of(body: bytes) -> str:
    """A strong ETag from the content."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


class TileCache:
    """LRU of rendered tiles; a NOTIFY on `registry_map` (sent in the writing transaction) clears it.

    The TTL bounds staleness if the listener connection is down (it is reopened on the next request).
    """

    def __init__(self, *, max_entries: int, ttl_seconds: float, dsn: str) -> None:
        self._entries: OrderedDict[tuple, CachedTile] = OrderedDict()
        self._max = max_entries
        self._ttl = ttl_seconds
        self._dsn = dsn
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._retry_at = 0.0
        self.generation = 0

    def invalidate(self, *_: object) -> None:
        """Drop everything (units changed somewhere)."""
        self.generation += 1
        self._entries.clear()

    async def ensure_listener(self) -> None:
        """Open the LISTEN connection once; on failure retry later and serve uncached meanwhile."""
        if self._conn is not None and not self._conn.is_closed():
            return
        if time.monotonic() < self._retry_at:
            return
        async with self._lock:
            if self._conn is not None and not self._conn.is_closed():
                return
            try:
                conn = await asyncpg.connect(self._dsn, timeout=5)
                await conn.add_listener(CHANNEL, lambda *args: self.invalidate())
                conn.add_termination_listener(lambda *_: self.invalidate())
            except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
                log.warning("tile cache: LISTEN failed, caching off for 10 s", extra={"error": repr(exc)})
                self._retry_at = time.monotonic() + 10
                return
            # Anything cached before the listener existed may have missed a change.
            self.invalidate()
            self._conn = conn

    @property
    def listening(self) -> bool:
        """Whether invalidations can be heard (otherwise the cache is bypassed)."""
        return self._conn is not None and not self._conn.is_closed()

    def get(self, key: tuple) -> CachedTile | None:
        """A fresh cached tile or None."""
        tile = self._entries.get(key)
        if tile is None:
            return None
        if time.monotonic() - tile.stored_at > self._ttl:
            self._entries.pop(key, None)
            return None
        self._entries.move_to_end(key)
        return tile

    def put(self, key: tuple, body: bytes, *, generation: int) -> CachedTile:
        """Store a tile rendered under `generation` (dropped if a change arrived meanwhile)."""
        tile = CachedTile(body=body, etag=etag_of(body), stored_at=time.monotonic())
        if generation == self.generation and self.listening:
            self._entries[key] = tile
            if len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return tile

    async def close(self) -> None:
        """Close the listener connection."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()
