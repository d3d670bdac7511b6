"""What the trading code needs besides the platform context: settings, rules, keys, the bid pool."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg

from natres_platform.context import ServiceContext
from natres_platform.uow import UnitOfWork

from transactions.bidding.batcher import BidBatcher, Limits
from transactions.listings.terms import TradingRules
from transactions.settings import TransactionsSettings


@dataclass
class Trading:
    """Built once per process next to the ServiceContext and passed to every service function."""

    ctx: ServiceContext
    settings: TransactionsSettings
    rules: TradingRules = field(init=False)
    _bid_pool: asyncpg.Pool | None = field(default=None, init=False, repr=False)
    _bid_pool_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)
    _bid_batcher: BidBatcher | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.rules = self.settings.trading_rules()

    @classmethod
    def build(cls, settings: TransactionsSettings) -> Trading:
        """A context with its own engine (never at import time)."""
        return cls(ctx=ServiceContext.build(settings), settings=settings)

    def uow(self) -> UnitOfWork:
        """A fresh unit of work (domain rows and outbox events commit together)."""
        return self.ctx.uow()

    async def bid_pool(self) -> asyncpg.Pool:
        """The asyncpg pool of the bid hot path, created on first use in the running loop."""
        if self._bid_pool is None:
            async with self._bid_pool_lock:
                if self._bid_pool is None:
                    self._bid_pool = await _create_bid_pool(self.settings)
        return self._bid_pool

    @property
    def bid_batcher(self) -> BidBatcher:
        """Groups the bids on one listing that arrive together into one transaction (bidding/batcher.py)."""
        if self._bid_batcher is None:
            s = self.settings
            limits = Limits(countdown=timedelta(seconds=s.countdown_seconds),
                            late_window=timedelta(seconds=s.late_bid_seconds), topic=s.topic)
            self._bid_batcher = BidBatcher(self.bid_pool, limits, max_batch=s.bid_batch_size)
        return self._bid_batcher

    async def close_bid_pool(self) -> None:
        """Release the bid pool (the app's lifespan closes the engine itself)."""
        pool, self._bid_pool = self._bid_pool, None
        if pool is not None:
            await pool.close()

    async def aclose(self) -> None:
        """Release the bid pool and the engine's connections."""
        await self.close_bid_pool()
        await self.ctx.aclose()

    @property
    def countdown(self) -> timedelta:
        """限时竞价 / 拍卖 countdown that restarts on every accepted bid."""
        return timedelta(seconds=self.settings.countdown_seconds)

    @property
    def bank_secret(self) -> bytes:
        return self.settings.bank_secret.encode()

    @property
    def number_key(self) -> bytes:
        return self.settings.bidder_number_key.encode()

    @property
    def tender_secret(self) -> bytes:
        return self.settings.tender_secret.encode()


async def _no_reset(_: asyncpg.Connection) -> None:
    # The hot path runs one autocommit statement and changes no session state, so the default
    # reset query (a round trip on every release) has nothing to undo.
    return None


async def _create_bid_pool(settings: TransactionsSettings) -> asyncpg.Pool:
    i = settings.infra
    return await asyncpg.create_pool(
        host=i.pg_host, port=i.pg_port, database=i.pg_database, user=settings.db_user, password=settings.db_password,
        min_size=1, max_size=settings.bid_pool_size, reset=_no_reset,
        server_settings={"application_name": f"natres-{settings.service_name}-bids"},
    )
