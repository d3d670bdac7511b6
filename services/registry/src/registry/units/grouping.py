"""Single registrations that arrive together go to the database together (group commit).

While one call of `registry.register_units` is running, the registrations that arrive wait in a
queue; when it returns, the next call takes them all (`p_each`: every unit that passes is registered,
in arrival order, exactly as if they had come one by one: a unit overlapping one registered earlier
in the same call gets the usual 409 naming it). One transaction, one set of locks and one commit for
the group instead of one each. An idle service sends each registration at once, alone. If a grouped
call fails as a whole (e.g. a code registered concurrently by another process), each registration
is retried alone, so one request's problem never becomes another's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import asyncpg
from prometheus_client import Histogram

from registry.errors import UnitCodeTaken, UnitOverlap
from registry.pgpool import PgPool
from registry.units.registration import Planned, arguments, call_on_connection, problem_of, unit_of

log = logging.getLogger(__name__)
GROUP_SIZE = Histogram("registry_registration_group_size", "Single registrations sent to the database together",
                       buckets=(1, 2, 4, 8, 16, 32, 64))


class RegistrationGroups:
    """Per process: a queue of planned single registrations and at most `parallel` calls in flight."""

    def __init__(self, pool: PgPool, *, topic: str, province_bbox: Sequence[float], max_group: int = 64,
                 parallel: int = 1) -> None:
        self._pool = pool
        self._topic = topic
        self._province = tuple(province_bbox)
        self._max = max_group
        self._slots = parallel
        self._queue: list[tuple[Planned, asyncio.Future]] = []

    async def register(self, planned: Planned) -> dict[str, Any]:
        """The registered unit, or the error this unit alone would have got."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._queue.append((planned, future))
        if self._slots > 0:
            self._slots -= 1
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._queue:
                group, self._queue = self._queue[: self._max], self._queue[self._max:]
                await self._run(group)
        finally:
            self._slots += 1

    async def _run(self, group: list[tuple[Planned, asyncio.Future]]) -> None:
        planned = [p for p, _ in group]
        GROUP_SIZE.observe(len(group))
        try:
            rows = await self._call(planned)
        except Exception as exc:  # noqa: BLE001 - decided per registration below
            if len(group) == 1:
                _settle(group[0][1], exc)
                return
            log.info("grouped registration failed as a whole; retrying each alone", extra={"error": repr(exc)})
            for item in group:
                await self._run([item])
            return
        for (p, future), row in zip(group, rows):
            if row["outcome"] == "ok":
                _settle(future, unit_of(p, row))
            else:
                _settle(future, _single_problem(p, row, planned, self._province))

    async def _call(self, planned: list[Planned]) -> list[dict[str, Any]]:
        pool: asyncpg.Pool = await self._pool.get()
        async with pool.acquire() as conn:
            return await call_on_connection(conn, arguments(planned, province_bbox=self._province, topic=self._topic,
                                                            each=True))


def _settle(future: asyncio.Future, outcome: Any) -> None:
    if future.done():  # the request went away (client disconnected)
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _single_problem(p: Planned, row: dict[str, Any], planned: list[Planned], province: Sequence[float]) -> Exception:
    """What the unit would have got alone: another unit of the group was simply registered first."""
    if row["outcome"] in ("overlap_in_batch", "code_repeated"):
        other = planned[int(row["other_id"]) - 1]
        if row["outcome"] == "code_repeated":
            return UnitCodeTaken(f"登记单元代码 {p.identity.code} 已存在", unit_code=p.identity.code)
        return UnitOverlap(f"与现势登记单元 {other.identity.code} 存在面状重叠（同一图层 {p.identity.layer}）",
                           other_unit_id=other.id, other_unit_code=other.identity.code, layer=p.identity.layer)
    return problem_of(p, row, planned, province)
