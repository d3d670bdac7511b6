"""SQL for applications, their history and documents. Repositories never commit."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_COLUMNS = """
    a.id::text AS id, a.number, a.type, a.unit_id::text AS unit_id, a.status, a.channel, a.applicant_subject,
    a.applicant_name, a.applicant_org_code, a.filed_by, a.parties, a.details, a.receiving_office, a.competent_office,
    a.missing_items, a.refusal_reasons, a.listing_id, a.submitted_at, a.accepted_at, a.accepted_by, a.notice_start,
    a.notice_end, a.reviewed_at, a.reviewed_by, a.review_opinion, a.recorded_at, a.recorded_by,
    a.book_entry_id::text AS book_entry_id, a.certificate_id::text AS certificate_id, a.closed_at,
    a.time_limit_days, a.deadline, a.deadline_provisional
"""

# Columns a workflow step may set; anything else is a programming error.
_UPDATABLE = frozenset({
    "status", "receiving_office", "missing_items", "refusal_reasons", "accepted_at", "accepted_by", "notice_start",
    "notice_end", "reviewed_at", "reviewed_by", "review_opinion", "recorded_at", "recorded_by", "book_entry_id",
    "certificate_id", "closed_at", "time_limit_days", "deadline", "deadline_provisional",
})
_JSON = frozenset({"missing_items", "refusal_reasons"})


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


async def insert_application(session: AsyncSession, *, fields: dict[str, Any]) -> str:
    """Insert a new application; returns its id."""
    app_id = fields.get("id") or str(uuid.uuid4())
    await session.execute(
        text(
            """
            INSERT INTO registry.applications (id, number, type, unit_id, status, channel, applicant_subject,
                applicant_name, applicant_org_code, filed_by, parties, details, receiving_office, competent_office,
                listing_id, accepted_at, accepted_by, time_limit_days, deadline, deadline_provisional)
            VALUES (:id, :number, :type, :unit_id, :status, :channel, :applicant_subject, :applicant_name,
                :applicant_org_code, :filed_by, CAST(:parties AS jsonb), CAST(:details AS jsonb), :receiving_office,
                :competent_office, :listing_id, :accepted_at, :accepted_by, :time_limit_days, :deadline,
                :deadline_provisional)
            """
        ),
        {
            "id": app_id,
            "number": fields["number"],
            "type": fields["type"],
            "unit_id": fields["unit_id"],
            "status": fields["status"],
            "channel": fields["channel"],
            "applicant_subject": fields["applicant_subject"],
            "applicant_name": fields.get("applicant_name"),
            "applicant_org_code": fields.get("applicant_org_code"),
            "filed_by": fields["filed_by"],
            "parties": _dumps(fields.get("parties") or []),
            "details": _dumps(fields.get("details") or {}),
            "receiving_office": fields["receiving_office"],
            "competent_office": fields["competent_office"],
            "listing_id": fields.get("listing_id"),
            "accepted_at": fields.get("accepted_at"),
            "accepted_by": fields.get("accepted_by"),
            "time_limit_days": fields.get("time_limit_days"),
            "deadline": fields.get("deadline"),
            "deadline_provisional": fields.get("deadline_provisional", False),
        },
    )
    return app_id


async def get_application(session: AsyncSession, *, application_id: str, lock: bool = False) -> dict | None:
    """One application (locked FOR UPDATE for a workflow step)."""
    try:
        uuid.UUID(application_id)
    except ValueError:
        return None
    sql = f"SELECT {_COLUMNS} FROM registry.applications a WHERE a.id = :id" + (" FOR UPDATE" if lock else "")
    row = (await session.execute(text(sql), {"id": application_id})).mappings().first()
    return dict(row) if row else None


async def by_listing(session: AsyncSession, *, listing_id: str) -> dict | None:
    """The application opened for a concluded deal, if any."""
    row = (
        await session.execute(
            text(f"SELECT {_COLUMNS} FROM registry.applications a WHERE a.listing_id = :l"), {"l": listing_id}
        )
    ).mappings().first()
    return dict(row) if row else None


async def update_application(session: AsyncSession, *, application_id: str, changes: dict[str, Any]) -> None:
    """Set workflow columns (the row is locked by the caller)."""
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    sets = ", ".join(f"{k} = CAST(:{k} AS jsonb)" if k in _JSON else f"{k} = :{k}" for k in changes)
    params = {k: _dumps(v) if k in _JSON else v for k, v in changes.items()}
    await session.execute(
        text(f"UPDATE registry.applications SET {sets}, updated_at = now() WHERE id = :id"), {**params, "id": application_id}
    )


async def add_history(
    session: AsyncSession, *, application_id: str, action: str, from_status: str | None, to_status: str,
    actor: str, office: str | None, note: dict[str, Any] | None = None,
) -> None:
    """Append one step to the application's trail."""
    await session.execute(
        text(
            "INSERT INTO registry.application_history (application_id, action, from_status, to_status, actor, office, note) "
            "VALUES (:id, :action, :f, :t, :actor, :office, CAST(:note AS jsonb))"
        ),
        {"id": application_id, "action": action, "f": from_status, "t": to_status, "actor": actor, "office": office,
         "note": _dumps(note or {})},
    )


async def history(session: AsyncSession, *, application_id: str) -> list[dict]:
    """The trail, oldest first."""
    rows = await session.execute(
        text(
            "SELECT action, from_status, to_status, actor, office, note, at FROM registry.application_history "
            "WHERE application_id = :id ORDER BY id"
        ),
        {"id": application_id},
    )
    return [dict(r) for r in rows.mappings()]


async def insert_document(session: AsyncSession, *, application_id: str, kind: str, filename: str, media_type: str,
                          content: bytes, sha256: str, actor: str) -> dict:
    """Store an uploaded document's bytes and digest."""
    doc_id = str(uuid.uuid4())
    row = (
        await session.execute(
            text(
                "INSERT INTO registry.application_documents (id, application_id, kind, filename, media_type, size_bytes, "
                "sha256, content, uploaded_by) VALUES (:id, :app, :kind, :fn, :mt, :size, :sha, :content, :by) "
                "RETURNING uploaded_at"
            ),
            {"id": doc_id, "app": application_id, "kind": kind, "fn": filename, "mt": media_type, "size": len(content),
             "sha": sha256, "content": content, "by": actor},
        )
    ).one()
    return {"id": doc_id, "kind": kind, "filename": filename, "media_type": media_type, "size_bytes": len(content),
            "sha256": sha256, "uploaded_at": row.uploaded_at}


async def documents(session: AsyncSession, *, application_id: str) -> list[dict]:
    """Metadata of an application's documents."""
    rows = await session.execute(
        text(
            "SELECT id::text AS id, kind, filename, media_type, size_bytes, sha256, uploaded_at "
            "FROM registry.application_documents WHERE application_id = :id ORDER BY uploaded_at, id"
        ),
        {"id": application_id},
    )
    return [dict(r) for r in rows.mappings()]


async def document_content(session: AsyncSession, *, application_id: str, document_id: str) -> dict | None:
    """One document with its bytes."""
    try:
        uuid.UUID(document_id)
    except ValueError:
        return None
    row = (
        await session.execute(
            text(
                "SELECT id::text AS id, filename, media_type, sha256, content FROM registry.application_documents "
                "WHERE id = :d AND application_id = :a"
            ),
            {"d": document_id, "a": application_id},
        )
    ).mappings().first()
    return dict(row) if row else None


async def overdue(session: AsyncSession, *, today: date, office: str | None, limit: int = 500) -> list[dict]:
    """Open applications past their deadline (one office's, or all)."""
    sql = (
        f"SELECT {_COLUMNS} FROM registry.applications a WHERE a.status IN ('accepted', 'public_notice', 'reviewed') "
        "AND a.deadline < :today"
    )
    params: dict[str, Any] = {"today": today, "limit": limit}
    if office:
        sql += " AND (a.competent_office = :office OR a.receiving_office = :office)"
        params["office"] = office
    rows = await session.execute(text(sql + " ORDER BY a.deadline, a.number LIMIT :limit"), params)
    return [dict(r) for r in rows.mappings()]


async def list_for(session: AsyncSession, *, subject: str | None, office: str | None, status: str | None,
                   limit: int = 200) -> list[dict]:
    """Applications of an applicant, or of an office, newest first."""
    where, params = [], {"limit": limit}
    if subject:
        where.append("(a.applicant_subject = :subject OR a.filed_by = :subject)")
        params["subject"] = subject
    if office:
        where.append("(a.competent_office = :office OR a.receiving_office = :office)")
        params["office"] = office
    if status:
        where.append("a.status = :status")
        params["status"] = status
    clause = " AND ".join(where) or "true"
    rows = await session.execute(
        text(f"SELECT {_COLUMNS} FROM registry.applications a WHERE {clause} ORDER BY a.submitted_at DESC LIMIT :limit"),
        params,
    )
    return [dict(r) for r in rows.mappings()]
