"""Unit of work: one database transaction for domain rows and their outbox events."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession

from natres_platform.db import SessionMaker
from natres_platform.events import CloudEvent, SchemaRegistry
from natres_platform.messaging_tables import MessagingTables


class UnitOfWork:
    """`async with uow: ...; uow.record(event); await uow.commit()` — all or nothing."""

    def __init__(
        self, *, sessionmaker: SessionMaker, tables: MessagingTables, schemas: SchemaRegistry, topic: str
    ) -> None:
        self._sessionmaker = sessionmaker
        self._tables = tables
        self._schemas = schemas
        self._topic = topic
        self._session: AsyncSession | None = None
        self._pending: list[tuple[CloudEvent, str]] = []

    @property
    def session(self) -> AsyncSession:
        """The open session (only inside `async with`)."""
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside 'async with'")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._sessionmaker()
        self._pending = []
        await self._session.begin()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            if session.in_transaction():
                await session.rollback()
        finally:
            await session.close()

    def record(self, event: CloudEvent, *, topic: str | None = None) -> CloudEvent:
        """Validate against the contract now (a bad event fails the caller) and queue it."""
        self._schemas.validate(event)
        self._pending.append((event, topic or self._topic))
        return event

    async def flush_events(self) -> None:
        """Write queued events as outbox rows inside the open transaction."""
        if not self._pending:
            return
        rows = [
            {"event_id": e.id, "topic": t, "key": e.subject, "event_type": e.type, "payload": e.to_dict()}
            for e, t in self._pending
        ]
        await self.session.execute(self._tables.outbox.insert(), rows)
        self._pending = []

    async def commit(self) -> None:
        """Write the outbox rows and commit everything in one go."""
        await self.flush_events()
        await self.session.commit()

    async def rollback(self) -> None:
        """Drop domain rows and queued events alike."""
        self._pending = []
        await self.session.rollback()
