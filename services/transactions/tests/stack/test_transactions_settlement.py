"""Settlement: 成交确认书 PDF, contract signed with deposits settled, result published with the name and
how long it stays shown."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime

import pytest
from pypdf import PdfReader

from transactions.calendar.repository import load_calendar
from transactions.listings.terms import local_date
from transactions.settlement.deadlines import end_of

pytestmark = pytest.mark.stack


async def _concluded(world):
    listing_id = await world.listing()
    a = await world.bidder(listing_id, "bidder.a")
    await world.bidder(listing_id, "bidder.b")
    assert (await world.bid(listing_id, "bidder.b", "1040000.00")).status_code == 201
    assert (await world.bid(listing_id, "bidder.a", "1900000.00")).status_code == 201
    await world.due(listing_id, close=True)
    await world.until(listing_id, "concluded")
    return listing_id, a


async def test_deal_confirmation_contract_deposits_and_publication(world):
    listing_id, winner = await _concluded(world)
    pdf = await world.client.get(f"/api/v1/listings/{listing_id}/deal-confirmation.pdf", headers=world.h("bidder.a"))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "成交确认书" in text and "1,900,000.00" in text and winner["bidder_number"] in text
    [issued] = await world.events(listing_id, "transactions.deal.confirmation_issued.v1")
    assert issued["data"]["sha256"] == hashlib.sha256(pdf.content).hexdigest()
    loser = await world.client.get(f"/api/v1/listings/{listing_id}/deal-confirmation.pdf", headers=world.h("bidder.b"))
    assert loser.status_code == 403

    early = await world.client.post(f"/api/v1/listings/{listing_id}/publication", headers=world.h("trader.admin"))
    assert early.status_code == 409 and early.json()["code"] == "settlement.contract_not_signed"
    assert (await world.client.get(f"/api/v1/listings/{listing_id}/result")).status_code == 404

    r = await world.client.post(f"/api/v1/listings/{listing_id}/contract", json={"contract_no": "晋出让合同2026-001"},
                                headers=world.h("trader.admin"))
    assert r.status_code == 200, r.text
    [converted] = await world.events(listing_id, "transactions.deposit.converted.v1")
    assert converted["data"]["registration_id"] == winner["id"]
    [refund] = await world.events(listing_id, "transactions.deposit.refunded.v1")
    assert refund["data"]["reason"] == "not_winner" and refund["data"]["registration_id"] != winner["id"]
    twice = await world.client.post(f"/api/v1/listings/{listing_id}/contract", json={"contract_no": "x"},
                                    headers=world.h("trader.admin"))
    assert twice.status_code == 409

    published = await world.client.post(f"/api/v1/listings/{listing_id}/publication", headers=world.h("trader.admin"))
    assert published.status_code == 200, published.text
    result = (await world.client.get(f"/api/v1/listings/{listing_id}/result")).json()
    assert result["winner_name"] == "冯雪梅" and result["price"] == "1900000.00"
    assert result["winner_org_code"] == "91140100MA0K3D7T9P"
    [event] = await world.events(listing_id, "transactions.result.published.v1")
    assert event["data"]["winner_name"] == "冯雪梅"
    alerts = (await world.client.get(f"/api/v1/supervision/alerts?listing_id={listing_id}",
                                     headers=world.h("supervisor.li"))).json()
    assert "supervision.high_premium" in {a["rule"] for a in alerts}  # 90% over the start price


@pytest.mark.parametrize("right_type", ["mining_right", "state_construction_land_use"])
async def test_the_published_result_records_how_long_it_stays_shown(world, right_type):
    listing_id = await world.listing(right_type=right_type)
    await world.bidder(listing_id, "bidder.a")
    await world.bidder(listing_id, "bidder.b")
    assert (await world.bid(listing_id, "bidder.a", "1050000.00")).status_code == 201
    await world.due(listing_id, close=True)
    await world.until(listing_id, "concluded")
    r = await world.client.post(f"/api/v1/listings/{listing_id}/contract", json={"contract_no": "晋出让合同-公示期"},
                                headers=world.h("trader.admin"))
    assert r.status_code == 200, r.text
    published = await world.client.post(f"/api/v1/listings/{listing_id}/publication", headers=world.h("trader.admin"))
    assert published.status_code == 200, published.text

    result = (await world.client.get(f"/api/v1/listings/{listing_id}/result")).json()
    published_at = datetime.fromisoformat(result["published_at"])
    async with world.trading.uow() as uow:
        calendar = await load_calendar(uow.session)
    # 10 working days on the service's trading calendar: the mining minimum, and the land default
    deadline = calendar.add_working_days(start=local_date(published_at), days=10)
    assert datetime.fromisoformat(result["shown_until"]) == end_of(deadline.due)
    assert result["shown_until_provisional"] is deadline.provisional
    assert published.json()["shown_until"] == result["shown_until"]
    [event] = await world.events(listing_id, "transactions.result.published.v1")
    assert datetime.fromisoformat(event["data"]["shown_until"].replace("Z", "+00:00")) == end_of(deadline.due)
    assert event["data"]["shown_until_provisional"] is deadline.provisional
