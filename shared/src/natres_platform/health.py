"""Liveness and readiness: readiness really checks the database, Kafka and Keycloak's JWKS."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from kafka import KafkaAdminClient
from sqlalchemy import text

from natres_platform.context import ServiceContext

router = APIRouter(tags=["health"])


async def check_database(ctx: ServiceContext) -> str:
    """The runtime role can connect and see its own schema."""
    async with ctx.engine.connect() as conn:
        found = await conn.scalar(
            text("SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"), {"s": ctx.settings.db_schema}
        )
    if not found:
        raise RuntimeError(f"schema {ctx.settings.db_schema} missing (migrations not applied?)")
    return "ok"


def _kafka_topics(bootstrap: str) -> set[str]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


async def check_kafka(ctx: ServiceContext) -> str:
    """The broker answers and this service's topic exists."""
    topics = await asyncio.to_thread(_kafka_topics, ctx.settings.infra.kafka_bootstrap)
    if ctx.settings.topic and ctx.settings.topic not in topics:
        raise RuntimeError(f"topic {ctx.settings.topic} missing")
    return "ok"


async def check_keycloak(ctx: ServiceContext) -> str:
    """The realm's signing keys can be fetched now."""
    await ctx.jwks.refresh()
    return "ok"


CHECKS = {"database": check_database, "kafka": check_kafka, "keycloak": check_keycloak}


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    """Liveness only; dependencies are /readyz's business."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: database, Kafka and Keycloak JWKS all reachable")
async def readyz(request: Request) -> JSONResponse:
    """200 when every dependency answers within 5 s, else 503 naming the failing ones."""
    ctx: ServiceContext = request.app.state.ctx

    async def run(name: str) -> tuple[str, dict[str, Any]]:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(CHECKS[name](ctx), timeout=5)
            status: dict[str, Any] = {"status": "ok"}
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none raised
            status = {"status": "fail", "error": f"{type(exc).__name__}: {exc}"}
        status["ms"] = round((time.perf_counter() - started) * 1000, 1)
        return name, status

    results = dict(await asyncio.gather(*(run(n) for n in CHECKS)))
    ready = all(r["status"] == "ok" for r in results.values())
    return JSONResponse({"status": "ready" if ready else "not_ready", "checks": results}, status_code=200 if ready else 503)
