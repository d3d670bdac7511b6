"""Registry application factory."""

from __future__ import annotations

from fastapi import FastAPI

from natres_platform.app import build_app
from natres_platform.context import ServiceContext
from registry.settings import RegistrySettings

DESCRIPTION = """Unified confirmation and registration (统一确权登记): the register book (一个簿), the map (一张图), applications from filing to certificate, 域内通办.

Errors are RFC 9457 `application/problem+json` with a stable `code`. Authenticate with a Keycloak
(realm `natres`) bearer token whose audience includes `natres-registry`."""


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    """Build the app; settings are read from the environment only when not given."""
    settings = settings or RegistrySettings()
    ctx = ServiceContext.build(settings)
    return build_app(ctx, title="Registry 不动产与自然资源统一确权登记", description=DESCRIPTION)
