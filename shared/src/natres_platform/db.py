"""Async engine and session factory (SQLAlchemy 2 + asyncpg), built from settings, never at import."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from natres_platform.settings import ServiceSettings

SessionMaker = async_sessionmaker[AsyncSession]


def make_engine(settings: ServiceSettings, *, owner: bool = False) -> AsyncEngine:
    """One pooled engine per process; `application_name` makes sessions traceable in pg_stat_activity."""
    return create_async_engine(
        settings.database_url(owner=owner),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
        connect_args={"server_settings": {"application_name": f"natres-{settings.service_name}"}},
    )


def make_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    """Sessions keep loaded objects usable after commit (responses are built after it)."""
    return async_sessionmaker(engine, expire_on_commit=False)
