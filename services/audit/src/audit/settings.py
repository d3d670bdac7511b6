"""Audit settings: shared infrastructure plus what only this service needs (env prefix AUDIT_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from natres_platform.settings import ServiceSettings


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
