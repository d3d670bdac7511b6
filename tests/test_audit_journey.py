"""Journey: an event on the registry topic becomes an audit entry whose proof verifies against a signed checkpoint.

Runs the audit intake in-test on the real `audit` log (whether or not `natres-audit worker` runs:
a worker that appends the event first simply makes the in-test append a de-duplicated no-op).
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import rfc8785
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from audit.checkpoints.service import publish_checkpoint
from audit.intake.consumer import AuditIntake
from audit.main import create_app
from audit.settings import AuditSettings
from audit.testing import token, viewed
from audit.verify_core import check_inclusion, decode_hash, decode_proof, verify_checkpoint
from natres_platform.testing import infra

pytestmark = pytest.mark.stack

TOPIC = "natres.registry.v1"


def produce_and_read_back(event) -> object:
    """Produce the event and return the Kafka record, read by a group-less consumer placed at the end."""
    consumer = KafkaConsumer(bootstrap_servers=infra().kafka_bootstrap, enable_auto_commit=False, group_id=None)
    try:
        partitions = [TopicPartition(TOPIC, p) for p in sorted(consumer.partitions_for_topic(TOPIC))]
        consumer.assign(partitions)
        consumer.seek_to_end()
        for tp in partitions:
            consumer.position(tp)
        producer = KafkaProducer(bootstrap_servers=infra().kafka_bootstrap, acks="all")
        producer.send(TOPIC, key=event.subject.encode(), value=event.to_bytes()).get(timeout=30)
        producer.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    if event.id.encode() in record.value:
                        return record
        raise AssertionError("the produced event was not read back")
    finally:
        consumer.close()


async def test_registry_event_becomes_an_entry_provable_against_a_signed_checkpoint():
    app = create_app(AuditSettings())
    runtime = app.state.audit
    try:
        event = viewed(subject=f"journey-unit-{time.time_ns()}", actor="journey-viewer", region="140107")
        record = await asyncio.to_thread(produce_and_read_back, event)

        intake = AuditIntake(runtime=runtime, group_id="journey-test-unused")
        await intake.process([record])
        await intake.close()
        await publish_checkpoint(runtime=runtime, actor="journey-test")

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as public:
            vkey = (await public.get("/api/v1/audit/log/key")).json()["vkey"]
            public_proof = (await public.get(f"/api/v1/audit/proofs/inclusion/by-event/{event.id}")).json()
        headers = {"Authorization": f"Bearer {token('auditor.wang')}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as auditor:
            entry = (await auditor.get(f"/api/v1/audit/entries/by-event/{event.id}")).json()

        assert entry["event"] == event.to_dict() and entry["actor"] == "journey-viewer"
        checkpoint = verify_checkpoint(entry["checkpoint"]["note"], vkey, origin="natres.shanxi/audit")
        check_inclusion(checkpoint, entry["index"], decode_proof(entry["proof"]), leaf_data=rfc8785.dumps(event.to_dict()))

        # Anyone, without a token: the producer knows its event's bytes, the log proves it holds them.
        public_cp = verify_checkpoint(public_proof["checkpoint"], vkey)
        assert decode_hash(public_proof["leaf_hash"]) == decode_hash(entry["leaf_hash"])
        check_inclusion(
            public_cp, public_proof["index"], decode_proof(public_proof["proof"]), leaf_data=rfc8785.dumps(event.to_dict())
        )
    finally:
        await app.state.ctx.aclose()
