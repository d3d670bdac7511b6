"""The offline verifier CLI against the service: a clean log passes, any tampering fails with a clear message."""

from __future__ import annotations

import io

import httpx
import pytest

from audit.log import Checkpoint, generate_key, leaf_hash, sign_checkpoint
from audit.testing import token, viewed
from audit.verifier import run

pytestmark = pytest.mark.stack


async def verify(env, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    argv = ["--url", "http://test", "--vkey", env.vkey, "--token", token("auditor.wang"), *args]
    code = await run(argv, transport=httpx.ASGITransport(app=env.app), out=out)
    return code, out.getvalue()


@pytest.fixture
async def log(audit_env):
    events = [viewed(subject=f"unit-{i}") for i in range(21)]
    await audit_env.append(*events[:13])
    async with audit_env.client("auditor.wang") as client:
        assert (await client.post("/api/v1/audit/checkpoints")).status_code == 201
        audit_env.saved = (await client.get("/api/v1/audit/checkpoint")).text
        await audit_env.append(*events[13:])
        assert (await client.post("/api/v1/audit/checkpoints")).status_code == 201
    audit_env.events = events
    return audit_env


async def test_clean_log_passes_every_check(log, tmp_path):
    saved = tmp_path / "old.checkpoint"
    saved.write_text(log.saved)
    new = tmp_path / "new.checkpoint"
    code, out = await verify(
        log, "--all", "--entries", "0,7,20", "--event", log.events[3].id,
        "--saved-checkpoint", str(saved), "--save-checkpoint", str(new), "--origin", "natres.test/audit",
    )
    assert code == 0, out
    assert "consistency 13 -> 21: the log only grew" in out
    assert "all 21 entries re-hashed" in out and out.count("included in checkpoint 21") == 4
    assert new.read_text().startswith("natres.test/audit\n21\n")


async def test_entry_changed_in_the_database_is_reported(log):
    # As the superuser, with triggers off for this session only: the one way past the guard.
    await log.execute(
        "SET LOCAL session_replication_role = replica",
        "UPDATE {s}.entries SET canonical = convert_to(replace(convert_from(canonical, 'UTF8'), 'user-1', 'mallory'), 'UTF8') "
        "WHERE idx = 7"
    )
    code, out = await verify(log, "--all")
    assert code == 1
    assert "entry 7: its content does not hash to the logged leaf" in out and "VERIFICATION FAILED" in out
    code, out = await verify(log, "--entries", "6,7")
    assert code == 1
    assert "ok    entry 6" in out and "FAIL  entry 7" in out


async def test_rewritten_tree_is_reported_by_the_signed_root(log):
    # Damage a stored node as well, so that entry and leaf agree: only the signature betrays it.
    forged = b'{"forged":true}'
    await log.execute(
        "SET LOCAL session_replication_role = replica",
        "UPDATE {s}.entries SET canonical = :forged WHERE idx = 2",
        "UPDATE {s}.merkle_nodes SET hash = :leaf WHERE level = 0 AND idx = 2",
        forged=forged,
        leaf=leaf_hash(forged),
    )
    code, out = await verify(log, "--all")
    assert code == 1 and "differs from the signed checkpoint" in out
    code, out = await verify(log, "--entries", "2")
    assert code == 1 and "inclusion proof for entry 2 does not match" in out


async def test_checkpoint_signed_by_another_key_is_refused(log):
    _, other_vkey = generate_key("natres.test/audit")
    code, out = await verify(log, "--vkey", other_vkey)
    assert code == 1 and "checkpoint rejected" in out


async def test_saved_checkpoint_of_another_root_fails_consistency(log, tmp_path):
    # Sign a fake size-13 head with the log's own key (as a compromised signer would): consistency catches it.
    signer = await log.runtime.signer()
    saved = tmp_path / "fork.checkpoint"
    saved.write_text(sign_checkpoint(Checkpoint("natres.test/audit", 13, b"\x22" * 32), signer))
    code, out = await verify(log, "--saved-checkpoint", str(saved))
    assert code == 1 and "consistency 13 -> 21" in out


async def test_unreachable_service_and_missing_token_are_usage_errors(log):
    out = io.StringIO()
    code = await run(["--url", "http://127.0.0.1:9", "--vkey", log.vkey], out=out)
    assert code == 2 and "cannot reach" in out.getvalue()
    out = io.StringIO()
    code = await run(["--url", "http://test", "--vkey", log.vkey, "--all"], transport=httpx.ASGITransport(app=log.app), out=out)
    assert code == 2 and "auditor token" in out.getvalue()
