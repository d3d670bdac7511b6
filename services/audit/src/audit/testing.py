"""Test support on the real stack: a throwaway audit schema built as the migrations build `audit`."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import AsyncEngine

from audit.ddl import create_log_tables_v1
from audit.intake.consumer import AuditIntake
from audit.intake.sequencer import AppendResult
from audit.runtime import AuditRuntime
from audit.settings import AuditSettings
from natres_platform.events import CloudEvent
from natres_platform.migrations import add_parked_replay_columns, create_messaging_tables_v1, grant_app_role
from natres_platform.testing import create_topic, password_token, superuser_dsn


@dataclass
class FakeRecord:
    """What kafka-python hands the intake, for driving a batch without the broker."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


def viewed(*, subject: str = "unit-1", actor: str = "user-1", region: str | None = "140107", **data: Any) -> CloudEvent:
    """A valid registry.record.viewed.v1 (查询留痕) event."""
    payload = {"unit_id": subject, "viewer": actor, "purpose": "核查权属", **data}
    return CloudEvent.create(
        source="/natres/registry", type="registry.record.viewed.v1", subject=subject, data=payload, actor=actor, region=region
    )


@lru_cache(maxsize=None)
def token(username: str) -> str:
    """A real Keycloak token (cached: the whole audit suite runs well within its lifetime)."""
    return password_token(username)


@dataclass
class AuditEnv:
    """One isolated log: schema audittest_*, its app, runtime, and a superuser engine for inspection."""

    schema: str
    settings: AuditSettings
    app: FastAPI
    vkey: str
    su: AsyncEngine
    _offsets: itertools.count = field(default_factory=itertools.count)
    topic_created: bool = False

    @property
    def runtime(self) -> AuditRuntime:
        return self.app.state.audit

    @property
    def topic(self) -> str:
        return self.settings.topic

    def client(self, username: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token(username)}"} if username else {}
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://test", headers=headers)

    def make_topic(self) -> str:
        create_topic(self.topic)
        self.topic_created = True
        return self.topic

    def intake(self, **kwargs: Any) -> AuditIntake:
        kwargs.setdefault("topics", [self.topic])
        kwargs.setdefault("group_id", f"{self.schema}-{uuid.uuid4().hex[:6]}")
        kwargs.setdefault("parse_workers", 0)  # worker processes take a second to spawn
        return AuditIntake(runtime=self.runtime, max_backoff_seconds=1, **kwargs)

    def records(self, payloads: Iterable[CloudEvent | bytes]) -> list[FakeRecord]:
        out = []
        for p in payloads:
            value = p.to_bytes() if isinstance(p, CloudEvent) else p
            out.append(FakeRecord(self.topic, 0, next(self._offsets), b"k", value))
        return out

    async def append(self, *payloads: CloudEvent | bytes, intake: AuditIntake | None = None) -> AppendResult | None:
        """Drive one intake batch with these messages (no broker involved)."""
        intake = intake or self.intake()
        try:
            return await intake.process(self.records(payloads))
        finally:
            await intake.close()

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.su.connect() as conn:
            return await conn.scalar(text(sql.format(s=self.schema)), params)

    async def execute(self, *statements: str, **params: Any) -> None:
        """Run statements in one superuser transaction (e.g. to simulate damage the service cannot do)."""
        async with self.su.begin() as conn:
            for sql in statements:
                await conn.execute(text(sql.format(s=self.schema)), params)

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.su.connect() as conn:
            return list((await conn.execute(text(sql.format(s=self.schema)), params)).all())


def build_schema(schema: str) -> None:
    """What migrations audit_0001 to audit_0003 do to `audit`, on another schema owned by audit_owner."""
    engine = create_engine(superuser_dsn("psycopg"))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema} AUTHORIZATION audit_owner")
        conn.exec_driver_sql("SET LOCAL ROLE audit_owner")
        create_messaging_tables_v1(conn, schema)
        grant_app_role(conn, schema=schema, app_role="audit_app")
        create_log_tables_v1(conn, schema=schema, app_role="audit_app")
        add_parked_replay_columns(conn, schema)
    engine.dispose()


def drop_schema(schema: str) -> None:
    engine = create_engine(superuser_dsn("psycopg"))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    engine.dispose()
