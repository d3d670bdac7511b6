"""Audit application factory."""

from __future__ import annotations

from fastapi import FastAPI

from audit.checkpoints.router import router as checkpoints_router
from audit.entries.router import router as entries_router
from audit.intake.consumer import AuditIntake
from audit.proofs.router import router as proofs_router
from audit.runtime import AuditRuntime
from audit.settings import AuditSettings
from natres_platform.app import build_app
from natres_platform.context import ServiceContext

DESCRIPTION = """A tamper-evident, verifiable trail of every platform event: RFC 9162 Merkle log, signed C2SP checkpoints, inclusion and consistency proofs.

Checkpoints, the public key and proofs are public so that anyone can verify; entry contents are
for auditors (role `auditor` or `admin`), and every auditor query is itself logged.
Errors are RFC 9457 `application/problem+json` with a stable `code`. Authenticate with a Keycloak
(realm `natres`) bearer token whose audience includes `natres-audit`."""


def create_app(settings: AuditSettings | None = None) -> FastAPI:
    """Build the app; settings are read from the environment only when not given."""
    settings = settings or AuditSettings()
    ctx = ServiceContext.build(settings)
    app = build_app(
        ctx,
        title="Audit 全过程留痕",
        description=DESCRIPTION,
        routers=[checkpoints_router, proofs_router, entries_router],
    )
    app.state.audit = AuditRuntime.build(ctx)
    # What POST /api/v1/ops/parked/{id}/replay re-runs a parked event through (natres_platform.parked).
    app.state.inbox_consumers = lambda: [AuditIntake(runtime=app.state.audit, parse_workers=0)]
    return app
