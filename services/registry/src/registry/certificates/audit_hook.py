"""Where the audit service's inclusion proof will plug into certificate verification."""

from __future__ import annotations

from typing import Any, Protocol


class AuditProofSource(Protocol):
    """Finds the audit-log entry of the certificate_issued event (it carries payload_sha256) and its RFC 9162 inclusion proof."""

    async def inclusion_proof(self, *, payload_sha256: str) -> dict[str, Any] | None: ...


class NoAuditProofs:
    """Until audit exposes proofs over HTTP: say so plainly rather than pretend."""

    async def inclusion_proof(self, *, payload_sha256: str) -> dict[str, Any] | None:
        return None


def audit_section(*, payload_sha256: str, proof: dict[str, Any] | None) -> dict[str, Any]:
    """The `audit` part of a verification answer."""
    if proof is None:
        return {
            "status": "not_available",
            "payload_sha256": payload_sha256,
            "inclusion_proof": None,
            "note": "审计日志包含证明接口尚未接入；证书签发事件已写入审计事件流",
        }
    return {"status": "included", "payload_sha256": payload_sha256, "inclusion_proof": proof}
