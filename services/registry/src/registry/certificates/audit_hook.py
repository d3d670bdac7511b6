"""The audit-log inclusion proof of a certificate's issuance event, checked here, not taken on trust."""

from __future__ import annotations

import base64
import logging
from typing import Any, Protocol

import httpx
import rfc8785
from sqlalchemy import text

from natres_platform.merkle import leaf_hash, verify_inclusion

log = logging.getLogger(__name__)
ISSUED = "registry.application.certificate_issued.v1"


class AuditProofSource(Protocol):
    """Finds the audit entry of a certificate's issuance event and its RFC 9162 inclusion proof."""

    async def inclusion_proof(self, *, event: dict[str, Any]) -> dict[str, Any] | None: ...


async def issuance_event(session: Any, *, application_id: str) -> dict[str, Any] | None:
    """The certificate_issued CloudEvent as the registry produced it (kept in its outbox)."""
    row = (
        await session.execute(
            text("SELECT payload FROM registry.outbox WHERE event_type = :t AND key = :k ORDER BY id DESC LIMIT 1"),
            {"t": ISSUED, "k": application_id},
        )
    ).first()
    return dict(row[0]) if row else None


def _b64_or_hex(value: str) -> bytes:
    return bytes.fromhex(value) if len(value) == 64 else base64.b64decode(value)


def _checkpoint_root(note: str) -> tuple[int, bytes] | None:
    """(size, root) from a C2SP tlog-checkpoint body: origin, size, base64 root."""
    lines = note.split("\n")
    try:
        return int(lines[1]), base64.b64decode(lines[2])
    except (IndexError, ValueError):
        return None


class HttpAuditProofs:
    """Asks the audit service's public proof endpoint, then re-derives every hash locally."""

    def __init__(self, base_url: str, *, timeout: float = 3.0) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = timeout

    async def inclusion_proof(self, *, event: dict[str, Any]) -> dict[str, Any] | None:
        """The proof with our own verdict, or None when the audit service cannot be asked."""
        url = f"{self._base}/api/v1/audit/proofs/inclusion/by-event/{event['id']}"
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                resp = await client.get(url)
        except httpx.HTTPError as exc:
            log.warning("audit proof unavailable", extra={"error": repr(exc)})
            return None
        if resp.status_code == 404:
            return {"status": "pending", "event_id": event["id"], "note": "签发事件尚未写入审计日志（通常数秒内完成）"}
        if resp.status_code == 409 and resp.json().get("code") == "audit.entry_not_in_checkpoint":
            return {"status": "unverified", "event_id": event["id"], "note": "已写入审计日志，等待下一个签名检查点"}
        if resp.status_code != 200:
            return None
        body = resp.json()
        ours = leaf_hash(rfc8785.dumps(event))
        proof = [_b64_or_hex(h) for h in body["proof"]]
        checkpoint = _checkpoint_root(body.get("checkpoint") or "")
        root_ok = None
        if checkpoint and checkpoint[0] == body["tree_size"]:
            root_ok = verify_inclusion(ours, body["index"], body["tree_size"], proof, checkpoint[1])
        return {
            "status": "included" if root_ok else ("unverified" if root_ok is None else "mismatch"),
            "event_id": event["id"],
            "leaf_index": body["index"],
            "tree_size": body["tree_size"],
            "leaf_hash_matches_event": _b64_or_hex(body["leaf_hash"]) == ours,
            "proof_verifies_against_checkpoint": root_ok,
            "inclusion_proof": body["proof"],
            "checkpoint": body.get("checkpoint"),
        }


def audit_section(*, event: dict[str, Any] | None, proof: dict[str, Any] | None) -> dict[str, Any]:
    """The `audit` part of a verification answer."""
    if event is None:
        return {"status": "not_found", "note": "未找到该证书的签发事件"}
    if proof is None:
        return {"status": "not_available", "event_id": event["id"], "note": "审计服务暂不可用，请稍后重试"}
    return proof
