"""The command line every service shares: migrate, serve, relay, consume."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from natres_platform.context import ServiceContext
from natres_platform.logs import configure_logging
from natres_platform.migrations import upgrade
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
) -> None:
    """Parse argv and run one of the service's processes (or a service-specific command)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and extra_commands and argv[0] in extra_commands:
        extra_commands[argv[0]](argv[1:])
        return
    parser = argparse.ArgumentParser()
    commands = ["migrate", "serve", "relay", "consume", "worker", *(extra_commands or {})]
    parser.add_argument("command", choices=commands)
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    settings = settings_factory()
    configure_logging(service=settings.service_name, level=settings.log_level)
    if args.command == "migrate":
        upgrade(settings, migrations_dir)
    elif args.command == "serve":
        uvicorn.run(
            app_factory(settings),
            host=args.host or settings.http_host,
            port=args.port or settings.http_port,
            log_config=None,
            access_log=False,
        )
    else:
        asyncio.run(_workers(settings, args.command, consumers))


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
