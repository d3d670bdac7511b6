"""Audit settings: shared infrastructure plus what only this service needs (env prefix AUDIT_)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from natres_platform.settings import ServiceSettings

# services/audit/src/audit/settings.py -> the repository root (a uv workspace, installed editable).
_REPO = Path(__file__).resolve().parents[4]

PLATFORM_TOPICS = ["natres.registry.v1", "natres.transactions.v1", "natres.audit.v1"]


def _default_key_file() -> Path:
    state = os.environ.get("NATRES_STATE_DIR") or str(_REPO / ".state")
    return Path(state) / "audit" / "checkpoint.skey"


class AuditSettings(ServiceSettings):
    """Defaults match the local native stack (deploy/local); override with AUDIT_* variables."""

    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore")

    service_name: str = "audit"
    db_user: str = "audit_app"
    db_password: str = "audit_app"
    db_owner_user: str = "audit_owner"
    db_owner_password: str = "audit_owner"
    topic: str = "natres.audit.v1"
    audience: str = "natres-audit"
    client_id: str = "natres-audit"
    client_secret: str = "audit-secret"
    http_port: int = 8003
    consumer_group: str = "natres-audit"

    # The log's name: first line of every checkpoint and the name of its signing key.
    log_origin: str = "natres.shanxi/audit"
    # An skey string (`PRIVATE+KEY+<name>+<id>+<base64>`) wins over the key file when set.
    signing_key: SecretStr | None = None
    # Generated with mode 0600 on first start when absent; the default lies in the git-ignored .state/.
    signing_key_file: Path = Field(default_factory=_default_key_file)
    checkpoint_interval_seconds: float = 30.0
    intake_topics: list[str] = Field(default_factory=lambda: list(PLATFORM_TOPICS))
    # One poll = one database transaction; large batches are what make 2,000 appends/s possible.
    intake_max_poll_records: int = 1000
    # Processes that parse and validate large polls (JSON Schema is CPU-bound); 0 parses in-process.
    intake_parse_workers: int = 2
    export_chunk_rows: int = 1000
