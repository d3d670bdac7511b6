"""Batch intake on the real database (and once on the real broker): admit, park, de-duplicate, append."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import rfc8785
from kafka import KafkaProducer

from audit.log import InMemoryNodeStore, append_leaves, leaf_hash
from natres_platform.testing import infra

from audit.testing import viewed

pytestmark = pytest.mark.stack


async def expected_root(env) -> bytes:
    """The root recomputed from scratch over every stored entry's canonical bytes."""
    rows = await env.rows("SELECT canonical FROM {s}.entries ORDER BY idx")
    return append_leaves(InMemoryNodeStore(), 0, [leaf_hash(bytes(r.canonical)) for r in rows])


async def test_admitted_events_get_contiguous_indexes_and_a_matching_root(audit_env):
    events = [viewed(subject=f"unit-{i}") for i in range(7)]
    first = await audit_env.append(*events[:3])
    second = await audit_env.append(*events[3:])
    assert [i for i, _ in first.appended] == [0, 1, 2]
    assert [i for i, _ in second.appended] == [3, 4, 5, 6]
    rows = await audit_env.rows("SELECT idx, event_id, canonical FROM {s}.entries ORDER BY idx")
    assert [r.idx for r in rows] == list(range(7))
    assert [r.event_id for r in rows] == [e.id for e in events]
    # The leaf data is the RFC 8785 form of the whole envelope.
    assert bytes(rows[0].canonical) == rfc8785.dumps(events[0].to_dict())
    state = (await audit_env.rows("SELECT size, root_hash FROM {s}.log_state"))[0]
    assert state.size == 7
    assert bytes(state.root_hash) == second.root == await expected_root(audit_env)
    # About 2n stored full nodes for n leaves, level 0 being the leaf hashes.
    assert await audit_env.scalar("SELECT count(*) FROM {s}.merkle_nodes") == 7 + 3 + 1


async def test_redelivered_event_never_becomes_a_second_entry(audit_env):
    event = viewed()
    await audit_env.append(event, event)  # twice in one batch
    result = await audit_env.append(event)  # and again later
    assert result.appended == [] and result.duplicates == 1
    assert await audit_env.scalar("SELECT count(*) FROM {s}.entries") == 1
    assert await audit_env.scalar("SELECT size FROM {s}.log_state") == 1


async def test_invalid_and_unknown_events_are_parked_with_the_reason(audit_env):
    good = viewed()
    bad_payload = viewed().model_copy(update={"data": {"unit_id": "u"}})  # viewer and purpose missing
    unknown = viewed().model_copy(update={"type": "registry.unit.vanished.v1"})
    nul_subject = viewed(subject="unit\x00x")
    result = await audit_env.append(b"not json", bad_payload.to_bytes(), unknown.to_bytes(), nul_subject, good)
    assert result.appended == [(0, good.id)]
    parked = {
        r.reason_code: r
        for r in await audit_env.rows("SELECT reason_code, reason, event_type, event_id FROM {s}.parked_events")
    }
    assert set(parked) == {"event.schema_invalid", "event.unknown_type", "audit.unstorable"}
    assert parked["event.unknown_type"].event_type == "registry.unit.vanished.v1"
    assert parked["audit.unstorable"].event_id == nul_subject.id
    assert "NUL" in parked["audit.unstorable"].reason

    async with audit_env.client("auditor.wang") as client:
        resp = await client.get("/api/v1/ops/parked")
    assert resp.status_code == 200
    assert {p["reason_code"] for p in resp.json()} >= set(parked) - {"event.schema_invalid"}


async def test_row_the_database_refuses_is_parked_and_the_rest_of_the_batch_appended(audit_env):
    first = viewed()
    await audit_env.append(first)
    # An inbox that lost its row lets the redelivery reach the entries table, whose unique key refuses it.
    await audit_env.execute("DELETE FROM {s}.inbox WHERE event_id = :id", id=first.id)
    later = viewed(subject="unit-2")
    result = await audit_env.append(first, later)
    assert result.appended == [(1, later.id)]
    parked = await audit_env.rows("SELECT reason_code, event_id FROM {s}.parked_events")
    assert [(p.reason_code, p.event_id) for p in parked] == [("audit.unstorable", first.id)]


async def test_two_intakes_at_once_keep_indexes_contiguous(audit_env):
    batches = [[viewed(subject=f"u-{b}-{i}") for i in range(40)] for b in range(4)]
    await asyncio.gather(*(audit_env.append(*batch) for batch in batches))
    assert await audit_env.scalar("SELECT count(*) FROM {s}.entries") == 160
    assert await audit_env.scalar("SELECT max(idx) FROM {s}.entries") == 159
    state_root = await audit_env.scalar("SELECT root_hash FROM {s}.log_state")
    assert bytes(state_root) == await expected_root(audit_env)


async def test_intake_reads_kafka_and_commits_offsets_only_after_the_entries(audit_env):
    topic = audit_env.make_topic()
    events = [viewed(subject=f"unit-{i % 4}") for i in range(30)]
    producer = KafkaProducer(bootstrap_servers=infra().kafka_bootstrap)
    for e in events:
        producer.send(topic, key=e.subject.encode(), value=e.to_bytes())
    producer.send(topic, key=b"x", value=b'{"broken":')
    producer.flush()
    producer.close()

    seen: list[int] = []
    intake = audit_env.intake(on_appended=lambda r: seen.append(r.size))
    deadline = time.monotonic() + 30
    while await audit_env.scalar("SELECT count(*) FROM {s}.entries") < 30:
        assert time.monotonic() < deadline, "intake did not catch up"
        await intake.poll_once(timeout_ms=300)
    await intake.close()
    assert await audit_env.scalar("SELECT count(*) FROM {s}.parked_events") == 1
    assert seen and seen[-1] == 30

    # The same group resumes after the committed offsets: nothing is read twice.
    again = audit_env.intake(group_id=intake._group_id)
    for _ in range(3):
        assert await again.poll_once(timeout_ms=300) == 0
    await again.close()
    ids = {r.event_id for r in await audit_env.rows("SELECT event_id FROM {s}.entries")}
    assert ids == {e.id for e in events}
    canonical = await audit_env.scalar("SELECT canonical FROM {s}.entries WHERE idx = 0")
    assert json.loads(bytes(canonical))["id"] in ids


async def test_large_batches_are_parsed_in_worker_processes_with_the_same_outcome(audit_env):
    events = [viewed(subject=f"unit-{i}") for i in range(150)]
    broken = viewed().model_copy(update={"data": {"unit_id": "u"}})
    intake = audit_env.intake(parse_workers=2)
    result = await audit_env.append(*events[:70], broken.to_bytes(), *events[70:], intake=intake)
    assert [i for i, _ in result.appended] == list(range(150))
    assert [e for _, e in result.appended] == [e.id for e in events]
    assert await audit_env.scalar("SELECT reason_code FROM {s}.parked_events") == "event.schema_invalid"
    assert bytes(result.root) == await expected_root(audit_env)


async def test_batch_that_fails_to_commit_is_read_again_and_nothing_is_skipped(audit_env):
    topic = audit_env.make_topic()
    events = [viewed(subject=f"unit-{i % 3}") for i in range(60)]
    producer = KafkaProducer(bootstrap_servers=infra().kafka_bootstrap)
    for e in events:
        producer.send(topic, key=e.subject.encode(), value=e.to_bytes())
    producer.flush()
    producer.close()

    intake = audit_env.intake(max_poll_records=7)  # several batches, so a prefetch is in flight at the failure
    real_append, failures = intake._append, []

    async def flaky_append(leaves):
        if not failures:
            failures.append(len(leaves))
            raise ConnectionResetError("database went away mid-batch")
        return await real_append(leaves)

    intake._append = flaky_append
    deadline = time.monotonic() + 30
    while await audit_env.scalar("SELECT count(*) FROM {s}.entries") < 60:
        assert time.monotonic() < deadline, "intake did not recover"
        try:
            await intake.poll_once(timeout_ms=300)
        except ConnectionResetError:
            pass
    await intake.close()
    assert failures
    ids = [r.event_id for r in await audit_env.rows("SELECT event_id FROM {s}.entries ORDER BY idx")]
    assert sorted(ids) == sorted(e.id for e in events)  # each exactly once: none skipped, none doubled
    # Per aggregate (Kafka key = partition), the log keeps the producer's order.
    for subject in ("unit-0", "unit-1", "unit-2"):
        logged = [r.event_id for r in await audit_env.rows("SELECT event_id FROM {s}.entries WHERE subject = :s ORDER BY idx", s=subject)]
        assert logged == [e.id for e in events if e.subject == subject]
