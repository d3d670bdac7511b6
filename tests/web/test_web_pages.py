"""Web pages beyond the issue #6 journey: drawing a boundary with the keyboard, the book viewer on a phone, OGC links."""

from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.stack
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (PyPI) is not installed in this environment")
expect = sync_api.expect


def test_boundary_can_be_drawn_with_the_keyboard_and_a_crossed_outline_is_refused(ui, page, base_url):
    page.goto(base_url + "/")
    ui.login(page, "citizen.zhang")
    page.goto(base_url + "/applications/new")
    expect(page.get_by_test_id("map")).to_have_attribute("data-map-state", "loaded", timeout=30_000)
    locate = page.get_by_label("定位到经纬度")
    locate.focus()
    page.keyboard.type("112.7300,38.7200")
    page.keyboard.press("Enter")  # jumps; the form is not submitted
    expect(page.locator("main h1")).to_have_text("新建登记申请")
    start = page.get_by_role("button", name="绘制边界")
    start.focus()
    page.keyboard.press("Enter")
    canvas = page.locator(".map-frame .maplibregl-canvas")
    expect(canvas).to_be_focused()  # drawing starts on the map, ready for the keys
    expect(page.locator("#draw-keys")).to_contain_text("空格键在地图中心")
    status = page.get_by_test_id("draw-status")

    def pan(key: str, times: int = 2) -> None:
        for _ in range(times):
            page.keyboard.press(key)
            page.wait_for_timeout(450)  # MapLibre eases each 100 px step over 300 ms

    # A bow-tie: (0,0) → (right, up) → (right, 0) → (0, up) crosses itself.
    page.keyboard.press(" ")
    pan("ArrowRight"); pan("ArrowUp")
    page.keyboard.press(" ")
    pan("ArrowDown")
    page.keyboard.press(" ")
    pan("ArrowLeft")
    pan("ArrowUp")
    page.keyboard.press(" ")
    expect(status).to_contain_text("已添加 4 个顶点")
    page.keyboard.press("Enter")
    expect(page.locator(".draw-tools .problem")).to_contain_text("边界线自相交")
    expect(status).to_contain_text("正在绘制")
    # Undo the last two; the corner at the map centre (0, up) closes a proper triangle.
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    expect(status).to_contain_text("已添加 2 个顶点")
    page.keyboard.press(" ")
    page.keyboard.press("Enter")
    expect(status).to_contain_text("已绘制边界：3 个顶点")
    expect(page.locator(".draw-tools .problem")).to_have_count(0)
    ui.shot(page, "31-keyboard-drawn-triangle")
    assert page.natres_errors == []


def test_book_viewer_asks_for_the_purpose_in_chinese_and_fits_a_phone(ui, browser, base_url, surveyed_unit):
    unit = surveyed_unit(name="原平市网页测试查询宗地")  # held by nobody yet
    phone = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 375, "height": 740},
                                is_mobile=True, has_touch=True)
    phone.set_default_timeout(20_000)
    try:
        pg = phone.new_page()
        pg.goto(f"{base_url}/book?unit={unit['code']}")  # protected: to the login form and back
        pg.wait_for_url(re.compile(r"/realms/natres/protocol/openid-connect/auth"))
        pg.locator("#username").fill("citizen.zhang")
        pg.locator("#password").fill("demo1234")
        pg.locator("#kc-login").click()
        problem = pg.locator(".problem").first
        expect(problem.locator(".problem-title strong")).to_have_text("查询他人登记资料须说明查询目的")
        expect(problem.locator(".problem-code")).to_have_text("query.purpose_required")
        expect(problem).to_contain_text("HTTP 403")
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        ui.shot(pg, "32-phone-book-purpose-required")
        pg.get_by_label("查询目的").fill("拟受让该宗地，了解权属状况")
        pg.get_by_role("button", name="查询登记簿").click()
        expect(pg.get_by_test_id("book-scope")).to_contain_text("查询目的：拟受让该宗地，了解权属状况")
        expect(pg.get_by_test_id("book-current")).to_contain_text("登记簿尚无此单元的记载")
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        ui.shot(pg, "33-phone-book-with-purpose")
        pg.goto(base_url + "/applications/new")
        expect(pg.get_by_test_id("map")).to_have_attribute("data-map-state", "loaded", timeout=30_000)
        expect(pg.get_by_role("button", name="绘制边界")).to_be_visible()
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        ui.shot(pg, "34-phone-new-application")
    finally:
        phone.close()


def test_ogc_links_point_back_through_the_proxy(base_url):
    body = httpx.get(f"{base_url}/api/registry/ogc/collections", timeout=20).json()
    hrefs = [link["href"] for link in body["links"]]
    hrefs += [link["href"] for c in body["collections"] for link in c["links"]]
    assert hrefs and all(h.startswith(f"{base_url}/api/registry/") for h in hrefs), hrefs[:3]
