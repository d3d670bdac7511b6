"""Registry settings: shared infrastructure plus what only this service needs (env prefix REGISTRY_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from natres_platform.settings import ServiceSettings

# services/registry/src/registry/settings.py -> repository root
_REPO_ROOT = Path(__file__).resolve().parents[4]

# Working days per registration type. Shanghai 2020 practice (domain-rules.md): 查封 and 异议 on
# the spot (0), cancelling a mortgage or 预告 1 day, most others 5; first registration takes the
# statutory maximum of 30 (条例 Art. 20) because of survey work. Override with
# REGISTRY_TIME_LIMITS='{"first": 20, ...}'.
DEFAULT_TIME_LIMITS: dict[str, int] = {
    "first": 30,
    "change": 5,
    "transfer": 5,
    "cancellation": 5,
    "correction": 5,
    "objection": 0,
    "advance_notice": 5,
    "seizure": 0,
    "mortgage": 5,
    "mortgage_discharge": 1,
}


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
    trading_topic: str = "natres.transactions.v1"
    # The audit service's public proof endpoints (certificate verification shows the issuance proof).
    audit_url: str = "http://127.0.0.1:8003"

    state_dir: Path = _REPO_ROOT / ".state" / "registry"
    # Ed25519 private key (PEM, PKCS8); generated on first start when absent.
    signing_key_path: Path | None = None
    time_limits: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_TIME_LIMITS))
    # 公告 of a natural-resource first registration, in working days (15 is commonly cited, not
    # confirmed in a primary text: domain-rules.md).
    public_notice_working_days: int = 15
    objection_lapse_days: int = 15  # 民法典 Art. 220
    advance_notice_lapse_days: int = 90  # 民法典 Art. 221
    # Approximate province extent (domain-rules.md): a bbox, not the real boundary (not shipped).
    province_bbox: tuple[float, float, float, float] = (110.2, 34.5, 114.6, 40.8)
    max_document_bytes: int = 10 * 1024 * 1024
    tile_cache_entries: int = 20_000
    tile_cache_ttl_seconds: float = 300.0
    tile_max_age_seconds: int = 60
    # How often each API process reads registry.map_changes (the staleness bound of other processes' caches).
    map_change_poll_seconds: float = 0.2
    # asyncpg connections per process for registration and tile rendering (one statement each).
    hot_pool_size: int = 10
    # Single registrations arriving while this many calls are running wait and go together (units/grouping.py).
    registration_calls_in_flight: int = 1
    # Answer well-formed POST /api/v1/units before FastAPI's router (units/fastpath.py); off = the route only.
    unit_fast_path: bool = True

    @property
    def key_path(self) -> Path:
        """Where the certificate signing key lives."""
        return self.signing_key_path or self.state_dir / "certificate_signing_key.pem"
