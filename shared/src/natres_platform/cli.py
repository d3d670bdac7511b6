"""The command line every service shares: migrate, serve, relay, consume, worker, replay-parked."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from natres_platform.context import ServiceContext
from natres_platform.logs import configure_logging
from natres_platform.migrations import upgrade
from natres_platform.parked import replay_command
from natres_platform.settings import ServiceSettings
from natres_platform.workers import run_until_signalled


def run_cli(
    *,
    settings_factory: Callable[[], ServiceSettings],
    app_factory: Callable[[ServiceSettings], FastAPI],
    migrations_dir: Path,
    consumers: Callable[[ServiceContext], list] | None = None,
    extra_commands: Mapping[str, Callable[[list[str]], None]] | None = None,
    argv: list[str] | None = None,
    app_import: str | None = None,
) -> None:
    """Parse argv and run one of the service's processes (or a service-specific command).

    `app_import` ("package.main:create_app") lets `serve` run several uvicorn workers
    (`<PREFIX>HTTP_WORKERS`, `--workers`): each worker builds its app from the same environment.
    """
    argv = sys.argv[1:] if argv is None else argv
    if argv and extra_commands and argv[0] in extra_commands:
        extra_commands[argv[0]](argv[1:])
        return
    if argv and argv[0] == "replay-parked":
        settings = settings_factory()
        # Warnings only: the results go to stdout one line each, and every attempt is kept on its row.
        configure_logging(service=settings.service_name, level="WARNING")
        # The same consumers `consume` runs, so a replayed message takes the handler path it was parked on.
        sys.exit(replay_command(argv[1:], context_factory=lambda: ServiceContext.build(settings), consumers=consumers))
    parser = argparse.ArgumentParser()
    commands = ["migrate", "serve", "relay", "consume", "worker", "replay-parked", *(extra_commands or {})]
    parser.add_argument("command", choices=commands)
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--workers", type=int)
    args = parser.parse_args(argv)
    settings = settings_factory()
    configure_logging(service=settings.service_name, level=settings.log_level)
    if args.command == "migrate":
        upgrade(settings, migrations_dir)
    elif args.command == "serve":
        workers = args.workers or settings.http_workers
        if workers > 1 and app_import:
            _serve_workers(app_import, workers, host=args.host or settings.http_host, port=args.port or settings.http_port)
            return
        uvicorn.run(
            app_factory(settings),
            host=args.host or settings.http_host,
            port=args.port or settings.http_port,
            log_config=None,
            access_log=False,
        )
    else:
        asyncio.run(_workers(settings, args.command, consumers))


def _serve_workers(app_import: str, workers: int, *, host: str, port: int) -> None:
    """Several worker processes on one socket; Prometheus metrics aggregated across them (multiprocess mode)."""
    own_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    if own_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="natres-metrics-")
    try:
        # A worker imports the whole app before it can answer the supervisor's ping; on a busy 2-core box
        # that took longer than uvicorn's 5 s default and healthy workers were killed and respawned.
        uvicorn.run(app_import, factory=True, workers=workers, host=host, port=port, log_config=None, access_log=False,
                    timeout_worker_healthcheck=60)
    finally:
        if own_dir:
            shutil.rmtree(os.environ.pop("PROMETHEUS_MULTIPROC_DIR"), ignore_errors=True)


async def _workers(settings: ServiceSettings, command: str, consumers: Callable | None) -> None:
    ctx = ServiceContext.build(settings)
    loops = []
    if command in ("relay", "worker"):
        loops.append(ctx.relay().run)
    if command in ("consume", "worker") and consumers:
        loops.extend(c.run for c in consumers(ctx))
    try:
        await run_until_signalled(*loops)
    finally:
        await ctx.aclose()
