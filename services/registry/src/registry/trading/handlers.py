"""Handlers of the trading events, each run in the inbox transaction (so each applies once)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from natres_platform.consumer import InboxConsumer
from natres_platform.events import CloudEvent
from natres_platform.uow import UnitOfWork
from registry.events import SYSTEM_ACTOR
from registry.runtime import Registry
from registry.trading.deal import open_registration, withdraw_registration
from registry.trading.marks import clear_mark, mark

Handler = Callable[[UnitOfWork, CloudEvent], Awaitable[None]]


def trading_handlers(registry: Registry) -> dict[str, Handler]:
    """Event type -> effect; safe on redelivery even without the inbox (each checks the state first)."""

    async def announced(uow: UnitOfWork, event: CloudEvent) -> None:
        await mark(uow, unit_id=event.data["unit_id"], listing_id=event.data["listing_id"], actor=SYSTEM_ACTOR)

    async def ended(uow: UnitOfWork, event: CloudEvent) -> None:
        reason = f"{event.type.split('.')[2]}: {event.data.get('reason', '')}".strip()
        await clear_mark(uow, unit_id=event.data["unit_id"], listing_id=event.data["listing_id"], reason=reason,
                         actor=SYSTEM_ACTOR)

    async def concluded(uow: UnitOfWork, event: CloudEvent) -> None:
        await open_registration(uow, event=event, time_limits=registry.settings.time_limits)

    async def defaulted(uow: UnitOfWork, event: CloudEvent) -> None:
        # The application first (it is what may refuse, parking the event whole), then the mark, which
        # clear_mark lifts only while this listing holds it: a relisting's mark is another listing's.
        await withdraw_registration(uow, event=event)
        await ended(uow, event)

    return {
        "transactions.listing.announced.v1": announced,
        "transactions.listing.failed.v1": ended,
        "transactions.listing.terminated.v1": ended,
        "transactions.deal.concluded.v1": concluded,
        "transactions.deal.defaulted.v1": defaulted,
    }


def trading_consumer(registry: Registry, *, topics: list[str] | None = None, group_id: str | None = None,
                     **kwargs) -> InboxConsumer:
    """The consumer of natres.transactions.v1 in the registry's group."""
    ctx, s = registry.ctx, registry.settings
    return InboxConsumer(
        sessionmaker=ctx.sessionmaker,
        tables=ctx.tables,
        schemas=ctx.schemas,
        uow_factory=ctx.uow,
        bootstrap=s.infra.kafka_bootstrap,
        topics=topics or [s.trading_topic],
        group_id=group_id or s.consumer_group,
        handlers=trading_handlers(registry),
        **kwargs,
    )
