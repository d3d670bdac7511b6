"""What the audit API and workers build once per process on top of the ServiceContext."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from audit.checkpoints.keys import load_or_create_signer
from audit.log import Signer
from audit.settings import AuditSettings
from audit.tables import LogTables
from natres_platform.context import ServiceContext

SOURCE = "/natres/audit"


@dataclass
class AuditRuntime:
    """Context, log tables and the (lazily loaded) checkpoint signing key."""

    ctx: ServiceContext
    settings: AuditSettings
    tables: LogTables
    _signer: Signer | None = field(default=None, repr=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @classmethod
    def build(cls, ctx: ServiceContext) -> AuditRuntime:
        """Bind the log tables to the service's schema."""
        settings = ctx.settings
        assert isinstance(settings, AuditSettings)
        return cls(ctx=ctx, settings=settings, tables=LogTables(settings.db_schema))

    @property
    def origin(self) -> str:
        """The log's origin line."""
        return self.settings.log_origin

    async def signer(self) -> Signer:
        """The signing key, read (or generated) on first use rather than at start-up."""
        if self._signer is None:
            async with self._lock:
                if self._signer is None:
                    s = self.settings
                    skey = s.signing_key.get_secret_value() if s.signing_key else None
                    self._signer = await asyncio.to_thread(
                        load_or_create_signer, skey=skey, path=s.signing_key_file, name=s.log_origin
                    )
        return self._signer
