"""`natres-audit migrate|serve|relay|consume|worker`."""

from __future__ import annotations

from pathlib import Path

from natres_platform.cli import run_cli
from audit.main import create_app
from audit.settings import AuditSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def main() -> None:
    """Entry point of the console script."""
    run_cli(settings_factory=AuditSettings, app_factory=create_app, migrations_dir=MIGRATIONS)


if __name__ == "__main__":
    main()
