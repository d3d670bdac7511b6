"""Blacklist use cases: list a defaulting winner, show entries to overseers, lift an entry early."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from natres_platform.auth import Principal
from natres_platform.events import utc_now
from natres_platform.uow import UnitOfWork

from transactions.blacklist import repository
from transactions.blacklist.errors import BlacklistAlreadyLifted, BlacklistEntryExpired, BlacklistEntryNotFound
from transactions.events import listing_event
from transactions.listings.service import load as load_listing
from transactions.regions import overseen_prefix, require_jurisdiction
from transactions.trading import Trading

# Named after transactions.bidder.blacklisted.v1, the event that opened the entry.
BLACKLISTED = "transactions.bidder.blacklisted.v1"
LIFTED = "transactions.bidder.blacklist_lifted.v1"


async def list_defaulter(*, uow: UnitOfWork, trading: Trading, listing: Any, winner: Any, reason: str, actor: str,
                         now: datetime) -> int | None:
    """Bar the defaulting winner (account and enterprise) for TRANSACTIONS_BLACKLIST_DAYS; once per registration."""
    days = trading.settings.blacklist_days
    until = now + timedelta(days=days) if days > 0 else None
    entry_id = await repository.add(uow.session, registration=winner, listing_id=listing.id, reason=reason, now=now,
                                    until=until)
    if entry_id is not None:
        uow.record(listing_event(
            type=BLACKLISTED, listing=listing, actor=actor,
            data={"blacklist_id": entry_id, "registration_id": winner.id, "bidder_subject": winner.bidder_subject,
                  "org_code": winner.org_code, "reason": reason, "listed_at": now, "until": until},
        ))
    return entry_id


async def entries(
    *, trading: Trading, principal: Principal, active: bool | None, subject: str | None, org_code: str | None,
    listing_id: str | None, after_id: int, limit: int,
) -> tuple[Sequence[Any], datetime]:
    """Entries the caller oversees (supervisors: all; a trading administrator: from listings in their region)."""
    prefix = overseen_prefix(principal)
    now = utc_now()
    async with trading.uow() as uow:
        rows = await repository.page(uow.session, now=now, county_prefix=prefix, active=active, subject=subject,
                                     org_code=org_code, listing_id=listing_id, after_id=after_id, limit=limit)
    return rows, now


async def lift(*, trading: Trading, entry_id: int, reason: str, document_ref: str | None,
               actor: Principal) -> tuple[Any, datetime]:
    """End an entry early (解除): recorded on the row, which stays; the bidder may register again."""
    now = utc_now()
    async with trading.uow() as uow:
        entry = await repository.get(uow.session, entry_id=entry_id, lock=True)
        if entry is None:
            raise BlacklistEntryNotFound(entry_id=entry_id)
        # The office that runs the listing the default happened on decides (as for the listing itself).
        require_jurisdiction(actor, entry.county_code)
        if entry.lifted_at is not None:
            raise BlacklistAlreadyLifted(entry_id=entry_id, lifted_at=entry.lifted_at.isoformat(),
                                         lifted_by=entry.lifted_by)
        if entry.until is not None and entry.until <= now:
            raise BlacklistEntryExpired(entry_id=entry_id, until=entry.until.isoformat())
        await repository.lift(uow.session, entry_id=entry_id, actor=actor.subject, reason=reason,
                              document_ref=document_ref, now=now)
        listing = await load_listing(uow, listing_id=entry.listing_id)
        # Keyed by the listing like the blacklisted event, so consumers see the two in order.
        uow.record(listing_event(
            type=LIFTED, listing=listing, actor=actor.subject,
            data={"blacklist_id": entry.id, "registration_id": entry.registration_id,
                  "bidder_subject": entry.bidder_subject, "org_code": entry.org_code,
                  "listed_at": entry.listed_at, "until": entry.until, "reason": reason,
                  "document_ref": document_ref, "lifted_at": now},
        ))
        row = await repository.get(uow.session, entry_id=entry_id)
        await uow.commit()
    return row, now
