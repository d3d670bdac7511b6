"""Fixtures for the shared package's tests on the real PostgreSQL and Kafka."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from natres_platform.consumer import Handler, InboxConsumer
from natres_platform.db import SessionMaker, make_sessionmaker
from natres_platform.events import CloudEvent, SchemaRegistry
from natres_platform.messaging_tables import MessagingTables
from natres_platform.migrations import add_parked_replay_columns, create_messaging_tables_v1
from natres_platform.relay import OutboxRelay
from natres_platform.testing import create_topic, delete_topic, infra, superuser_dsn
from natres_platform.uow import UnitOfWork

TEST_TYPE = "platformtest.thing.happened.v1"
TEST_SCHEMA = {
    "type": "object",
    "properties": {"n": {"type": "integer", "minimum": 0}, "label": {"type": "string"}},
    "required": ["n"],
}


@dataclass
class Messaging:
    """A throwaway schema + topic wired like a service: uow, relay and consumers."""

    engine: AsyncEngine
    sessionmaker: SessionMaker
    tables: MessagingTables
    schemas: SchemaRegistry
    topic: str
    schema: str

    def uow(self) -> UnitOfWork:
        return UnitOfWork(sessionmaker=self.sessionmaker, tables=self.tables, schemas=self.schemas, topic=self.topic)

    def relay(self) -> OutboxRelay:
        return OutboxRelay(
            sessionmaker=self.sessionmaker, tables=self.tables, bootstrap=infra().kafka_bootstrap, client_id="test-relay"
        )

    def consumer(self, group: str, **kwargs) -> InboxConsumer:
        return InboxConsumer(
            sessionmaker=self.sessionmaker,
            tables=self.tables,
            schemas=self.schemas,
            uow_factory=self.uow,
            bootstrap=infra().kafka_bootstrap,
            topics=[self.topic],
            group_id=group,
            handlers={TEST_TYPE: self.apply_effect},
            max_backoff_seconds=1,
            session_timeout_ms=6000,  # the broker's minimum: crash tests wait for it once
            **kwargs,
        )

    async def apply_effect(self, uow: UnitOfWork, event: CloudEvent) -> None:
        """The effect under test: a counter per event, so a double effect shows as 2."""
        await uow.session.execute(
            text(
                f"INSERT INTO {self.schema}.effects (event_id, applied) VALUES (:id, 1) "
                f"ON CONFLICT (event_id) DO UPDATE SET applied = {self.schema}.effects.applied + 1"
            ),
            {"id": event.id},
        )

    def event(self, n: int, **data) -> CloudEvent:
        return CloudEvent.create(
            source="/natres/platformtest", type=TEST_TYPE, subject=f"agg-{n % 5}", data={"n": n, **data}, actor="tester"
        )

    async def scalar(self, sql: str, **params):
        async with self.engine.connect() as conn:
            return await conn.scalar(text(sql.format(s=self.schema)), params)


@pytest.fixture
async def messaging() -> AsyncIterator[Messaging]:
    schema = f"platformtest_{uuid.uuid4().hex[:8]}"
    topic = f"natres.{schema}.v1"
    engine = create_async_engine(superuser_dsn())
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
        await conn.execute(text(f"CREATE TABLE {schema}.effects (event_id text PRIMARY KEY, applied int NOT NULL)"))
        await conn.run_sync(lambda sync_conn: create_messaging_tables_v1(sync_conn, schema))
        await conn.run_sync(lambda sync_conn: add_parked_replay_columns(sync_conn, schema))
    create_topic(topic)
    schemas = SchemaRegistry.platform()
    schemas.add(TEST_TYPE, TEST_SCHEMA)
    yield Messaging(
        engine=engine,
        sessionmaker=make_sessionmaker(engine),
        tables=MessagingTables(schema),
        schemas=schemas,
        topic=topic,
        schema=schema,
    )
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    await engine.dispose()
    delete_topic(topic)
