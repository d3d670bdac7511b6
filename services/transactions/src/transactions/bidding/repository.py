"""Bid rows: the locked read that admits a bid, the one-statement write, and the bid lists."""

from __future__ import annotations

import json
from types import SimpleNamespace
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from transactions.bidders.models import registrations
from transactions.bidding.models import bids

# Lock the listing row first: every bid on a listing serialises here, and the listing values
# come back as of the lock (PostgreSQL re-reads a row it waited for).
_LOCK = text("""
SELECT l.id, l.county_code, l.unit_id, l.unit_code, l.method, l.state, l.start_price, l.increment,
       l.current_price, l.leader_registration_id, l.last_seq, l.opens_at, l.closes_at
FROM transactions.listings l WHERE l.id = :listing_id
FOR UPDATE
""")

# Then, in a fresh statement (so a fresh READ COMMITTED snapshot that sees whatever committed
# while we waited for the lock): the caller's registration, the bid already made with this
# idempotency key, and whether the caller already bid (tenders take one sealed bid each).
_BIDDER = text("""
SELECT r.id AS reg_id, r.status AS reg_status, r.bidder_number, r.wants_continue,
       k.seq AS key_seq, k.amount AS key_amount, k.sealed IS NOT NULL AS key_sealed, k.placed_at AS key_placed_at,
       EXISTS (SELECT 1 FROM transactions.bids b WHERE b.registration_id = r.id) AS has_bid
FROM transactions.registrations r
LEFT JOIN transactions.bids k ON k.registration_id = r.id AND k.idempotency_key = :key
WHERE r.listing_id = :listing_id AND r.bidder_subject = :subject
""")
_NO_BIDDER = dict.fromkeys(("reg_id", "reg_status", "bidder_number", "wants_continue", "key_seq", "key_amount",
                            "key_sealed", "key_placed_at", "has_bid"))

# One statement: the bid, the listing's new price/leader/deadline/counters, and the feed item.
_ACCEPT = text("""
WITH b AS (
    INSERT INTO transactions.bids (listing_id, seq, registration_id, bidder_number, amount, sealed, phase,
                                   placed_at, idempotency_key, client_ip)
    VALUES (:listing_id, :seq, :reg_id, :bidder_number, :amount, :sealed, :phase, :now, :key, :client_ip)
), l AS (
    UPDATE transactions.listings
       SET last_seq = :seq, feed_seq = feed_seq + 1,
           current_price = COALESCE(:amount, current_price),
           leader_registration_id = CASE WHEN :amount IS NULL THEN leader_registration_id ELSE :reg_id END,
           closes_at = :closes_at, next_action_at = :closes_at, updated_at = :now
     WHERE id = :listing_id
 RETURNING feed_seq
)
INSERT INTO transactions.feed_items (listing_id, seq, kind, data, created_at)
SELECT :listing_id, l.feed_seq, 'bid', CAST(:feed AS jsonb), :now FROM l
""")


# Without a lock: prices only rise, so a quote below the committed price + increment is too low
# whatever happens next, and a committed bid with this key can be replayed as it is.
_PEEK = text("""
SELECT l.id, l.method, l.state, l.current_price, l.increment, l.start_price, l.closes_at,
       r.status AS reg_status, r.bidder_number,
       k.seq AS key_seq, k.amount AS key_amount, k.sealed IS NOT NULL AS key_sealed, k.placed_at AS key_placed_at
FROM transactions.listings l
JOIN transactions.registrations r ON r.listing_id = l.id AND r.bidder_subject = :subject
LEFT JOIN transactions.bids k ON k.registration_id = r.id AND k.idempotency_key = :key
WHERE l.id = :listing_id
""")


async def peek(session: AsyncSession, *, listing_id: str, subject: str, key: str | None) -> Any:
    """The committed price and the caller's replayable bid, read without locking."""
    return (await session.execute(_PEEK, {"listing_id": listing_id, "subject": subject, "key": key})).first()


async def admission(session: AsyncSession, *, listing_id: str, subject: str, key: str | None) -> Any:
    """The locked listing merged with the caller's registration and idempotent replay, if any."""
    listing = (await session.execute(_LOCK, {"listing_id": listing_id})).mappings().first()
    if listing is None:
        return None
    bidder = (await session.execute(_BIDDER, {"listing_id": listing_id, "subject": subject, "key": key})).mappings().first()
    return SimpleNamespace(**listing, **(bidder or _NO_BIDDER))


async def accept(
    session: AsyncSession,
    *,
    listing_id: str,
    seq: int,
    reg_id: str,
    bidder_number: str,
    amount: Decimal | None,
    sealed: bytes | None,
    phase: str,
    now: datetime,
    key: str | None,
    client_ip: str | None,
    closes_at: datetime | None,
    feed: dict[str, Any],
) -> None:
    """Write an admitted bid (the caller holds the listing row lock and computed seq = last_seq + 1)."""
    await session.execute(_ACCEPT, {
        "listing_id": listing_id, "seq": seq, "reg_id": reg_id, "bidder_number": bidder_number, "amount": amount,
        "sealed": sealed, "phase": phase, "now": now, "key": key, "client_ip": client_ip, "closes_at": closes_at,
        "feed": json.dumps(feed, ensure_ascii=False),
    })


async def for_listing(session: AsyncSession, *, listing_id: str, after_seq: int = 0, limit: int = 1000) -> Sequence[Row]:
    """Accepted bids in sequence order, with the bidder behind each (callers choose what to show)."""
    r = registrations
    return (
        await session.execute(
            select(bids.c.seq, bids.c.bidder_number, bids.c.amount, bids.c.sealed, bids.c.placed_at, bids.c.phase,
                   bids.c.registration_id, bids.c.idempotency_key, bids.c.client_ip, r.c.bidder_subject,
                   r.c.bidder_name, r.c.org_code)
            .join(r, r.c.id == bids.c.registration_id)
            .where(bids.c.listing_id == listing_id, bids.c.seq > after_seq)
            .order_by(bids.c.seq)
            .limit(limit)
        )
    ).all()


async def reveal(session: AsyncSession, *, listing_id: str, amounts: dict[int, Decimal]) -> None:
    """Write the opened tender amounts beside their seals."""
    for seq, amount in amounts.items():
        await session.execute(
            bids.update().where(bids.c.listing_id == listing_id, bids.c.seq == seq).values(amount=amount)
        )
