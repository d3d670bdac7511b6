"""Everything a service process builds once from its settings, kept on app.state."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from natres_platform.auth import JwksCache, TokenVerifier
from natres_platform.db import SessionMaker, make_engine, make_sessionmaker
from natres_platform.events import SchemaRegistry
from natres_platform.messaging_tables import MessagingTables
from natres_platform.relay import OutboxRelay
from natres_platform.settings import ServiceSettings
from natres_platform.uow import UnitOfWork


@dataclass
class ServiceContext:
    """Engine, sessions, contracts and token verifier of one service process."""

    settings: ServiceSettings
    engine: AsyncEngine
    sessionmaker: SessionMaker
    tables: MessagingTables
    schemas: SchemaRegistry
    jwks: JwksCache
    verifier: TokenVerifier

    @classmethod
    def build(cls, settings: ServiceSettings, *, schemas: SchemaRegistry | None = None) -> ServiceContext:
        """Build once per process (never at import time)."""
        engine = make_engine(settings)
        jwks = JwksCache(settings.infra.jwks_url, lifespan_seconds=settings.jwks_lifespan_seconds)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=make_sessionmaker(engine),
            tables=MessagingTables(settings.db_schema),
            schemas=schemas or SchemaRegistry.platform(),
            jwks=jwks,
            verifier=TokenVerifier(jwks=jwks, issuer=settings.infra.issuer, audience=settings.audience,
                                   cache_seconds=settings.jwks_lifespan_seconds),
        )

    def uow(self) -> UnitOfWork:
        """A fresh unit of work publishing to this service's topic."""
        return UnitOfWork(
            sessionmaker=self.sessionmaker, tables=self.tables, schemas=self.schemas, topic=self.settings.topic
        )

    def relay(self) -> OutboxRelay:
        """The outbox relay for this service's schema."""
        s = self.settings
        return OutboxRelay(
            sessionmaker=self.sessionmaker,
            tables=self.tables,
            bootstrap=s.infra.kafka_bootstrap,
            client_id=f"natres-{s.service_name}-relay",
            batch_size=s.relay_batch_size,
            idle_seconds=s.relay_idle_seconds,
            retention_hours=s.relay_retention_hours,
            prune_interval_seconds=s.relay_prune_interval_seconds,
        )

    async def aclose(self) -> None:
        """Release pooled connections."""
        await self.engine.dispose()
