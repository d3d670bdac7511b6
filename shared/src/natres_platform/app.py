"""The common FastAPI application shape shared by every service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_fastapi_instrumentator import Instrumentator

from natres_platform import health, ops
from natres_platform.context import ServiceContext
from natres_platform.logs import configure_logging
from natres_platform.problems import install_problem_handlers
from natres_platform.tracing import continue_trace, current_traceparent


def build_app(
    ctx: ServiceContext,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    on_startup: Callable[[FastAPI], None] | None = None,
) -> FastAPI:
    """Errors as problem+json, trace context, health, metrics, ops endpoints, then the domain routers."""
    configure_logging(service=ctx.settings.service_name, level=ctx.settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if on_startup:
            on_startup(app)
        yield
        await ctx.aclose()

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.state.ctx = ctx
    install_problem_handlers(app)

    @app.middleware("http")
    async def trace_context(request: Request, call_next: Callable) -> Response:
        continue_trace(request.headers.get("traceparent"))
        response = await call_next(request)
        response.headers["traceparent"] = current_traceparent.get() or ""
        return response

    app.include_router(health.router)
    app.include_router(ops.router, prefix="/api/v1")
    for router in routers:
        app.include_router(router)
    Instrumentator(excluded_handlers=["/metrics", "/healthz"]).instrument(app).expose(
        app, endpoint="/metrics", include_in_schema=False
    )
    return app
