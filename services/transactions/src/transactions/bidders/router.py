"""Bidder endpoints: register, own registration, qualification, the bank callback, the demo bank."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request

from natres_platform.security import CurrentPrincipal

from transactions.bidders import repository, service
from transactions.bidders.errors import NotYourRegistration, RegistrationNotFound, SimulatedBankDisabled
from transactions.bidders.schemas import (
    DepositAck,
    RegistrationAdminRead,
    RegistrationRead,
    RejectBody,
    SimulatedPayment,
)
from transactions.bidders.simbank import signed_notice
from transactions.dependencies import BidderRole, ClientIp, Overseer, TradingAdmin, TradingDep
from transactions.listings.dependencies import ListingId
from transactions.listings.service import load as load_listing
from transactions.regions import require_jurisdiction, require_overseer

router = APIRouter(prefix="/api/v1", tags=["bidders 竞买人"])


def _own(reg) -> RegistrationRead:
    return RegistrationRead(**{k: reg._mapping[k] for k in RegistrationRead.model_fields})


def _full(reg) -> RegistrationAdminRead:
    return RegistrationAdminRead(**{k: reg._mapping[k] for k in RegistrationAdminRead.model_fields})


@router.post("/listings/{listing_id}/registrations", status_code=201, response_model=RegistrationRead,
             summary="Register for a listing 报名")
async def register(listing_id: ListingId, trading: TradingDep, bidder: BidderRole, ip: ClientIp) -> RegistrationRead:
    """Bidders only, inside the registration window; one registration per bidder and listing."""
    reg = await service.register(trading=trading, listing_id=str(listing_id), principal=bidder, client_ip=ip)
    return _own(reg)


@router.get("/listings/{listing_id}/registrations/me", response_model=RegistrationRead,
            summary="My registration, deposit status and bidder number")
async def my_registration(listing_id: ListingId, trading: TradingDep, bidder: BidderRole) -> RegistrationRead:
    """The caller's own registration only."""
    async with trading.uow() as uow:
        reg = await repository.get_for_bidder(uow.session, listing_id=str(listing_id), subject=bidder.subject)
    if reg is None:
        raise RegistrationNotFound(listing_id=str(listing_id))
    return _own(reg)


@router.get("/listings/{listing_id}/registrations", response_model=list[RegistrationAdminRead],
            summary="All registrations with identities (trading admin, supervisor)")
async def list_registrations(listing_id: ListingId, trading: TradingDep, overseer: Overseer
                             ) -> list[RegistrationAdminRead]:
    """Identities are for the trading administration and supervision only."""
    async with trading.uow() as uow:
        listing = await load_listing(uow, listing_id=str(listing_id))
        require_overseer(overseer, listing.county_code)
        rows = await repository.for_listing(uow.session, listing_id=str(listing_id))
    return [_full(r) for r in rows]


@router.post("/listings/{listing_id}/registrations/{registration_id}/qualify", response_model=RegistrationAdminRead,
             summary="Qualify a bidder 资格审核通过 (gives the bidder number)")
async def qualify(
    listing_id: ListingId, registration_id: UUID, trading: TradingDep, admin: TradingAdmin
) -> RegistrationAdminRead:
    """Needs the deposit confirmed; idempotent for an already qualified bidder."""
    reg = await service.qualify(trading=trading, listing_id=str(listing_id), registration_id=str(registration_id),
                                actor=admin)
    return _full(reg)


@router.post("/listings/{listing_id}/registrations/{registration_id}/reject", response_model=RegistrationAdminRead,
             summary="Refuse a registration 资格审核不通过")
async def reject(
    listing_id: ListingId, registration_id: UUID, body: RejectBody, trading: TradingDep, admin: TradingAdmin
) -> RegistrationAdminRead:
    """The deposit, if received, is refunded."""
    reg = await service.reject(trading=trading, listing_id=str(listing_id), registration_id=str(registration_id),
                               reason=body.reason, actor=admin)
    return _full(reg)


@router.post("/bank/deposit-notices", response_model=DepositAck, summary="Bank callback: deposit received 保证金到账")
async def bank_deposit_notice(request: Request, trading: TradingDep) -> DepositAck:
    """Authenticated by HMAC-SHA256 over timestamp, nonce and body (X-Bank-* headers); replays refused."""
    body = await request.body()
    return await service.confirm_deposit(trading=trading, body=body, headers=dict(request.headers))


@router.post("/simbank/payments", response_model=DepositAck, summary="Demo bank: pay a deposit (simulation)")
async def simulated_payment(data: SimulatedPayment, trading: TradingDep, principal: CurrentPrincipal) -> DepositAck:
    """Signs a notice with the bank secret and feeds it through the real callback path."""
    if not trading.settings.simulated_bank:
        raise SimulatedBankDisabled()
    async with trading.uow() as uow:
        reg = await repository.get(uow.session, registration_id=str(data.registration_id))
        if reg is None:
            raise RegistrationNotFound(registration_id=str(data.registration_id))
        if reg.bidder_subject != principal.subject and not principal.has_role("trading_admin"):
            raise NotYourRegistration()
        listing = await load_listing(uow, listing_id=reg.listing_id)
        if reg.bidder_subject != principal.subject:  # a trading administrator paying on a bidder's behalf
            require_jurisdiction(principal, listing.county_code)
    body, headers = signed_notice(secret=trading.bank_secret, listing_id=reg.listing_id, registration_id=reg.id,
                                  amount=data.amount if data.amount is not None else listing.deposit)
    return await service.confirm_deposit(trading=trading, body=body, headers=headers)
