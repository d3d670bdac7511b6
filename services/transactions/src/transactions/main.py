"""Transactions application factory."""

from __future__ import annotations

from fastapi import FastAPI

from natres_platform.app import build_app
from natres_platform.context import ServiceContext
from transactions.settings import TransactionsSettings

DESCRIPTION = """Online trading platform for land-use and mining rights (招标 / 拍卖 / 挂牌): listings, bidders, deposits, live bidding, award, and the hand-off to the registry.

Errors are RFC 9457 `application/problem+json` with a stable `code`. Authenticate with a Keycloak
(realm `natres`) bearer token whose audience includes `natres-transactions`."""


def create_app(settings: TransactionsSettings | None = None) -> FastAPI:
    """Build the app; settings are read from the environment only when not given."""
    settings = settings or TransactionsSettings()
    ctx = ServiceContext.build(settings)
    return build_app(ctx, title="Transactions 土地使用权和矿业权网上交易", description=DESCRIPTION)
