"""The log is append-only: the runtime role lacks the rights, and triggers refuse even the owner."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from audit.testing import viewed
from natres_platform.testing import infra, superuser_dsn

pytestmark = pytest.mark.stack

CHANGES = [
    "UPDATE {s}.entries SET actor = 'mallory'",
    "DELETE FROM {s}.entries",
    "TRUNCATE {s}.entries",
    "UPDATE {s}.merkle_nodes SET hash = sha256('x'::bytea)",
    "DELETE FROM {s}.merkle_nodes",
    "TRUNCATE {s}.merkle_nodes CASCADE",
    "UPDATE {s}.checkpoints SET note = 'forged'",
    "DELETE FROM {s}.checkpoints",
    "DELETE FROM {s}.log_state",
    "TRUNCATE {s}.log_state",
]


def dsn(role: str) -> str:
    i = infra()
    return f"postgresql+asyncpg://{role}:{role}@{i.pg_host}:{i.pg_port}/{i.pg_database}"


async def attempt(role: str, sql: str) -> str | None:
    """Run sql as role in a rolled-back transaction; the SQLSTATE of the refusal, or None if it went through."""
    engine = create_async_engine(dsn(role))
    try:
        async with engine.connect() as conn:
            try:
                await conn.execute(text(sql))
            except DBAPIError as exc:
                return exc.orig.sqlstate
            finally:
                await conn.rollback()
        return None
    finally:
        await engine.dispose()


@pytest.fixture
async def filled(audit_env):
    await audit_env.append(*(viewed(subject=f"u-{i}") for i in range(3)))
    async with audit_env.client("auditor.wang") as client:
        assert (await client.post("/api/v1/audit/checkpoints")).status_code == 201
    return audit_env


@pytest.mark.parametrize("role", ["audit_app", "audit_owner"])
async def test_no_role_can_rewrite_or_remove_log_rows(filled, role):
    for sql in CHANGES:
        # audit_app: no privilege at all; audit_owner: the guard trigger. Both raise 42501.
        assert await attempt(role, sql.format(s=filled.schema)) == "42501", sql
    assert await filled.scalar("SELECT count(*) FROM {s}.entries") == 3


async def test_tree_size_never_shrinks_even_for_the_owner(filled):
    assert await attempt("audit_owner", f"UPDATE {filled.schema}.log_state SET size = 1") == "42501"
    assert await attempt("audit_owner", f"UPDATE {filled.schema}.log_state SET root_hash = sha256('x'::bytea)") == "42501"
    assert await filled.scalar("SELECT size FROM {s}.log_state") == 3


async def test_runtime_role_has_only_select_and_insert_on_the_migrated_audit_schema():
    engine = create_async_engine(superuser_dsn())
    async with engine.connect() as conn:
        for table in ("entries", "merkle_nodes", "checkpoints"):
            privileges = {
                p: await conn.scalar(text("SELECT has_table_privilege('audit_app', :t, :p)"), {"t": f"audit.{table}", "p": p})
                for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
            }
            # `natres-audit migrate` re-asserts these grants (migrations/env.py) whatever drifted.
            assert privileges == {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False, "TRUNCATE": False}, (
                f"audit.{table}: run `uv run natres-audit migrate`"
            )
        triggers = await conn.scalar(
            text("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit.entries'::regclass AND NOT tgisinternal")
        )
        assert triggers == 2
    await engine.dispose()
