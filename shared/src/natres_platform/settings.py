"""Typed settings: infrastructure addresses shared by every service, plus per-service parts."""

from __future__ import annotations

from urllib.parse import quote

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class InfraSettings(BaseSettings):
    """Where the shared infrastructure lives; defaults match deploy/local/infra.sh."""

    model_config = SettingsConfigDict(env_prefix="NATRES_", extra="ignore")

    pg_host: str = "127.0.0.1"
    pg_port: int = 5433
    pg_database: str = "natres"
    kafka_bootstrap: str = "127.0.0.1:19092"
    keycloak_url: str = "http://127.0.0.1:18080"
    keycloak_realm: str = "natres"
    # The issuer seen in tokens; differs from keycloak_url only behind proxies/containers.
    keycloak_issuer_url: str | None = None
    public_base_url: str = "http://127.0.0.1:8080"

    @property
    def issuer(self) -> str:
        """The exact `iss` every token must carry."""
        base = (self.keycloak_issuer_url or self.keycloak_url).rstrip("/")
        return f"{base}/realms/{self.keycloak_realm}"

    @property
    def jwks_url(self) -> str:
        """Where the realm publishes its signing keys (fetched from the internal address)."""
        return f"{self.keycloak_url.rstrip('/')}/realms/{self.keycloak_realm}/protocol/openid-connect/certs"

    @property
    def token_url(self) -> str:
        """The realm's token endpoint."""
        return f"{self.keycloak_url.rstrip('/')}/realms/{self.keycloak_realm}/protocol/openid-connect/token"


class ServiceSettings(BaseSettings):
    """Base of each service's settings; subclasses set env_prefix and defaults."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "service"
    infra: InfraSettings = Field(default_factory=InfraSettings)
    db_user: str = ""
    db_password: str = ""
    db_owner_user: str = ""
    db_owner_password: str = ""
    db_pool_size: int = 10
    db_max_overflow: int = 10
    topic: str = ""
    audience: str = ""
    client_id: str = ""
    client_secret: str = ""
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    http_workers: int = 1  # > 1 needs the service to pass run_cli(app_import=...)
    log_level: str = "INFO"
    jwks_lifespan_seconds: int = 300
    relay_batch_size: int = 200
    relay_idle_seconds: float = 0.2
    # Published outbox rows are kept this long (to re-publish after a broker loss); 0 or less keeps them forever.
    relay_retention_hours: float = 168.0
    relay_prune_interval_seconds: float = Field(default=300.0, gt=0)
    consumer_group: str = ""

    @property
    def db_schema(self) -> str:
        """The one schema this service owns."""
        return self.service_name

    def database_url(self, *, owner: bool = False, driver: str = "asyncpg") -> str:
        """SQLAlchemy URL as the runtime role, or as the schema owner (migrations)."""
        user, password = (self.db_owner_user, self.db_owner_password) if owner else (self.db_user, self.db_password)
        i = self.infra
        return f"postgresql+{driver}://{quote(user)}:{quote(password)}@{i.pg_host}:{i.pg_port}/{i.pg_database}"
