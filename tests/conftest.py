"""Cross-service tests: helpers shared by the journeys and contract tests."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from natres_platform.testing import superuser_dsn


@pytest.fixture(scope="module")
async def su():
    engine = create_async_engine(superuser_dsn())
    yield engine
    await engine.dispose()
