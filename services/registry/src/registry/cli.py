"""`natres-registry migrate|serve|relay|consume|worker` and `natres-registry demo|bench`."""

from __future__ import annotations

from pathlib import Path

from natres_platform.cli import run_cli
from natres_platform.context import ServiceContext
from registry.main import create_app
from registry.settings import RegistrySettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _consumers(ctx: ServiceContext) -> list:
    """The trading-saga consumer (natres.transactions.v1)."""
    from registry.runtime import Registry
    from registry.trading.handlers import trading_consumer

    return [trading_consumer(Registry.build(ctx.settings, ctx))]


def main() -> None:
    """Entry point of the console script."""
    run_cli(
        settings_factory=RegistrySettings,
        app_factory=create_app,
        migrations_dir=MIGRATIONS,
        consumers=_consumers,
        extra_commands={"demo": _demo, "bench": _bench},
        app_import="registry.main:create_app",
    )


def _demo(argv: list[str]) -> None:
    """Load the demo data set (idempotent)."""
    from registry.demo import main as demo_main

    demo_main(argv)


def _bench(argv: list[str]) -> None:
    """Run the registration and tile benchmark."""
    from registry.bench import main as bench_main

    bench_main(argv)


if __name__ == "__main__":
    main()
