"""Transactions settings: shared infrastructure plus what only this service needs (env prefix TRANSACTIONS_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from natres_platform.settings import ServiceSettings


class TransactionsSettings(ServiceSettings):
    """Defaults match the local native stack (deploy/local); override with TRANSACTIONS_* variables."""

    model_config = SettingsConfigDict(env_prefix="TRANSACTIONS_", extra="ignore")

    service_name: str = "transactions"
    db_user: str = "transactions_app"
    db_password: str = "transactions_app"
    db_owner_user: str = "transactions_owner"
    db_owner_password: str = "transactions_owner"
    topic: str = "natres.transactions.v1"
    audience: str = "natres-transactions"
    client_id: str = "natres-transactions"
    client_secret: str = "transactions-secret"
    http_port: int = 8002
    consumer_group: str = "natres-transactions"
