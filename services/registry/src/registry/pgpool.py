"""A small asyncpg pool for the registry's hot paths (registration, tiles): one round trip per call, no ORM.

SQLAlchemy's session costs a pre-ping, BEGIN, the statement and COMMIT, each through a greenlet;
a registration or a tile needs one statement. Work that spans several statements keeps using the
unit of work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg


async def _keep_session(_: asyncpg.Connection) -> None:
    """Release without asyncpg's default reset query (a round trip per release).

    Safe because the hot paths leave no session state behind: advisory locks are transaction-level,
    nothing LISTENs, SETs or opens cursors on these connections; an open transaction is still rolled
    back by asyncpg before this runs.
    """


class PgPool:
    """Created on first use (a pool needs the running loop), closed with the app; `init` readies each new connection."""

    def __init__(self, dsn: str, *, min_size: int, max_size: int, application_name: str,
                 init: Callable[[asyncpg.Connection], Awaitable[None]] | None = None) -> None:
        self._dsn = dsn
        self._init = init
        self._min, self._max = min_size, max_size
        self._application_name = application_name
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> asyncpg.Pool:
        """The pool, created once."""
        if self._pool is not None:
            return self._pool
        async with self._lock:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn, min_size=self._min, max_size=self._max, init=self._init, reset=_keep_session,
                    server_settings={"application_name": self._application_name},
                )
        return self._pool

    async def close(self) -> None:
        """Close every connection."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()
