"""`natres-transactions migrate|serve|relay|consume|worker`, plus `demo`, `bank-pay` and `bench`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from natres_platform.cli import run_cli
from natres_platform.context import ServiceContext

from transactions.main import create_app
from transactions.settings import TransactionsSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _workers(ctx: ServiceContext) -> list:
    """What `consume` / `worker` run besides the relay: the registry consumer and the closing scheduler."""
    from transactions.closing.scheduler import ClosingScheduler
    from transactions.saga.handlers import registry_consumer
    from transactions.trading import Trading

    trading = Trading(ctx=ctx, settings=ctx.settings)
    return [registry_consumer(trading), ClosingScheduler(trading)]


def _tool(module: str) -> Callable[[list[str]], None]:
    # Imported on use: the tools pull in Keycloak admin and asyncpg, which `serve` never needs.
    return lambda argv: importlib.import_module(f"transactions.tools.{module}").main(argv)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    run_cli(settings_factory=TransactionsSettings, app_factory=create_app, migrations_dir=MIGRATIONS,
            consumers=_workers, argv=argv, app_import="transactions.main:create_app",
            extra_commands={"demo": _tool("demo"), "bank-pay": _tool("bank_pay"), "bench": _tool("bench")})


if __name__ == "__main__":
    main()
