"""Settlement: deal concluded (成交确认书), contract signed (deposits settled), result published (公示)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from natres_platform.auth import Principal
from natres_platform.events import utc_now
from natres_platform.uow import UnitOfWork

from transactions.bidders import repository as bidders
from transactions.bidders.deposits import convert_to_earnest_money, refund_all
from transactions.bidding.rules import Bid
from transactions.calendar.repository import load_calendar
from transactions.events import listing_event, money
from transactions.feed import repository as feed
from transactions.listings import repository
from transactions.listings.errors import NotConcluded
from transactions.listings.service import load as load_listing
from transactions.listings.states import ListingState, Transition
from transactions.listings.terms import RightType
from transactions.listings.transitions import apply_transition
from transactions.regions import require_jurisdiction
from transactions.settlement.deadlines import due_dates, next_deadline, shown_until
from transactions.settlement.errors import (
    ConfirmationNotYours,
    ContractAlreadySigned,
    ContractNotSigned,
    WinnerDefaulted,
)
from transactions.settlement.pdf import DealConfirmation, render
from transactions.supervision.rules import high_premium
from transactions.supervision.service import SYSTEM_ACTOR, raise_alerts
from transactions.trading import Trading


def confirmation_number(listing: Any, now: datetime) -> str:
    """晋交易成交〔year〕listing-prefix号: unique because the listing id is."""
    return f"晋交易成交〔{now.year}〕{str(listing.id).replace('-', '')[:12].upper()}号"


async def conclude(*, uow: UnitOfWork, trading: Trading, listing: Any, winning: Bid, now: datetime) -> Any:
    """The close found a winner: conclude, issue the 成交确认书 and tell the registry (deal.concluded)."""
    regs = {r.bidder_number: r for r in await bidders.for_listing(uow.session, listing_id=listing.id)}
    winner = regs[winning.bidder_number]
    number = confirmation_number(listing, now)
    pdf = render(DealConfirmation(
        number=number, listing_id=listing.id, title=listing.title, unit_code=listing.unit_code,
        right_type_label=RightType(listing.right_type).label, method=listing.method, land_use=listing.land_use,
        term_years=listing.term_years, price=winning.amount, winner_name=winner.bidder_name,
        winner_org_code=winner.org_code, bidder_number=winner.bidder_number, concluded_at=now,
    ))
    digest = hashlib.sha256(pdf).hexdigest()
    due = due_dates(calendar=await load_calendar(uow.session), right_type=listing.right_type, concluded_at=now,
                    settings=trading.settings)
    row = await apply_transition(
        uow=uow, listing=listing, event=Transition.CONCLUDED, actor=SYSTEM_ACTOR, now=now,
        values={"winner_registration_id": winner.id, "final_price": winning.amount, "closed_at": now,
                "current_price": winning.amount, "deal_confirmation_no": number, "deal_confirmation_pdf": pdf,
                "deal_confirmation_sha256": digest, "outcome_reason": "concluded", **due},
        data={"final_price": money(winning.amount), "winning_seq": winning.sequence,
              "bidder_number": winning.bidder_number, "reserve_price": money(listing.reserve_price),
              "no_reserve": listing.no_reserve},
    )
    uow.record(listing_event(
        type="transactions.deal.concluded.v1", listing=row, actor=SYSTEM_ACTOR,
        data={"unit_id": row.unit_id, "unit_code": row.unit_code, "right_type": row.right_type,
              "land_use": row.land_use, "term_years": row.term_years, "price": money(winning.amount),
              "method": row.method, "registration_id": winner.id, "bidder_number": winner.bidder_number,
              "winner": {"subject": winner.bidder_subject, "name": winner.bidder_name, "org_code": winner.org_code,
                         "masked_id": None}},
    ))
    uow.record(listing_event(
        type="transactions.deal.confirmation_issued.v1", listing=row, actor=SYSTEM_ACTOR,
        data={"deal_confirmation_no": number, "sha256": digest, "registration_id": winner.id,
              "bidder_number": winner.bidder_number, "price": money(winning.amount), "issued_at": now,
              "sign_by": due["confirmation_due_at"], "contract_by": due["contract_due_at"]},
    ))
    found = high_premium(final_price=winning.amount, start_price=listing.start_price, rules=trading.rules)
    await raise_alerts(uow=uow, listing=row, now=now, found=[(a, a.rule.value) for a in found])
    return row


async def sign_confirmation(*, trading: Trading, listing_id: str, principal: Principal) -> Any:
    """The winner signs the 成交确认书 (idempotent); due 2 (land) / 3 (mining) working days after the deal."""
    now = utc_now()
    async with trading.uow() as uow:
        row = await load_listing(uow, listing_id=listing_id, lock=True)
        if row.state != ListingState.CONCLUDED:
            raise NotConcluded(state=row.state)
        winner = await bidders.get(uow.session, registration_id=row.winner_registration_id)
        if winner.bidder_subject != principal.subject:
            raise ConfirmationNotYours()
        if row.confirmation_signed_at is not None:
            return row
        if row.defaulted_at is not None:
            raise WinnerDefaulted(defaulted_at=row.defaulted_at.isoformat())
        changes = {"confirmation_signed_at": now, "updated_at": now}
        changes["next_action_at"] = next_deadline({**row._mapping, **changes})
        row = await repository.update_row(uow.session, listing_id=listing_id, values=changes)
        uow.record(listing_event(
            type="transactions.deal.confirmation_signed.v1", listing=row, actor=principal.subject,
            data={"registration_id": winner.id, "bidder_number": winner.bidder_number,
                  "deal_confirmation_no": row.deal_confirmation_no, "signed_at": now,
                  "due_at": row.confirmation_due_at},
        ))
        await feed.append(uow.session, listing_id=listing_id, kind="confirmation", data={"signed_at": now}, now=now)
        await uow.commit()
    return row


async def sign_contract(*, trading: Trading, listing_id: str, contract_no: str, actor: Principal) -> Any:
    """出让合同 signed: the winner's deposit becomes 定金, every other deposit is refunded."""
    now = utc_now()
    async with trading.uow() as uow:
        row = await load_listing(uow, listing_id=listing_id, lock=True)
        require_jurisdiction(actor, row.county_code)
        if row.state != ListingState.CONCLUDED:
            raise NotConcluded(state=row.state)
        if row.contract_signed_at is not None:
            raise ContractAlreadySigned(contract_no=row.contract_no)
        if row.defaulted_at is not None:  # past the deadline the deal fell through; the 定金 is gone
            raise WinnerDefaulted(defaulted_at=row.defaulted_at.isoformat())
        changes = {"contract_no": contract_no, "contract_signed_at": now, "updated_at": now}
        changes["next_action_at"] = next_deadline({**row._mapping, **changes})
        row = await repository.update_row(uow.session, listing_id=listing_id, values=changes)
        uow.record(listing_event(
            type="transactions.contract.signed.v1", listing=row, actor=actor.subject,
            data={"contract_no": contract_no, "registration_id": row.winner_registration_id,
                  "price": money(row.final_price), "signed_at": now},
        ))
        await convert_to_earnest_money(uow=uow, listing=row, registration_id=row.winner_registration_id,
                                       actor=actor.subject, now=now)
        await refund_all(uow=uow, listing=row, actor=actor.subject, now=now, reason="not_winner",
                         except_registration=row.winner_registration_id)
        await feed.append(uow.session, listing_id=listing_id, kind="contract", data={"signed_at": now}, now=now)
        await uow.commit()
    return row


async def publish_result(*, trading: Trading, listing_id: str, actor: Principal) -> Any:
    """公示: the winner's name becomes public, shown at least until a date counted in working days."""
    now = utc_now()
    async with trading.uow() as uow:
        row = await load_listing(uow, listing_id=listing_id, lock=True)
        require_jurisdiction(actor, row.county_code)
        if row.state != ListingState.CONCLUDED:
            raise NotConcluded(state=row.state)
        if row.contract_signed_at is None:
            raise ContractNotSigned()
        if row.published_at is not None:
            return row
        winner = await bidders.get(uow.session, registration_id=row.winner_registration_id)
        until, provisional = shown_until(calendar=await load_calendar(uow.session), right_type=row.right_type,
                                         published_at=now, settings=trading.settings)
        changes = {"published_at": now, "result_shown_until": until, "result_shown_provisional": provisional,
                   "updated_at": now}
        changes["next_action_at"] = next_deadline({**row._mapping, **changes})
        row = await repository.update_row(uow.session, listing_id=listing_id, values=changes)
        result = result_data(row, winner)
        uow.record(listing_event(type="transactions.result.published.v1", listing=row, actor=actor.subject,
                                 data=result))
        await feed.append(uow.session, listing_id=listing_id, kind="result", data=result, now=now)
        await uow.commit()
    return row


def result_data(listing: Any, winner: Any) -> dict[str, Any]:
    """The published result: who won, at what price, under which confirmation, shown until when."""
    return {
        "unit_id": listing.unit_id, "unit_code": listing.unit_code, "right_type": listing.right_type,
        "method": listing.method, "price": money(listing.final_price), "bidder_number": winner.bidder_number,
        "winner_name": winner.bidder_name, "winner_org_code": winner.org_code,
        "deal_confirmation_no": listing.deal_confirmation_no, "contract_no": listing.contract_no,
        "published_at": listing.published_at,
        # null for results published before the display period was recorded (migration 0009)
        "shown_until": listing.result_shown_until, "shown_until_provisional": listing.result_shown_provisional,
    }
