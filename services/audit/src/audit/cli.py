"""`natres-audit migrate|serve|relay|consume|worker|verify`."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from audit.checkpoints.publisher import CheckpointPublisher
from audit.intake.consumer import AuditIntake
from audit.main import create_app
from audit.runtime import AuditRuntime
from audit.settings import AuditSettings
from audit.verifier import run as run_verifier
from natres_platform.cli import run_cli
from natres_platform.context import ServiceContext

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def workers(ctx: ServiceContext) -> list:
    """The intake of every platform topic and the periodic checkpoint publisher."""
    runtime = AuditRuntime.build(ctx)
    return [AuditIntake(runtime=runtime), CheckpointPublisher(runtime=runtime)]


def verify(argv: list[str]) -> None:
    """`natres-audit verify --url … --vkey …`: the offline verifier (see audit.verifier)."""
    sys.exit(asyncio.run(run_verifier(argv)))


def main() -> None:
    """Entry point of the console script."""
    run_cli(
        settings_factory=AuditSettings,
        app_factory=create_app,
        migrations_dir=MIGRATIONS,
        consumers=workers,
        extra_commands={"verify": verify},
    )


if __name__ == "__main__":
    main()
