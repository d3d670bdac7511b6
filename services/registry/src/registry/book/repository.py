"""SQL for the book: append an entry, read versions, as-of reads. Never UPDATE or DELETE (the DB refuses)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_COLUMNS = """
    b.id::text AS id, b.unit_id::text AS unit_id, b.version, b.recorded_state, b.right_type, b.holders, b.sharing,
    b.term_start, b.term_end, b.source, b.land_use, b.restrictions, b.details, b.corrects_entry_id::text AS corrects_entry_id,
    b.application_id::text AS application_id, b.registration_type, b.recorded_at, b.recorded_by
"""


async def latest_entry(session: AsyncSession, *, unit_id: str, as_of: datetime | None = None) -> dict | None:
    """The newest entry of a unit (as of an instant when given)."""
    sql = f"SELECT {_COLUMNS} FROM registry.book_entries b WHERE b.unit_id = :u"
    params: dict[str, Any] = {"u": unit_id}
    if as_of is not None:
        sql += " AND b.recorded_at <= :t"
        params["t"] = as_of
    row = (await session.execute(text(sql + " ORDER BY b.version DESC LIMIT 1"), params)).mappings().first()
    return dict(row) if row else None


async def entries(session: AsyncSession, *, unit_id: str, as_of: datetime | None = None) -> list[dict]:
    """All entries of a unit, oldest first (up to an instant when given)."""
    sql = f"SELECT {_COLUMNS} FROM registry.book_entries b WHERE b.unit_id = :u"
    params: dict[str, Any] = {"u": unit_id}
    if as_of is not None:
        sql += " AND b.recorded_at <= :t"
        params["t"] = as_of
    rows = await session.execute(text(sql + " ORDER BY b.version"), params)
    return [dict(r) for r in rows.mappings()]


async def entry_by_id(session: AsyncSession, *, entry_id: str) -> dict | None:
    """One entry by id."""
    try:
        uuid.UUID(entry_id)
    except ValueError:
        return None
    row = (
        await session.execute(text(f"SELECT {_COLUMNS} FROM registry.book_entries b WHERE b.id = :id"), {"id": entry_id})
    ).mappings().first()
    return dict(row) if row else None


async def append_entry(session: AsyncSession, *, unit_id: str, fields: dict[str, Any], recorded_by: str) -> dict:
    """Append the next version; the caller holds the unit row lock, so versions never race."""
    entry_id = str(uuid.uuid4())
    row = (
        await session.execute(
            text(
                """
                INSERT INTO registry.book_entries (id, unit_id, version, recorded_state, right_type, holders, sharing,
                    term_start, term_end, source, land_use, restrictions, details, corrects_entry_id, application_id,
                    registration_type, recorded_by)
                SELECT :id, :unit, coalesce(max(version), 0) + 1, :state, :right_type, CAST(:holders AS jsonb), :sharing,
                    :term_start, :term_end, :source, :land_use, CAST(:restrictions AS jsonb), CAST(:details AS jsonb),
                    :corrects, :application, :reg_type, :by
                FROM registry.book_entries WHERE unit_id = :unit
                RETURNING version, recorded_at
                """
            ),
            {
                "id": entry_id,
                "unit": unit_id,
                "state": fields["recorded_state"],
                "right_type": fields.get("right_type"),
                "holders": json.dumps(fields.get("holders") or [], ensure_ascii=False),
                "sharing": fields.get("sharing"),
                "term_start": fields.get("term_start"),
                "term_end": fields.get("term_end"),
                "source": fields.get("source"),
                "land_use": fields.get("land_use"),
                "restrictions": json.dumps(fields.get("restrictions") or [], ensure_ascii=False),
                "details": json.dumps(fields.get("details") or {}, ensure_ascii=False),
                "corrects": fields.get("corrects_entry_id"),
                "application": fields.get("application_id"),
                "reg_type": fields.get("registration_type"),
                "by": recorded_by,
            },
        )
    ).one()
    return {**fields, "id": entry_id, "unit_id": unit_id, "version": row.version, "recorded_at": row.recorded_at,
            "recorded_by": recorded_by}


async def units_held_by(session: AsyncSession, *, subject: str | None, org_code: str | None, id_number: str | None,
                        name: str | None = None, limit: int = 200) -> list[dict]:
    """Latest current or provisional entries naming a holder (subject, org code, id number or name), newest first."""
    probes = []
    if subject:
        probes.append(json.dumps([{"subject": subject}]))
    if org_code:
        probes.append(json.dumps([{"org_code": org_code}]))
    if id_number:
        probes.append(json.dumps([{"id_number": id_number}]))
    if name:
        probes.append(json.dumps([{"name": name}], ensure_ascii=False))
    if not probes:
        return []
    rows = await session.execute(
        text(
            f"""
            SELECT {_COLUMNS}, u.code AS unit_code, u.kind AS unit_kind FROM registry.book_entries b
            JOIN registry.units u ON u.id = b.unit_id
            WHERE b.holders @> ANY(CAST(:probes AS jsonb[]))
              AND b.recorded_state IN ('current', 'provisional')
              AND b.version = (SELECT max(version) FROM registry.book_entries x WHERE x.unit_id = b.unit_id)
            ORDER BY b.recorded_at DESC, u.code LIMIT :limit
            """
        ),
        {"probes": probes, "limit": limit},
    )
    return [dict(r) for r in rows.mappings()]
