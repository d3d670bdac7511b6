"""The read API in-process (ASGI) with real Keycloak tokens: roles, filters, paging, proofs, query trail."""

from __future__ import annotations

import base64
import json

import pytest
import rfc8785

from audit.log import leaf_hash
from audit.testing import viewed
from audit.verify_core import check_consistency, check_inclusion, decode_hash, decode_proof, verify_checkpoint

pytestmark = pytest.mark.stack

API = "/api/v1/audit"


async def publish(env) -> dict:
    async with env.client("auditor.wang") as client:
        resp = await client.post(f"{API}/checkpoints")
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


async def query_events(env) -> list[dict]:
    rows = await env.rows("SELECT payload FROM {s}.outbox WHERE event_type = 'audit.query.performed.v1' ORDER BY id")
    return [r.payload for r in rows]


@pytest.fixture
async def log(audit_env):
    """Ten entries over two subjects, two actors and two regions, and a checkpoint of size 6 then 10."""
    events = [
        viewed(subject=f"unit-{i % 2}", actor="alice" if i < 5 else "bob", region="140107" if i % 3 else "140981")
        for i in range(10)
    ]
    await audit_env.append(*events[:6])
    await publish(audit_env)
    await audit_env.append(*events[6:])
    await publish(audit_env)
    audit_env.events = events
    return audit_env


async def test_public_key_and_checkpoints_need_no_token_and_verify(log):
    async with log.client() as client:
        key = (await client.get(f"{API}/log/key")).json()
        note = await client.get(f"{API}/checkpoint")
        latest = (await client.get(f"{API}/checkpoints/latest")).json()
        by_size = (await client.get(f"{API}/checkpoints/6")).json()
        page = (await client.get(f"{API}/checkpoints", params={"limit": 1})).json()
        missing = await client.get(f"{API}/checkpoints/7")
    assert key == {"origin": "natres.test/audit", "key_name": "natres.test/audit", "vkey": log.vkey}
    assert note.headers["content-type"].startswith("text/plain")
    cp = verify_checkpoint(note.text, key["vkey"], origin="natres.test/audit")
    assert cp.size == latest["size"] == 10
    assert note.text == latest["note"] and note.text.startswith("natres.test/audit\n10\n")
    assert verify_checkpoint(by_size["note"], key["vkey"]).size == 6
    assert [c["size"] for c in page["items"]] == [6] and page["next_cursor"] == 6
    assert missing.status_code == 404 and missing.json()["code"] == "audit.checkpoint_not_found"


async def test_publishing_checkpoints_needs_an_auditor_and_is_idempotent_per_size(log):
    async with log.client() as anonymous, log.client("registrar.xhl") as registrar, log.client("natres.admin") as admin:
        assert (await anonymous.post(f"{API}/checkpoints")).status_code == 401
        refused = await registrar.post(f"{API}/checkpoints")
        again = await admin.post(f"{API}/checkpoints")
    assert refused.status_code == 403 and refused.json()["code"] == "auth.missing_role"
    assert again.status_code == 200 and again.json()["size"] == 10
    # Each publication is announced through the outbox in its own transaction.
    announced = await log.rows("SELECT payload FROM {s}.outbox WHERE event_type = 'audit.checkpoint.published.v1'")
    assert [a.payload["data"]["size"] for a in announced] == [6, 10]
    assert announced[1].payload["data"]["root_hash"] == base64.b64encode(
        verify_checkpoint(announced[1].payload["data"]["checkpoint"], log.vkey).root_hash
    ).decode()


async def test_entries_are_for_auditors_only(log):
    async with log.client() as anonymous, log.client("registrar.xhl") as registrar:
        assert (await anonymous.get(f"{API}/entries")).status_code == 401
        assert (await registrar.get(f"{API}/entries")).status_code == 403
        assert (await registrar.get(f"{API}/entries/0")).status_code == 403
        assert (await registrar.get(f"{API}/entries.ndjson")).status_code == 403
    assert await query_events(log) == []


async def test_query_filters_and_keyset_paging(log):
    async with log.client("auditor.wang") as client:
        by_subject = (await client.get(f"{API}/entries", params={"subject": "unit-1"})).json()
        by_actor = (await client.get(f"{API}/entries", params={"actor": "bob", "region": "140107"})).json()
        by_type = (await client.get(f"{API}/entries", params={"type": "registry.record.viewed.v1", "limit": 4})).json()
        next_page = (await client.get(f"{API}/entries", params={"type": "registry.record.viewed.v1", "limit": 4, "after": by_type["next_cursor"]})).json()
        t5 = log.events[5].time
        since = (await client.get(f"{API}/entries", params={"since": t5})).json()
        until = (await client.get(f"{API}/entries", params={"until": t5})).json()
        bad = await client.get(f"{API}/entries", params={"region": "Taiyuan"})
    assert [e["index"] for e in by_subject["items"]] == [1, 3, 5, 7, 9]
    assert [e["index"] for e in by_actor["items"]] == [5, 7, 8]
    assert [e["index"] for e in by_type["items"]] == [0, 1, 2, 3] and by_type["next_cursor"] == 3
    assert [e["index"] for e in next_page["items"]] == [4, 5, 6, 7]
    assert [e["index"] for e in since["items"]] == [5, 6, 7, 8, 9]
    assert [e["index"] for e in until["items"]] == [0, 1, 2, 3, 4]
    assert bad.status_code == 422 and bad.json()["code"] == "request.invalid"
    first = by_subject["items"][0]
    assert first["event"] == log.events[1].to_dict() and first["proof"] is None
    assert decode_hash(first["leaf_hash"]) == leaf_hash(rfc8785.dumps(first["event"]))


async def test_every_auditor_query_is_recorded_through_the_outbox(log):
    async with log.client("auditor.wang") as client:
        await client.get(f"{API}/entries", params={"actor": "bob", "limit": 2})
        await client.get(f"{API}/entries/3")
        await client.get(f"{API}/entries/by-event/no-such-event")
        await client.get(f"{API}/entries.csv", params={"subject": "unit-0"})
    recorded = await query_events(log)
    assert [e["data"]["query"] for e in recorded] == ["entries.list", "entries.get", "entries.by_event", "entries.export"]
    first = recorded[0]
    assert first["data"]["filters"] == {"actor": "bob", "after": -1, "limit": 2}
    assert first["data"]["result_count"] == 2 and first["data"]["username"] == "auditor.wang"
    assert first["actor"] == first["subject"] and first["region"] == "140000" and first["time"]
    assert recorded[2]["data"]["result_count"] == 0  # a miss is logged as well
    assert recorded[3]["data"]["format"] == "csv"
    # The contract this service publishes holds for its own events.
    for event in recorded:
        log.runtime.ctx.schemas.validate(event)


async def test_entry_with_inclusion_proof_against_latest_and_named_checkpoint(log):
    async with log.client("auditor.wang") as client:
        latest = (await client.get(f"{API}/entries/4")).json()
        named = (await client.get(f"{API}/entries/4", params={"checkpoint_size": 6})).json()
        outside = await client.get(f"{API}/entries/8", params={"checkpoint_size": 6})
        unknown_cp = await client.get(f"{API}/entries/4", params={"checkpoint_size": 7})
        by_event = (await client.get(f"{API}/entries/by-event/{log.events[8].id}")).json()
        missing = await client.get(f"{API}/entries/99")
    for body, size in ((latest, 10), (named, 6), (by_event, 10)):
        cp = verify_checkpoint(body["checkpoint"]["note"], log.vkey)
        assert cp.size == size
        check_inclusion(cp, body["index"], decode_proof(body["proof"]), leaf_data=rfc8785.dumps(body["event"]))
    assert by_event["index"] == 8 and by_event["event_id"] == log.events[8].id
    assert outside.status_code == 409 and outside.json()["code"] == "audit.entry_not_in_checkpoint"
    assert unknown_cp.status_code == 404 and unknown_cp.json()["code"] == "audit.checkpoint_not_found"
    assert missing.status_code == 404 and missing.json()["code"] == "audit.entry_not_found"


async def test_entry_after_the_latest_checkpoint_comes_without_proof(log):
    await log.append(viewed())
    async with log.client("auditor.wang") as client:
        body = (await client.get(f"{API}/entries/10")).json()
        page = (await client.get(f"{API}/entries", params={"after": 7, "with_proofs": True})).json()
    assert body["proof"] is None and body["checkpoint"] is None
    cp = verify_checkpoint(page["checkpoint"]["note"], log.vkey)
    assert [e["index"] for e in page["items"]] == [8, 9, 10]
    for item in page["items"][:2]:
        check_inclusion(cp, item["index"], decode_proof(item["proof"]), leaf_data=rfc8785.dumps(item["event"]))
    assert page["items"][2]["proof"] is None


async def test_public_proofs_and_consistency_between_any_two_sizes(log):
    async with log.client() as client:
        cp6 = verify_checkpoint((await client.get(f"{API}/checkpoints/6")).json()["note"], log.vkey)
        note10 = (await client.get(f"{API}/checkpoint")).text
        proof = (await client.get(f"{API}/proofs/inclusion", params={"index": 2})).json()
        by_event = (await client.get(f"{API}/proofs/inclusion/by-event/{log.events[5].id}", params={"size": 6})).json()
        consistency = (await client.get(f"{API}/proofs/consistency", params={"old_size": 6})).json()
        too_big = await client.get(f"{API}/proofs/consistency", params={"old_size": 3, "new_size": 11})
        unlogged = await client.get(f"{API}/proofs/inclusion/by-event/nope")
    cp10 = verify_checkpoint(note10, log.vkey)
    assert proof["tree_size"] == 10 and proof["checkpoint"] == note10
    check_inclusion(cp10, 2, decode_proof(proof["proof"]), leaf_data=rfc8785.dumps(log.events[2].to_dict()))
    assert by_event["index"] == 5 and by_event["tree_size"] == 6
    check_inclusion(cp6, 5, decode_proof(by_event["proof"]), leaf_hash_value=decode_hash(by_event["leaf_hash"]))
    check_consistency(cp6, cp10, decode_proof(consistency["proof"]))
    assert too_big.status_code == 422 and too_big.json()["code"] == "audit.size_out_of_range"
    assert unlogged.status_code == 404


async def test_exports_stream_every_matching_entry_with_its_canonical_bytes(log):
    async with log.client("auditor.wang") as client:
        ndjson = await client.get(f"{API}/entries.ndjson")
        csv_resp = await client.get(f"{API}/entries.csv", params={"actor": "alice"})
    assert ndjson.headers["content-type"].startswith("application/x-ndjson")
    lines = ndjson.content.splitlines()
    assert len(lines) == 10
    for i, line in enumerate(lines):
        item = json.loads(line)
        assert item["index"] == i
        raw = line.partition(b',"event":')[2][:-1]
        assert leaf_hash(raw) == decode_hash(item["leaf_hash"])
    rows = csv_resp.text.splitlines()
    assert rows[0].startswith("index,event_id,type,") and len(rows) == 6
    assert csv_resp.headers["content-disposition"] == 'attachment; filename="audit-entries.csv"'
