"""Helpers for tests on the real stack: superuser DSN, Keycloak tokens, Kafka topics."""

from __future__ import annotations

import os
import time
from functools import lru_cache

import httpx
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from natres_platform.settings import InfraSettings

DEMO_PASSWORD = "demo1234"


@lru_cache(maxsize=1)
def infra() -> InfraSettings:
    """The infrastructure addresses the tests run against (same env as the services)."""
    return InfraSettings()


def superuser_dsn(driver: str = "asyncpg") -> str:
    """The PostgreSQL superuser URL (tests may create and drop their own schemas)."""
    i = infra()
    password = os.environ.get("NATRES_PG_SUPERUSER_PASSWORD", "postgres")
    return f"postgresql+{driver}://postgres:{password}@{i.pg_host}:{i.pg_port}/{i.pg_database}"


def password_token(username: str, password: str = DEMO_PASSWORD, client_id: str = "natres-cli") -> str:
    """A real access token for a demo user (resource-owner password grant)."""
    resp = httpx.post(
        infra().token_url,
        data={"grant_type": "password", "client_id": client_id, "username": username, "password": password, "scope": "openid"},
        timeout=20,
    )
    resp.raise_for_status()
    return resp.json()["access_token"]


def client_token(client_id: str, client_secret: str) -> str:
    """A real service-account access token (client-credentials grant)."""
    resp = httpx.post(
        infra().token_url,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret},
        timeout=20,
    )
    resp.raise_for_status()
    return resp.json()["access_token"]


def create_topic(name: str, partitions: int = 3) -> None:
    """Create a topic (auto-creation is off on the broker) and wait until it is known."""
    admin = KafkaAdminClient(bootstrap_servers=infra().kafka_bootstrap)
    try:
        try:
            admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
        except TopicAlreadyExistsError:
            pass
        deadline = time.monotonic() + 30
        while name not in admin.list_topics():
            if time.monotonic() > deadline:
                raise TimeoutError(f"topic {name} not visible")
            time.sleep(0.2)
    finally:
        admin.close()


def delete_topic(name: str) -> None:
    """Remove a test topic."""
    admin = KafkaAdminClient(bootstrap_servers=infra().kafka_bootstrap)
    try:
        admin.delete_topics([name])
    except Exception:  # noqa: BLE001 - cleanup is best effort
        pass
    finally:
        admin.close()


async def drain(consumer, *, until, timeout: float = 60) -> None:  # noqa: ANN001
    """Poll an InboxConsumer until the async predicate `until()` holds (or fail after `timeout` s)."""
    deadline = time.monotonic() + timeout
    while not await until():
        if time.monotonic() > deadline:
            raise AssertionError("consumer did not catch up in time")
        await consumer.poll_once(timeout_ms=300)
