"""Bidder use cases: register (报名), confirm a deposit from the bank, qualify or reject, number."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from natres_platform.auth import Principal
from natres_platform.events import utc_now

from transactions.bidders import repository
from transactions.bidders.bank import BankReplayed, check_deposit, parse_deposit_notice, verify_callback
from transactions.bidders.deposits import refund_all
from transactions.bidders.errors import (
    AlreadyRegistered,
    BidderBlacklisted,
    DepositAlreadyPaid,
    DepositNotConfirmed,
    RegistrationClosed,
    RegistrationNotFound,
    RegistrationNotPending,
)
from transactions.bidders.numbers import allocate_bidder_number
from transactions.bidders.schemas import DepositAck
from transactions.blacklist import repository as blacklist
from transactions.events import listing_event
from transactions.listings.service import load as load_listing
from transactions.listings.states import ListingState
from transactions.listings.terms import Method
from transactions.regions import require_jurisdiction
from transactions.supervision.rules import shared_address
from transactions.supervision.service import raise_alerts
from transactions.trading import Trading

S = ListingState
_OPEN_FOR_REGISTRATION = {Method.LISTING: {S.REGISTRATION, S.BIDDING}}


def display_name(principal: Principal) -> str:
    """The legal name as Chinese writes it (family name first), else what the token offers."""
    claims = principal.claims
    family, given = claims.get("family_name"), claims.get("given_name")
    if family and given:
        return f"{family}{given}"
    return principal.name or principal.username or principal.subject


async def register(*, trading: Trading, listing_id: str, principal: Principal, client_ip: str) -> Any:
    """报名 during the registration window; the client address is kept for supervision."""
    now = utc_now()
    async with trading.uow() as uow:
        listing = await load_listing(uow, listing_id=listing_id, lock=True)
        allowed = _OPEN_FOR_REGISTRATION.get(Method(listing.method), {S.REGISTRATION})
        if S(listing.state) not in allowed or not (listing.registration_start <= now < listing.registration_end):
            raise RegistrationClosed(state=listing.state, registration_start=listing.registration_start.isoformat(),
                                     registration_end=listing.registration_end.isoformat())
        barred = await blacklist.active(uow.session, subject=principal.subject, org_code=principal.org_code, now=now)
        if barred is not None:  # a winner who defaulted (违约) on an earlier listing
            raise BidderBlacklisted(blacklist_id=barred.id, listing_id=barred.listing_id, reason=barred.reason,
                                    until=barred.until.isoformat() if barred.until else None)
        try:
            async with uow.session.begin_nested():
                reg = await repository.insert(uow.session, values={
                    "id": str(uuid.uuid4()), "listing_id": listing.id, "bidder_subject": principal.subject,
                    "bidder_username": principal.username, "bidder_name": display_name(principal),
                    "org_code": principal.org_code, "client_ip": client_ip, "status": "registered",
                    "wants_continue": False, "deposit_status": "pending", "created_at": now,
                })
        except IntegrityError:
            raise AlreadyRegistered(listing_id=listing_id) from None
        uow.record(listing_event(
            type="transactions.bidder.registered.v1", listing=listing, actor=principal.subject,
            data={"registration_id": reg.id, "bidder_subject": principal.subject, "client_ip": client_ip},
        ))
        await uow.commit()
    return reg


async def confirm_deposit(*, trading: Trading, body: bytes, headers: Mapping[str, str]) -> DepositAck:
    """The bank's signed notice: verified (HMAC, freshness, single-use nonce), then applied once."""
    now = utc_now()
    nonces: list[str] = []
    # The nonce is recorded below, in the same transaction as its effect: verify_callback's
    # callback only captures it (it runs after the signature and the clock checks passed).
    verify_callback(body=body, headers=headers, secret=trading.bank_secret, now=now,
                    seen_nonce=lambda n: nonces.append(n) or False,
                    max_skew=timedelta(seconds=trading.settings.bank_max_skew_seconds))
    notice = parse_deposit_notice(body=body)
    async with trading.uow() as uow:
        if not await repository.claim_nonce(uow.session, nonce=nonces[0], now=now):
            raise BankReplayed(nonce=nonces[0])
        listing = await load_listing(uow, listing_id=str(notice.listing_id), lock=True)
        reg = await repository.get(uow.session, registration_id=str(notice.bidder_registration_id), lock=True)
        if reg is None or reg.listing_id != listing.id:
            raise RegistrationNotFound(registration_id=str(notice.bidder_registration_id))
        if reg.bank_reference == notice.bank_reference:
            await uow.commit()  # the same transfer notified again: keep the nonce, change nothing
            return DepositAck(registration_id=reg.id, status=reg.status, deposit_status=reg.deposit_status,
                              duplicate=True)
        if reg.deposit_status != "pending":
            raise DepositAlreadyPaid(registration_id=reg.id)
        check_deposit(notice=notice, required=listing.deposit, deadline=listing.deposit_deadline)
        reg = await repository.update_row(uow.session, registration_id=reg.id, values={
            "deposit_status": "received", "deposit_amount": notice.amount, "deposit_paid_at": notice.paid_at,
            "bank_reference": notice.bank_reference,
            "status": "deposit_confirmed" if reg.status == "registered" else reg.status,
        })
        uow.record(listing_event(
            type="transactions.bidder.deposit_confirmed.v1", listing=listing, actor="service:bank",
            data={"registration_id": reg.id, "amount": notice.amount, "bank_reference": notice.bank_reference,
                  "paid_at": notice.paid_at},
        ))
        await repository.forget_nonces_before(
            uow.session, before=now - 2 * timedelta(seconds=trading.settings.bank_max_skew_seconds)
        )
        await uow.commit()
    return DepositAck(registration_id=reg.id, status=reg.status, deposit_status=reg.deposit_status, duplicate=False)


async def qualify(*, trading: Trading, listing_id: str, registration_id: str, actor: Principal) -> Any:
    """资格审核 passed: give the anonymous 竞买号 and look for bidders sharing a network address."""
    now = utc_now()
    async with trading.uow() as uow:
        listing = await load_listing(uow, listing_id=listing_id, lock=True)
        require_jurisdiction(actor, listing.county_code)
        if S(listing.state) not in _OPEN_FOR_REGISTRATION.get(Method(listing.method), {S.REGISTRATION}):
            raise RegistrationClosed(state=listing.state)
        reg = await _registration_of(uow, listing_id=listing_id, registration_id=registration_id)
        if reg.status == "qualified":
            return reg
        if reg.status != "deposit_confirmed":
            raise DepositNotConfirmed(status=reg.status)
        taken = await repository.taken_numbers(uow.session, listing_id=listing_id)
        number = allocate_bidder_number(key=trading.number_key, listing_id=listing_id,
                                        registration_id=registration_id, taken=taken.__contains__)
        reg = await repository.update_row(uow.session, registration_id=registration_id, values={
            "status": "qualified", "bidder_number": number, "qualified_by": actor.subject, "qualified_at": now,
        })
        uow.record(listing_event(
            type="transactions.bidder.qualified.v1", listing=listing, actor=actor.subject,
            data={"registration_id": reg.id, "bidder_number": number},
        ))
        qualified = [x for x in await repository.for_listing(uow.session, listing_id=listing_id)
                     if x.status == "qualified"]
        found = shared_address(registrations=[(x.bidder_number, x.client_ip) for x in qualified], rules=trading.rules)
        await raise_alerts(uow=uow, listing=listing, now=now, found=[
            (a, f"{a.rule.value}:{a.details['address']}:{len(a.details['bidder_numbers'])}") for a in found
        ])
        await uow.commit()
    return reg


async def reject(*, trading: Trading, listing_id: str, registration_id: str, reason: str, actor: Principal) -> Any:
    """资格审核 refused: the registration ends and a received deposit is refunded."""
    now = utc_now()
    async with trading.uow() as uow:
        listing = await load_listing(uow, listing_id=listing_id, lock=True)
        require_jurisdiction(actor, listing.county_code)
        reg = await _registration_of(uow, listing_id=listing_id, registration_id=registration_id)
        if reg.status not in ("registered", "deposit_confirmed"):
            raise RegistrationNotPending(status=reg.status)
        reg = await repository.update_row(uow.session, registration_id=registration_id,
                                          values={"status": "rejected", "reject_reason": reason})
        uow.record(listing_event(
            type="transactions.bidder.rejected.v1", listing=listing, actor=actor.subject,
            data={"registration_id": reg.id, "reason": reason},
        ))
        await refund_all(uow=uow, listing=listing, actor=actor.subject, now=now, reason="rejected",
                         only_registration=reg.id)
        await uow.commit()
    return reg


async def _registration_of(uow: Any, *, listing_id: str, registration_id: str) -> Any:
    reg = await repository.get(uow.session, registration_id=registration_id, lock=True)
    if reg is None or reg.listing_id != listing_id:
        raise RegistrationNotFound(registration_id=registration_id)
    return reg
