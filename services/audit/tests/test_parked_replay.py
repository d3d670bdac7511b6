"""Replaying parked events into the log: the intake's own admission and append, once, the row kept."""

from __future__ import annotations

import pytest

from audit.testing import viewed

pytestmark = pytest.mark.stack
VANISHED = "registry.unit.vanished.v1"  # parked as unknown, then its contract is released


async def test_admin_replays_an_event_parked_before_its_contract_into_the_log(audit_env):
    late = viewed().model_copy(update={"type": VANISHED})
    await audit_env.append(late)
    parked_id = await audit_env.scalar("SELECT id FROM {s}.parked_events WHERE event_type = :t", t=VANISHED)
    url = f"/api/v1/ops/parked/{parked_id}/replay"
    async with audit_env.client("auditor.wang") as client:
        assert (await client.post(url)).status_code == 403  # reading parked events is not replaying them
    async with audit_env.client("natres.admin") as client:
        still = (await client.post(url)).json()
        assert (still["outcome"], still["reason_code"]) == ("parked", "event.unknown_type")
        audit_env.runtime.ctx.schemas.add(VANISHED, {"type": "object"})
        done = (await client.post(url)).json()
        assert done["outcome"] == "applied" and done["event_id"] == late.id
        assert (await client.post(url)).json()["outcome"] == "already_resolved"
        listed = (await client.get("/api/v1/ops/parked", params={"resolved": "true"})).json()
    assert await audit_env.scalar("SELECT count(*) FROM {s}.entries WHERE event_id = :id", id=late.id) == 1
    [row] = [r for r in listed if r["id"] == parked_id]
    assert row["resolution"] == "applied" and [r["outcome"] for r in row["replays"]] == ["parked", "applied"]
    # a redelivery through the intake afterwards is a duplicate, not a second entry
    result = await audit_env.append(late)
    assert result.appended == [] and result.duplicates == 1
