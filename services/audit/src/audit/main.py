"""Audit application factory."""

from __future__ import annotations

from fastapi import FastAPI

from natres_platform.app import build_app
from natres_platform.context import ServiceContext
from audit.settings import AuditSettings

DESCRIPTION = """A tamper-evident, verifiable trail of every platform event: RFC 9162 Merkle log, signed C2SP checkpoints, inclusion and consistency proofs.

Errors are RFC 9457 `application/problem+json` with a stable `code`. Authenticate with a Keycloak
(realm `natres`) bearer token whose audience includes `natres-audit`."""


def create_app(settings: AuditSettings | None = None) -> FastAPI:
    """Build the app; settings are read from the environment only when not given."""
    settings = settings or AuditSettings()
    ctx = ServiceContext.build(settings)
    return build_app(ctx, title="Audit 全过程留痕", description=DESCRIPTION)
