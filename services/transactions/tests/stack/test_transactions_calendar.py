"""Schedules past the holiday table: provisional by default, refused on request; entered notices count."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from transactions.main import create_app

from ..conftest import make_settings

pytestmark = pytest.mark.stack

CST = ZoneInfo("Asia/Shanghai")
# A far year, so that what the tests enter cannot change any other listing's schedule.
YEAR = 2031


def at(m: int, d: int, h: int = 9) -> str:
    return datetime(YEAR, m, d, h, tzinfo=CST).astimezone(UTC).isoformat().replace("+00:00", "Z")


def terms(unit_id: str, **changes) -> dict:
    # 挂牌 Mon 6 - Fri 17 Jan: exactly 10 weekdays.
    return {
        "title": "暂定排期测试", "unit_id": unit_id, "right_type": "state_construction_land_use", "method": "listing",
        "land_use": "industrial", "term_years": 50, "announcement_at": at(1, 6, 8),
        "registration_start": at(1, 6, 9), "registration_end": at(1, 15, 17), "deposit_deadline": at(1, 15, 16),
        "listing_start": at(1, 6, 9), "listing_end": at(1, 17, 15), "start_price": "1000000.00",
        "increment": "10000.00", "no_reserve": True, "deposit": "100000.00", **changes,
    }


@pytest.fixture
async def clean_year(world):
    await _forget(world)
    yield
    await _forget(world)


async def _forget(world):
    await world.sql("DELETE FROM transactions.holiday_overrides WHERE extract(year FROM day) = :y", y=YEAR)
    await world.sql("DELETE FROM transactions.calendar_years WHERE year = :y", y=YEAR)


def _announce_20_days_ahead(body: dict) -> dict:
    # the 20-day notice rule counts calendar days: announce in mid-December of the year before
    body["announcement_at"] = datetime(YEAR - 1, 12, 16, 9, tzinfo=CST).astimezone(UTC).isoformat()
    body["registration_start"] = datetime(YEAR - 1, 12, 17, 9, tzinfo=CST).astimezone(UTC).isoformat()
    return body


async def test_uncovered_year_is_accepted_as_provisional_with_a_warning(world, clean_year):
    unit_id = await world.unit()
    r = await world.client.post("/api/v1/listings", json=_announce_20_days_ahead(terms(unit_id)),
                                headers=world.h("trader.admin"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["schedule_provisional"] is True
    assert f"{YEAR} 年节假日安排尚未录入" in body["schedule_warning"] and "周一至周五" in body["schedule_warning"]
    public = (await world.client.get(f"/api/v1/listings/{body['id']}")).json()
    assert public["schedule_provisional"] is True and public["schedule_warning"] == body["schedule_warning"]
    [created] = await world.events(body["id"], "transactions.listing.created.v1")
    assert created["data"]["schedule_provisional"] is True
    r = await world.client.post(f"/api/v1/listings/{body['id']}/announce", headers=world.h("trader.admin"))
    assert r.status_code == 200, r.text
    [announced] = await world.events(body["id"], "transactions.listing.announced.v1")
    assert announced["data"]["schedule_provisional"] is True


async def test_the_option_to_refuse_uncovered_years_still_refuses(world, clean_year):
    strict = create_app(make_settings(allow_provisional_calendar=False))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=strict), base_url="http://test") as client:
            unit_id = await world.unit()
            r = await client.post("/api/v1/listings", json=_announce_20_days_ahead(terms(unit_id)),
                                  headers=world.h("trader.admin"))
    finally:
        await strict.state.trading.aclose()
    assert r.status_code == 422 and r.json()["code"] == "listing.terms_invalid"
    assert {v["code"] for v in r.json()["violations"]} == {"calendar_not_covered"}


async def test_entered_holidays_count_and_a_declared_year_is_no_longer_provisional(world, clean_year,
                                                                                  scoped_traders):
    unit_id = await world.unit()
    r = await world.client.post("/api/v1/listings", json=_announce_20_days_ahead(terms(unit_id)),
                                headers=world.h("trader.admin"))
    assert r.status_code == 201, r.text
    listing_id = r.json()["id"]

    # only a province-level trading admin enters the national holiday notice
    day = {"day": f"{YEAR}-01-07", "is_workday": False, "note": "测试：假日"}
    r = await world.client.put("/api/v1/trading-calendar/overrides", json=[day], headers=world.h("trader.t140107"))
    assert r.status_code == 403 and r.json()["code"] == "auth.wrong_region"
    r = await world.client.put("/api/v1/trading-calendar/overrides", json=[day], headers=world.h("bidder.a"))
    assert r.status_code == 403
    r = await world.client.put("/api/v1/trading-calendar/overrides", json=[day], headers=world.h("trader.admin"))
    assert r.status_code == 200 and r.json() == {"saved": 1}
    cal = (await world.client.get("/api/v1/trading-calendar", headers=world.h("bidder.a"))).json()
    assert {"day": f"{YEAR}-01-07", "is_workday": False} in [
        {k: o[k] for k in ("day", "is_workday")} for o in cal["overrides"]]
    assert 2026 in cal["library_years"] and YEAR not in cal["library_years"]

    # the draft was counted Monday-Friday; announcing counts the calendar as entered now: 9 days
    r = await world.client.post(f"/api/v1/listings/{listing_id}/announce", headers=world.h("trader.admin"))
    assert r.status_code == 422, r.text
    assert {v["code"] for v in r.json()["violations"]} == {"listing_period_too_short"}

    # a make-up Saturday (18 Jan) and a period running to it: 10 working days again
    r = await world.client.put("/api/v1/trading-calendar/overrides", headers=world.h("trader.admin"),
                               json=[{"day": f"{YEAR}-01-18", "is_workday": True, "note": "测试：调休上班"}])
    assert r.status_code == 200
    r = await world.client.patch(f"/api/v1/listings/{listing_id}/terms", headers=world.h("trader.admin"),
                                 json={"reason": "按节假日安排顺延", "listing_end": at(1, 18, 15)})
    assert r.status_code == 200, r.text
    assert r.json()["schedule_provisional"] is True  # the other days of the year are still a guess

    r = await world.client.put(f"/api/v1/trading-calendar/years/{YEAR}", headers=world.h("trader.admin"))
    assert r.status_code == 200
    r = await world.client.post(f"/api/v1/listings/{listing_id}/announce", headers=world.h("trader.admin"))
    assert r.status_code == 200, r.text
    assert r.json()["schedule_provisional"] is False and r.json()["schedule_warning"] is None
    [announced] = await world.events(listing_id, "transactions.listing.announced.v1")
    assert announced["data"]["schedule_provisional"] is False
    changes = (await world.sql("SELECT payload FROM transactions.outbox WHERE event_type = "
                               "'transactions.calendar.changed.v1' ORDER BY id DESC LIMIT 3")).all()
    assert {"declared_year": YEAR} in [c[0]["data"] for c in changes]
