"""Settlement endpoints: 成交确认书 PDF, contract signed, result publication and the public result."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, Response

from natres_platform.events import utc_now
from natres_platform.security import CurrentPrincipal

from transactions.bidders import repository as bidders
from transactions.dependencies import BidderRole, TradingAdmin, TradingDep
from transactions.listings import repository
from transactions.listings.dependencies import ListingId
from transactions.listings.errors import NotConcluded
from transactions.listings.schemas import ListingAdminRead
from transactions.listings.service import load as load_listing
from transactions.settlement import service
from transactions.settlement.errors import ConfirmationNotYours, ResultNotPublished
from transactions.regions import require_overseer
from transactions.settlement.schemas import ConfirmationSigned, ContractBody, ResultRead

router = APIRouter(prefix="/api/v1/listings", tags=["settlement 成交"])


@router.get("/{listing_id}/deal-confirmation.pdf", summary="成交确认书 (winner, trading admin, supervisor)",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
async def deal_confirmation(listing_id: ListingId, trading: TradingDep, principal: CurrentPrincipal) -> Response:
    """The stored PDF, byte for byte as issued at the close (its SHA-256 is in the event)."""
    async with trading.uow() as uow:
        row = await repository.deal_confirmation(uow.session, listing_id=str(listing_id))
        if row is None:
            await load_listing(uow, listing_id=str(listing_id))
        if row.deal_confirmation_pdf is None:
            raise NotConcluded()
        winner = await bidders.get(uow.session, registration_id=row.winner_registration_id)
    if winner.bidder_subject != principal.subject:
        if not principal.has_role("trading_admin", "supervisor"):
            raise ConfirmationNotYours()
        require_overseer(principal, row.county_code)
    return Response(row.deal_confirmation_pdf, media_type="application/pdf", headers={
        "Content-Disposition": 'attachment; filename="deal-confirmation.pdf"',
        "X-Content-SHA256": row.deal_confirmation_sha256})


@router.post("/{listing_id}/deal-confirmation/signature", response_model=ConfirmationSigned,
             summary="The winner signs the 成交确认书 签订成交确认书")
async def sign_confirmation(listing_id: ListingId, trading: TradingDep, bidder: BidderRole) -> ConfirmationSigned:
    """Due 2 (land) / 3 (mining) working days after the deal; later, supervisors are alerted."""
    row = await service.sign_confirmation(trading=trading, listing_id=str(listing_id), principal=bidder)
    return ConfirmationSigned(listing_id=row.id, deal_confirmation_no=row.deal_confirmation_no,
                              signed_at=row.confirmation_signed_at, due_at=row.confirmation_due_at,
                              contract_due_at=row.contract_due_at)


@router.post("/{listing_id}/contract", response_model=ListingAdminRead, summary="Record the signed contract 签订合同")
async def sign_contract(
    listing_id: ListingId, body: ContractBody, trading: TradingDep, admin: TradingAdmin
) -> ListingAdminRead:
    """The winner's deposit becomes 定金; every other deposit is refunded."""
    row = await service.sign_contract(trading=trading, listing_id=str(listing_id), contract_no=body.contract_no,
                                      actor=admin)
    return ListingAdminRead.from_row(row, now=utc_now())


@router.post("/{listing_id}/publication", response_model=ResultRead, summary="Publish the result 结果公示")
async def publish(listing_id: ListingId, trading: TradingDep, admin: TradingAdmin) -> ResultRead:
    """Makes the winner's name public."""
    row = await service.publish_result(trading=trading, listing_id=str(listing_id), actor=admin)
    return await _result(trading, row)


@router.get("/{listing_id}/result", response_model=ResultRead, summary="The published result (public)")
async def result(listing_id: ListingId, trading: TradingDep) -> ResultRead:
    """404 until the result is published."""
    async with trading.uow() as uow:
        row = await load_listing(uow, listing_id=str(listing_id))
    if row.published_at is None:
        raise ResultNotPublished()
    return await _result(trading, row)


async def _result(trading, row) -> ResultRead:
    async with trading.uow() as uow:
        winner = await bidders.get(uow.session, registration_id=row.winner_registration_id)
    data = service.result_data(row, winner)
    data["price"] = Decimal(data["price"])
    return ResultRead(listing_id=row.id, **data)
