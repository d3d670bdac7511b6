"""Fixtures: an isolated audit log per test (schema audittest_*), built as the migrations build `audit`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from audit.log import generate_key
from audit.main import create_app
from audit.settings import AuditSettings
from audit.testing import AuditEnv, build_schema, drop_schema
from natres_platform.testing import delete_topic, superuser_dsn

ORIGIN = "natres.test/audit"


@pytest.fixture
async def audit_env(tmp_path) -> AsyncIterator[AuditEnv]:
    schema = f"audittest_{uuid.uuid4().hex[:10]}"
    build_schema(schema)
    skey, vkey = generate_key(ORIGIN)
    settings = AuditSettings(
        service_name=schema,
        topic=f"natres.{schema}.v1",
        intake_topics=[f"natres.{schema}.v1"],
        consumer_group=f"{schema}-group",
        log_origin=ORIGIN,
        signing_key=skey,
        signing_key_file=tmp_path / "unused.skey",
        db_pool_size=4,
    )
    app = create_app(settings)
    su = create_async_engine(superuser_dsn())
    env = AuditEnv(schema=schema, settings=settings, app=app, vkey=vkey, su=su)
    try:
        yield env
    finally:
        await app.state.ctx.aclose()
        await su.dispose()
        drop_schema(schema)
        if env.topic_created:
            delete_topic(env.topic)
