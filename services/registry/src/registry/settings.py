"""Registry settings: shared infrastructure plus what only this service needs (env prefix REGISTRY_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from natres_platform.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    """Defaults match the local native stack (deploy/local); override with REGISTRY_* variables."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    service_name: str = "registry"
    db_user: str = "registry_app"
    db_password: str = "registry_app"
    db_owner_user: str = "registry_owner"
    db_owner_password: str = "registry_owner"
    topic: str = "natres.registry.v1"
    audience: str = "natres-registry"
    client_id: str = "natres-registry"
    client_secret: str = "registry-secret"
    http_port: int = 8001
    consumer_group: str = "natres-registry"
