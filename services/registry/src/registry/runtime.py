"""What the registry builds once per process from its settings and keeps on app.state.registry."""

from __future__ import annotations

from dataclasses import dataclass, field

from natres_platform.context import ServiceContext
from natres_platform.uow import UnitOfWork
from registry.certificates.keys import CertificateSigner
from registry.maps.cache import TileCache
from registry.maps.repository import warm_connection
from registry.pgpool import PgPool
from registry.regions import Regions
from registry.settings import RegistrySettings
from registry.units.grouping import RegistrationGroups
from registry.zones.rules import Zone, load_zones


@dataclass
class Registry:
    """Settings, the shared service context, reference data, signing key, the tile cache and the hot-path pool."""

    settings: RegistrySettings
    ctx: ServiceContext
    regions: Regions = field(default_factory=Regions.load)
    zone_definitions: tuple[Zone, ...] = field(default_factory=load_zones)
    signer: CertificateSigner | None = None
    tiles: TileCache | None = None
    pg: PgPool | None = None
    registrations: RegistrationGroups | None = None

    @classmethod
    def build(cls, settings: RegistrySettings, ctx: ServiceContext | None = None) -> Registry:
        """Build once per process (never at import time)."""
        ctx = ctx or ServiceContext.build(settings)
        dsn = settings.database_url(driver="asyncpg").replace("postgresql+asyncpg", "postgresql")
        pg = PgPool(dsn, min_size=1, max_size=settings.hot_pool_size, application_name="natres-registry-hot",
                    init=warm_connection)
        return cls(
            settings=settings,
            ctx=ctx,
            signer=CertificateSigner.load_or_create(settings.key_path),
            tiles=TileCache(max_entries=settings.tile_cache_entries, ttl_seconds=settings.tile_cache_ttl_seconds, dsn=dsn,
                            poll_seconds=settings.map_change_poll_seconds),
            pg=pg,
            registrations=RegistrationGroups(pg, topic=settings.topic, province_bbox=settings.province_bbox,
                                             parallel=settings.registration_calls_in_flight),
        )

    async def close(self) -> None:
        """Release what the process opened (tile listener, hot-path pool)."""
        await self.tiles.close()
        await self.pg.close()

    def uow(self) -> UnitOfWork:
        """A fresh unit of work (domain rows and outbox rows commit together)."""
        return self.ctx.uow()
