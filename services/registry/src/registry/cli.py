"""`natres-registry migrate|serve|relay|consume|worker`."""

from __future__ import annotations

from pathlib import Path

from natres_platform.cli import run_cli
from registry.main import create_app
from registry.settings import RegistrySettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def main() -> None:
    """Entry point of the console script."""
    run_cli(settings_factory=RegistrySettings, app_factory=create_app, migrations_dir=MIGRATIONS)


if __name__ == "__main__":
    main()
