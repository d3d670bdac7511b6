"""地证同交, our side: record the registry's confirmation that a unit is marked / cleared for trade."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from natres_platform.consumer import InboxConsumer
from natres_platform.errors import Conflict
from natres_platform.events import CloudEvent, utc_now
from natres_platform.uow import UnitOfWork

from transactions.feed import repository as feed
from transactions.listings import repository
from transactions.listings.errors import ListingNotFound
from transactions.listings.states import ListingState
from transactions.listings.transitions import next_action_at
from transactions.trading import Trading

log = logging.getLogger(__name__)

TRADE_MARKED = "registry.unit.trade_marked.v1"
TRADE_CLEARED = "registry.unit.trade_cleared.v1"


class UnitMismatch(Conflict):
    code = "saga.unit_mismatch"
    title = "登记机构确认的单元与交易项目的单元不一致"


async def _locked_listing(uow: UnitOfWork, event: CloudEvent) -> Any:
    listing_id, unit_id = str(event.data["listing_id"]), str(event.data["unit_id"])
    try:
        uuid.UUID(listing_id)
    except ValueError:
        raise ListingNotFound(listing_id=listing_id) from None  # permanent: parked with the reason
    row = await repository.get(uow.session, listing_id=listing_id, lock=True)
    if row is None:
        raise ListingNotFound(listing_id=listing_id)
    if row.unit_id != unit_id:
        raise UnitMismatch(listing_id=listing_id, unit_id=unit_id, expected_unit_id=row.unit_id)
    return row


async def on_trade_marked(uow: UnitOfWork, event: CloudEvent) -> None:
    """The unit is marked in trade: registration may open once its start time comes."""
    row = await _locked_listing(uow, event)
    if row.unit_marked_at is not None:
        return
    now = utc_now()
    values: dict[str, Any] = {"unit_marked_at": now, "updated_at": now}
    if row.state == ListingState.ANNOUNCED:
        values["next_action_at"] = next_action_at({**row._mapping, **values})
    await repository.update_row(uow.session, listing_id=row.id, values=values)
    await feed.append(uow.session, listing_id=row.id, kind="unit_marked", data={"registry_event_id": event.id},
                      now=now)


async def on_trade_cleared(uow: UnitOfWork, event: CloudEvent) -> None:
    """The registry lifted its mark (after our failed / terminated / concluded-and-recorded events)."""
    row = await _locked_listing(uow, event)
    if row.unit_cleared_at is not None:
        return
    now = utc_now()
    if row.state not in (ListingState.CONCLUDED, ListingState.FAILED, ListingState.TERMINATED):
        log.warning("registry cleared the trade mark of an open listing", extra={"listing_id": row.id})
    await repository.update_row(uow.session, listing_id=row.id, values={"unit_cleared_at": now, "updated_at": now})
    await feed.append(uow.session, listing_id=row.id, kind="unit_cleared", data={"registry_event_id": event.id},
                      now=now)


def registry_consumer(trading: Trading) -> InboxConsumer:
    """The consumer of the registry topic (inbox-deduplicated; refusals parked with their reason)."""
    ctx, s = trading.ctx, trading.settings
    return InboxConsumer(
        sessionmaker=ctx.sessionmaker,
        tables=ctx.tables,
        schemas=ctx.schemas,
        uow_factory=ctx.uow,
        bootstrap=s.infra.kafka_bootstrap,
        topics=[s.registry_topic],
        group_id=s.consumer_group,
        handlers={TRADE_MARKED: on_trade_marked, TRADE_CLEARED: on_trade_cleared},
    )
