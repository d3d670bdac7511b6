"""Following `registry.map_changes`, the log every map-changing transaction appends to, in each API process.

Reading by id alone would miss a row whose transaction took its id early but committed late. So each
read also takes the snapshot's xmin (the oldest transaction still running): every row of an older
transaction is visible by then or never will be, and the next read starts from that xmin, skipping
the ids it has already applied. A NOTIFY per registration would be simpler but serialises every
commit in the database (see migration registry_0004).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

import asyncpg

log = logging.getLogger(__name__)
Area = tuple[float, float, float, float]

_READ = """
SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon, c.id, c.xid::text AS xid, c.scope,
       c.min_lon, c.min_lat, c.max_lon, c.max_lat
FROM (SELECT 1) one
LEFT JOIN registry.map_changes c ON c.xid >= $1::text::xid8
ORDER BY c.id
"""
_START = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text"
_PRUNE = "DELETE FROM registry.map_changes WHERE at < now() - make_interval(secs => $1)"


class MapChangeFeed:
    """Polls the log every `interval` seconds and calls `on_change(area or None)` for each new row."""

    def __init__(self, dsn: str, *, on_change: Callable[[Area | None], None], interval: float = 0.2,
                 keep_seconds: float = 600.0) -> None:
        self._dsn = dsn
        self._on_change = on_change
        self._interval = interval
        self._keep = keep_seconds
        self._task: asyncio.Task | None = None
        self._horizon: str | None = None
        self._seen: dict[int, int] = {}  # id -> xid of rows at or above the horizon, applied already
        self._fresh_until = 0.0
        self._pruned_at = 0.0

    @property
    def healthy(self) -> bool:
        """Whether the last read is recent: a cache may serve only while it hears every change."""
        return time.monotonic() < self._fresh_until

    def start(self) -> None:
        """Start polling in the running loop (once)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="map-change-feed")

    async def _run(self) -> None:
        conn: asyncpg.Connection | None = None
        while True:
            try:
                if conn is None or conn.is_closed():
                    conn = await asyncpg.connect(self._dsn, timeout=5,
                                                 server_settings={"application_name": "natres-registry-map-feed"})
                    # Anything cached while nobody was reading may be stale: start again from now.
                    self._horizon = await conn.fetchval(_START)
                    self._seen.clear()
                    self._on_change(None)
                await self._read(conn)
                self._fresh_until = time.monotonic() + max(3 * self._interval, 1.0)
                if time.monotonic() - self._pruned_at > 60:
                    self._pruned_at = time.monotonic()
                    await conn.execute(_PRUNE, self._keep)
            except asyncio.CancelledError:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
                raise
            except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
                log.warning("map change feed: read failed, tile caching off until it recovers",
                            extra={"error": repr(exc)})
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
                conn = None
                await asyncio.sleep(2)
                continue
            await asyncio.sleep(self._interval)

    async def _read(self, conn: asyncpg.Connection) -> None:
        rows = await conn.fetch(_READ, self._horizon)
        horizon = rows[0]["horizon"]
        for row in rows:
            if row["id"] is None or row["id"] in self._seen:
                continue
            self._seen[row["id"]] = int(row["xid"])
            area = None if row["min_lon"] is None else (row["min_lon"], row["min_lat"], row["max_lon"], row["max_lat"])
            self._on_change(area)
        bound = int(horizon)
        self._seen = {i: x for i, x in self._seen.items() if x >= bound}
        self._horizon = horizon

    async def close(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
