"""Streamed exports: NDJSON lines carrying the canonical event bytes verbatim, or CSV."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import AsyncIterator, Sequence

from sqlalchemy import Row

from audit.entries import repository as repo
from audit.entries.schemas import EntryFilters
from audit.runtime import AuditRuntime
from natres_platform.events import rfc3339

CSV_COLUMNS = (
    "index", "event_id", "type", "source", "subject", "actor", "region", "time", "appended_at", "leaf_hash", "event",
)
MEDIA_TYPES = {"ndjson": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


def ndjson_lines(rows: Sequence[Row]) -> bytes:
    """One JSON object per entry; `event` is the logged RFC 8785 text, so a verifier re-hashes it as is."""
    out = []
    for row in rows:
        meta = {"index": row.idx, "appended_at": rfc3339(row.appended_at), "leaf_hash": base64.b64encode(row.leaf_hash).decode()}
        head = json.dumps(meta, separators=(",", ":"))
        out.append(head[:-1].encode() + b',"event":' + bytes(row.canonical) + b"}\n")
    return b"".join(out)


def csv_lines(rows: Sequence[Row], *, header: bool = False) -> bytes:
    """CSV rows (RFC 4180); the last column holds the canonical event JSON."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            (
                row.idx,
                row.event_id,
                row.event_type,
                row.source,
                row.subject,
                row.actor,
                row.region or "",
                rfc3339(row.event_time),
                rfc3339(row.appended_at),
                base64.b64encode(row.leaf_hash).decode(),
                bytes(row.canonical).decode("utf-8"),
            )
        )
    return buf.getvalue().encode("utf-8")


async def stream(*, runtime: AuditRuntime, filters: EntryFilters, fmt: str) -> AsyncIterator[bytes]:
    """Read with a server-side cursor in one snapshot, a chunk at a time, so memory stays flat."""
    chunk = runtime.settings.export_chunk_rows
    stmt = repo.filtered(runtime.tables, filters).execution_options(yield_per=chunk)
    async with runtime.ctx.sessionmaker() as session, session.begin():
        if fmt == "csv":
            yield csv_lines([], header=True)
        result = await session.stream(stmt)
        async for rows in result.partitions(chunk):
            yield ndjson_lines(rows) if fmt == "ndjson" else csv_lines(rows)
