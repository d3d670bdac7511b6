"""Checkpoint publication by the worker, and the audit trail closing on itself through Kafka."""

from __future__ import annotations

import asyncio
import time

import pytest

from audit.checkpoints.publisher import CheckpointPublisher
from audit.checkpoints.service import publish_checkpoint
from audit.cli import workers
from audit.intake.consumer import AuditIntake
from audit.testing import viewed
from audit.verify_core import verify_checkpoint

pytestmark = pytest.mark.stack


async def test_worker_publishes_when_the_log_grows_and_then_rests(audit_env):
    publisher = CheckpointPublisher(runtime=audit_env.runtime, interval_seconds=0.05)
    stop = asyncio.Event()
    await audit_env.append(*(viewed(subject=f"u-{i}") for i in range(5)))
    task = asyncio.create_task(publisher.run(stop))
    await asyncio.sleep(0.3)
    assert await audit_env.scalar("SELECT array_agg(size ORDER BY size) FROM {s}.checkpoints") == [5]
    # The announcement of checkpoint 5 enters the log; alone it must not cause checkpoint 6, 7, ...
    announcement = (await audit_env.rows("SELECT payload FROM {s}.outbox ORDER BY id"))[-1].payload
    await audit_env.append(audit_env.runtime.ctx.schemas.validate(announcement))
    await asyncio.sleep(0.3)
    assert await audit_env.scalar("SELECT array_agg(size ORDER BY size) FROM {s}.checkpoints") == [5]
    await audit_env.append(viewed())
    await asyncio.sleep(0.3)
    stop.set()
    await task
    sizes = await audit_env.scalar("SELECT array_agg(size ORDER BY size) FROM {s}.checkpoints")
    assert sizes == [5, 7]
    note = await audit_env.scalar("SELECT note FROM {s}.checkpoints WHERE size = 7")
    assert verify_checkpoint(note, audit_env.vkey).size == 7


async def test_empty_log_gets_no_periodic_checkpoint_but_one_on_demand(audit_env):
    assert await publish_checkpoint(runtime=audit_env.runtime, actor="t", only_if_news=True) is None
    publication = await publish_checkpoint(runtime=audit_env.runtime, actor="t")
    assert publication.created and publication.checkpoint.size == 0


async def test_state_that_disagrees_with_stored_nodes_is_never_signed(audit_env):
    await audit_env.append(*(viewed(subject=f"u-{i}") for i in range(3)))
    await audit_env.execute(
        "SET LOCAL session_replication_role = replica",
        "UPDATE {s}.merkle_nodes SET hash = sha256('x'::bytea) WHERE level = 1 AND idx = 0",
    )
    async with audit_env.client("auditor.wang") as client:
        resp = await client.post("/api/v1/audit/checkpoints")
    assert resp.status_code == 500 and resp.json()["code"] == "audit.integrity"
    assert await audit_env.scalar("SELECT count(*) FROM {s}.checkpoints") == 0


async def test_auditor_query_travels_outbox_relay_kafka_and_comes_back_as_an_entry(audit_env):
    topic = audit_env.make_topic()
    await audit_env.append(viewed())
    async with audit_env.client("auditor.wang") as client:
        assert (await client.get("/api/v1/audit/entries", params={"actor": "user-1"})).status_code == 200
    assert await audit_env.runtime.ctx.relay().run_once() == 1
    intake: AuditIntake = audit_env.intake(topics=[topic])
    deadline = time.monotonic() + 30
    while await audit_env.scalar("SELECT count(*) FROM {s}.entries") < 2:
        assert time.monotonic() < deadline, "the query event did not come back"
        await intake.poll_once(timeout_ms=300)
    await intake.close()
    entry = (await audit_env.rows("SELECT event_type, actor FROM {s}.entries WHERE idx = 1"))[0]
    assert entry.event_type == "audit.query.performed.v1"


def test_worker_runs_intake_of_every_topic_and_the_publisher(audit_env):
    intake, publisher = workers(audit_env.runtime.ctx)
    assert isinstance(intake, AuditIntake) and isinstance(publisher, CheckpointPublisher)
    assert intake._topics == audit_env.settings.intake_topics
    assert intake._group_id == audit_env.settings.consumer_group
