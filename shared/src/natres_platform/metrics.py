"""HTTP metrics for Prometheus from a pure ASGI middleware, and the /metrics endpoint.

prometheus-fastapi-instrumentator resolved each request's route by matching it against every route
of the app again and built a Request, a Response and an Info object per request (about 60 µs, as much
as the rest of a cached read). The route FastAPI matched is in the scope once the app has run, so the
handler label costs nothing here. Names and labels follow the instrumentator's defaults.
"""

from __future__ import annotations

import os
from time import perf_counter

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("http_requests_total", "Total number of requests by method, status and handler.",
                   ["method", "status", "handler"])
LATENCY = Histogram("http_request_duration_seconds", "Latency with few buckets by handler and method.",
                    ["method", "handler"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
EXCLUDED = frozenset({"/metrics", "/healthz"})


class HttpMetrics:
    """Count and time every HTTP request under its route template (`none` when no route matched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXCLUDED:
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            handler = _template(scope)
            REQUESTS.labels(scope["method"], f"{str(status)[0]}xx", handler).inc()
            LATENCY.labels(scope["method"], handler).observe(perf_counter() - started)


def _template(scope: Scope) -> str:
    """The matched route's path template with its router prefix ('none' when nothing matched)."""
    # FastAPI >= 0.116 keeps included routes unprefixed and records the effective (prefixed) route here.
    effective = (scope.get("fastapi") or {}).get("effective_route_context")
    path = getattr(effective, "path", None) or getattr(scope.get("route"), "path", None)
    return path or "none"


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics() -> Response:
    """The process's metrics, or every worker's when PROMETHEUS_MULTIPROC_DIR is set (several workers)."""
    registry = DEFAULT_REGISTRY
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
