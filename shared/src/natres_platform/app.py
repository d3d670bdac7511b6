"""The common FastAPI application shape shared by every service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
import gc
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from natres_platform import health, metrics, ops
from natres_platform.context import ServiceContext
from natres_platform.logs import configure_logging
from natres_platform.problems import install_problem_handlers
from natres_platform.tracing import continue_trace


class TraceContextMiddleware:
    """Continue (or start) the W3C trace per request and echo `traceparent` on the response.

    Pure ASGI rather than @app.middleware("http"): no extra task per request, and the contextvar
    set here is the one the route sees.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"traceparent"), None)
        traceparent = continue_trace(incoming).encode()

        async def send_with_trace(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"traceparent", traceparent)]}
            await send(message)

        await self.app(scope, receive, send_with_trace)


def build_app(
    ctx: ServiceContext,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    on_startup: Callable[[FastAPI], None] | None = None,
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
) -> FastAPI:
    """Errors as problem+json, trace context, health, metrics, ops endpoints, then the domain routers."""
    configure_logging(service=ctx.settings.service_name, level=ctx.settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if on_startup:
            on_startup(app)
        # What exists after start-up (modules, routes, schemas, pools) lives as long as the process:
        # frozen out of the collector's reach, the full collections under load stay short.
        gc.freeze()
        yield
        for close in on_shutdown:
            await close()
        await ctx.aclose()

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.state.ctx = ctx
    install_problem_handlers(app)

    app.add_middleware(TraceContextMiddleware)
    app.add_middleware(metrics.HttpMetrics)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(ops.router, prefix="/api/v1")
    for router in routers:
        app.include_router(router)
    return app
