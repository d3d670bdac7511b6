"""Registry application factory."""

from __future__ import annotations

from fastapi import FastAPI

from natres_platform.app import build_app
from natres_platform.context import ServiceContext
from registry.admin.router import router as admin_router
from registry.applications.router import router as applications_router
from registry.certificates.router import public_router as verify_router
from registry.certificates.router import router as certificates_router
from registry.controls.router import router as controls_router
from registry.maps.fastpath import TileServer
from registry.maps.router import router as maps_router
from registry.queries.router import router as book_router
from registry.runtime import Registry
from registry.settings import RegistrySettings
from registry.trading.handlers import trading_consumer
from registry.units.fastpath import unit_fast_path
from registry.units.router import router as units_router

DESCRIPTION = """Unified confirmation and registration (统一确权登记): the register book (一个簿), the map (一张图), applications from filing to certificate, 域内通办.

Errors are RFC 9457 `application/problem+json` with a stable `code`. Authenticate with a Keycloak
(realm `natres`) bearer token whose audience includes `natres-registry`. The map (`/ogc`, `/tiles`)
and certificate verification (`/verify`) are public."""


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    """Build the app; settings are read from the environment only when not given."""
    settings = settings or RegistrySettings()
    ctx = ServiceContext.build(settings)
    registry = Registry.build(settings, ctx)
    app = build_app(
        ctx,
        title="Registry 不动产与自然资源统一确权登记",
        description=DESCRIPTION,
        routers=[units_router, book_router, applications_router, certificates_router, verify_router, controls_router,
                 admin_router, maps_router],
        on_shutdown=[registry.close],
    )
    app.state.registry = registry
    # What POST /api/v1/ops/parked/{id}/replay re-runs a parked event through (natres_platform.parked).
    app.state.inbox_consumers = lambda: [trading_consumer(registry)]
    if settings.unit_fast_path:
        # Innermost of the user middleware: inside trace context and metrics, before FastAPI's router.
        app.user_middleware.append(unit_fast_path())
    # Outermost: tiles are answered before routing, metrics and dependencies (maps/fastpath.py).
    app.add_middleware(TileServer, registry=registry)
    return app
