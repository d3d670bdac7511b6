"""Settlement: 成交确认书 PDF, contract signed with deposits settled, result published with the name."""

from __future__ import annotations

import hashlib
import io

import pytest
from pypdf import PdfReader

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
