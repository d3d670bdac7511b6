"""Replay of parked messages: each goes back through its consumer's effect path; the row is kept, with what happened."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB

from natres_platform.consumer import InboxConsumer, Outcome
from natres_platform.db import SessionMaker
from natres_platform.errors import NotFound
from natres_platform.messaging_tables import MessagingTables

log = logging.getLogger(__name__)

RESOLVED = ("applied", "duplicate")  # the effect is in the database now (or already was)
NO_HANDLER = "consumer.no_handler"


class ParkedNotFound(NotFound):
    code = "parked.not_found"
    title = "暂存消息不存在"


@dataclass(frozen=True)
class ParkedRecord:
    """A parked row in the shape of the Kafka record it was read as (same position, so same inbox row)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


@dataclass(frozen=True)
class ReplayResult:
    """What one replay did to one parked row."""

    id: int
    topic: str | None
    event_id: str | None
    event_type: str | None
    # applied | duplicate | parked | error | no_consumer | already_resolved | would_replay (dry run) | not_found
    outcome: str
    # why the row is still parked; None once admitted
    reason_code: str | None = None
    reason: str | None = None
    resolved_at: datetime | None = None

    @property
    def resolved(self) -> bool:
        """Whether the message is admitted now (by this replay or an earlier one)."""
        return self.outcome in (*RESOLVED, "already_resolved")


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def select_parked(
    session: Any, tables: MessagingTables, *, ids: Sequence[int] | None, reason_like: str | None
) -> list[int]:
    """Ids to replay, oldest first: the given ones, else every unresolved one; narrowed by `reason_like`."""
    # reason_like: the reason code or the reason contains the text, case-insensitive (no LIKE wildcards)
    p = tables.parked
    query = select(p.c.id).order_by(p.c.id)
    if ids is not None:
        query = query.where(p.c.id.in_(list(ids)))
    else:
        query = query.where(p.c.resolved_at.is_(None))
    if reason_like:
        pattern = _like(reason_like)
        query = query.where(or_(p.c.reason_code.ilike(pattern), p.c.reason.ilike(pattern)))
    return list((await session.scalars(query)).all())


def _consumer_for(consumers: Iterable[InboxConsumer], topic: str) -> InboxConsumer | None:
    return next((c for c in consumers if topic in c.topics), None)


async def replay_one(
    *, sessionmaker: SessionMaker, tables: MessagingTables, consumers: Sequence[InboxConsumer], parked_id: int,
    actor: str, dry_run: bool = False,
) -> ReplayResult:
    """Re-run one parked row through the consumer of its topic and record the attempt on the row."""
    p = tables.parked
    async with sessionmaker() as session, session.begin():
        # Held until the attempt is recorded: a concurrent replay of this row waits, then sees it resolved.
        row = (
            await session.execute(select(p).where(p.c.id == parked_id).with_for_update(of=p))
        ).mappings().first()
        if row is None:
            return ReplayResult(id=parked_id, topic=None, event_id=None, event_type=None, outcome="not_found")
        base = {"id": row["id"], "topic": row["topic"], "event_id": row["event_id"], "event_type": row["event_type"]}
        if row["resolved_at"] is not None:
            return ReplayResult(**base, outcome="already_resolved", resolved_at=row["resolved_at"])
        consumer = _consumer_for(consumers, row["topic"])
        if dry_run:
            return ReplayResult(**base, outcome="would_replay" if consumer else "no_consumer",
                                reason_code=row["reason_code"], reason=row["reason"])
        now = datetime.now(UTC)
        entry: dict[str, Any] = {"at": now.isoformat(), "by": actor,
                                 "previous_reason_code": row["reason_code"], "previous_reason": row["reason"]}
        values: dict[str, Any] = {}
        outcome, code, reason = "error", row["reason_code"], row["reason"]
        if consumer is None:
            outcome = "no_consumer"
            entry["detail"] = f"no consumer of topic {row['topic']} in this service"
        else:
            record = ParkedRecord(topic=row["topic"], partition=row["partition"], offset=row["offset"],
                                  key=row["key"].encode() if row["key"] is not None else None, value=bytes(row["raw"]))
            try:
                done = await consumer.apply_record(record)
            except Exception as exc:  # noqa: BLE001 - an outage is not a verdict on the message: keep its reason
                entry["detail"] = repr(exc)[:2000]
            else:
                if done.status == "skipped":  # parses now, but nothing here handles its type: still not admitted
                    done = Outcome.refused(NO_HANDLER, f"本服务的消费者不处理事件类型 {done.event_type}",
                                           event_id=done.event_id, event_type=done.event_type)
                # An event parked unparseable gets its id and type on the row once they are known.
                values.update(event_id=done.event_id or row["event_id"],
                              event_type=done.event_type or row["event_type"])
                base.update(event_id=values["event_id"], event_type=values["event_type"])
                if done.status == "refused":
                    outcome, code, reason = "parked", done.code, (done.reason or "")[:4000]
                    values.update(reason_code=code, reason=reason)
                else:
                    outcome, code, reason = done.status, None, None
                    values.update(resolved_at=now, resolution=done.status)
        entry.update(outcome=outcome, reason_code=code, reason=reason)
        values["replays"] = p.c.replays.op("||")(bindparam("entry", [entry], type_=JSONB))
        await session.execute(update(p).where(p.c.id == parked_id).values(**values))
    log.info("parked event replayed", extra={"parked_id": parked_id, "outcome": outcome, "reason_code": code})
    return ReplayResult(**base, outcome=outcome, reason_code=code, reason=reason, resolved_at=values.get("resolved_at"))


async def replay_parked(
    *, sessionmaker: SessionMaker, tables: MessagingTables, consumers: Sequence[InboxConsumer],
    ids: Sequence[int] | None = None, reason_like: str | None = None, dry_run: bool = False, actor: str,
) -> list[ReplayResult]:
    """Replay the selected rows in the order they were parked (an unknown id comes back as `not_found`)."""
    async with sessionmaker() as session:
        selected = await select_parked(session, tables, ids=ids, reason_like=reason_like)
    results = [
        await replay_one(sessionmaker=sessionmaker, tables=tables, consumers=consumers, parked_id=parked_id,
                         actor=actor, dry_run=dry_run)
        for parked_id in selected
    ]
    if ids is not None and not reason_like:
        missing = sorted(set(ids) - set(selected))
        results += [ReplayResult(id=i, topic=None, event_id=None, event_type=None, outcome="not_found")
                    for i in missing]
    return results


async def replay_by_id(
    *, ctx: Any, consumers: Callable[[], list[InboxConsumer]] | None, parked_id: int, actor: str
) -> ReplayResult:
    """One row through consumers built for the call (and closed after); 404 when there is no such row."""
    built = consumers() if consumers else []
    try:
        [result] = await replay_parked(sessionmaker=ctx.sessionmaker, tables=ctx.tables, consumers=built,
                                       ids=[parked_id], actor=actor)
    finally:
        for consumer in built:
            await consumer.close()
    if result.outcome == "not_found":
        raise ParkedNotFound(f"暂存消息 {parked_id} 不存在", parked_id=parked_id)
    return result


def _cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli"


def replay_command(argv: list[str], *, context_factory: Callable[[], Any],
                   consumers: Callable[[Any], list] | None) -> int:
    """`replay-parked [--id N ...|--all] [--reason-like TEXT] [--dry-run]`; exit 1 if any stays parked."""
    parser = argparse.ArgumentParser(prog="replay-parked", description=
                                     "Re-run parked events through this service's consumer (the row is kept).")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--id", type=int, nargs="+", dest="ids", metavar="N", help="parked_events ids")
    which.add_argument("--all", action="store_true", help="every parked event not resolved yet")
    parser.add_argument("--reason-like", metavar="TEXT", help="only rows whose reason code or reason contains TEXT")
    parser.add_argument("--dry-run", action="store_true", help="list what would be replayed; change nothing")
    args = parser.parse_args(argv)
    if not (args.ids or args.all or args.reason_like):
        parser.error("choose --id N ..., --all or --reason-like TEXT")
    return asyncio.run(_replay_main(args, context_factory=context_factory, consumers=consumers))


async def _replay_main(args: argparse.Namespace, *, context_factory: Callable[[], Any],
                       consumers: Callable[[Any], list] | None) -> int:
    ctx = context_factory()
    built = [c for c in (consumers(ctx) if consumers else []) if isinstance(c, InboxConsumer)]
    try:
        results = await replay_parked(sessionmaker=ctx.sessionmaker, tables=ctx.tables, consumers=built,
                                      ids=args.ids, reason_like=args.reason_like, dry_run=args.dry_run,
                                      actor=_cli_actor())
    finally:
        for consumer in built:
            await consumer.close()
        await ctx.aclose()
    for r in results:
        columns = (r.id, r.outcome, r.event_type or "-", r.event_id or "-", r.reason_code or "", r.reason or "")
        print("\t".join(map(str, columns)))
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing selected"
    print(f"replay-parked: {summary}", file=sys.stderr)
    return 0 if args.dry_run or all(r.resolved for r in results) else 1
