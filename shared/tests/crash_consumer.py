"""Run as a child process by the crash test: applies one effect, then dies before committing offsets."""

from __future__ import annotations

import asyncio
import os
import sys

from sqlalchemy.ext.asyncio import create_async_engine

from natres_platform.db import make_sessionmaker
from natres_platform.events import SchemaRegistry
from natres_platform.messaging_tables import MessagingTables

sys.path.insert(0, os.path.dirname(__file__))
from conftest import TEST_SCHEMA, TEST_TYPE, Messaging  # noqa: E402

from natres_platform.testing import superuser_dsn  # noqa: E402


async def main(schema: str, topic: str, group: str) -> None:
    engine = create_async_engine(superuser_dsn())
    schemas = SchemaRegistry.platform()
    schemas.add(TEST_TYPE, TEST_SCHEMA)
    m = Messaging(
        engine=engine, sessionmaker=make_sessionmaker(engine), tables=MessagingTables(schema), schemas=schemas, topic=topic, schema=schema
    )
    # SIGKILL-like death: no cleanup, no offset commit, right after the effect committed.
    consumer = m.consumer(group, after_effect=lambda event: os._exit(137))
    while True:
        await consumer.poll_once(timeout_ms=500)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
