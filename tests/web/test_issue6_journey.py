"""Issue #6 acceptance, in a real browser on the real stack: one journey across people and services.

1. A citizen draws the parcel boundary on the map, finds the surveyed unit inside it and files a
   first registration at an office of another county of the 太忻 pilot zone (域内通办).
2. 杏花岭区's registrar accepts it; 原平市 (the unit's county) reviews, records (登簿) and certifies.
3. The certificate PDF carries its number and a QR code whose URL opens the verification page
   through nginx: valid signature, the book's current state.
4. Two bidders in separate browsers bid in a live auction and each sees the other's bids arrive
   over the SSE feed, without reloading.
5. The auditor finds the journey's events by subject and the browser verifies an inclusion proof.
The map drawing with the keyboard, the book viewer and the OGC links are in test_web_pages.py.

Why a registrar registers the unit first: the registry files applications against units from the
cadastral survey (POST /api/v1/units is for the registrar of the unit's county or an admin; an
applicant cannot create one), so the test does what the office does before anyone files — 原平市's
registrar registers the surveyed parcel. The citizen's drawn boundary is then used to find that
unit, and is attached to the application as a document (申请人标绘的宗地范围).

The auction's schedule is legal only if the announcement ran 20+ days ago, so — like
`natres-transactions demo` — the listing is created in-process through the service layer with a
back-dated announcement; everything after that (registration, simulated bank deposit, qualification
as trader.admin, bidding, the feed) goes through the running APIs behind nginx.
"""

from __future__ import annotations

import io
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from natres_platform.testing import password_token

pytestmark = pytest.mark.stack
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (PyPI) is not installed in this environment")
expect = sync_api.expect

BEIJING = ZoneInfo("Asia/Shanghai")
ZHANG_ID = "140107199001011230"  # valid GB 11643 check digit
PDF = b"%PDF-1.4\n%natres web test\n"


def _auth(username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {password_token(username)}"}


def _context(browser, **extra):
    options = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", "viewport": {"width": 1280, "height": 900},
               "accept_downloads": True, **extra}
    ctx = browser.new_context(**options)
    ctx.set_default_timeout(20_000)
    return ctx


def _open_application(pg, base_url: str, ui, username: str, number: str, tab: str | None = None) -> None:
    """Log in on the home page and open the application from the office's 工作台."""
    pg.goto(base_url + "/")
    ui.login(pg, username)
    pg.get_by_role("navigation", name="主菜单").get_by_role("link", name="工作台").click()
    expect(pg.locator("main h1")).to_have_text("工作台")
    if tab:
        pg.get_by_role("button", name=tab, exact=True).click()
    pg.get_by_role("link", name=number).click()
    expect(pg.locator(".card h2").first).to_contain_text(number)


def _status(pg):
    return pg.locator(".card h2").first


@pytest.fixture(scope="module")
def journey() -> dict:
    """Ids the later tests of this module pick up (application, unit, listing)."""
    return {}


# --- 1-3: draw, file across counties, accept / review / record / certify, PDF + QR ----------------

def test_citizen_draws_a_boundary_files_across_the_pilot_zone_and_gets_a_verifiable_certificate(
        ui, browser, base_url, journey, surveyed_unit, tmp_path: Path):
    unit = surveyed_unit(name="原平市网页测试宗地")
    journey["unit_id"], journey["unit_code"] = unit["id"], unit["code"]
    cx, cy = unit["centre"]

    # -- the citizen: draw, find the unit, file at 杏花岭区 (another county of the pilot zone) --
    citizen = _context(browser)
    pg = citizen.new_page()
    pg.goto(base_url + "/")
    ui.login(pg, "citizen.zhang")
    pg.get_by_role("navigation", name="主菜单").get_by_role("link", name="我的申请").click()
    pg.get_by_role("link", name="新建申请").click()
    expect(pg.locator("main h1")).to_have_text("新建登记申请")
    expect(pg.get_by_test_id("map")).to_have_attribute("data-map-state", "loaded", timeout=30_000)
    pg.get_by_label("定位到经纬度").fill(f"{cx:.7f},{cy:.7f}")
    pg.get_by_role("button", name="定位", exact=True).click()
    pg.get_by_role("button", name="绘制边界").click()
    status = pg.get_by_test_id("draw-status")
    expect(status).to_contain_text("正在绘制：已添加 0 个顶点")
    box = pg.locator(".map-frame .maplibregl-canvas").bounding_box()
    assert box is not None
    mx, my, d = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, 75
    for x, y in ((mx - d, my + d), (mx + d, my + d), (mx + d, my - d)):
        pg.mouse.click(x, y)
    expect(status).to_contain_text("已添加 3 个顶点")
    pg.mouse.dblclick(mx - d, my - d)  # the last vertex, and close the ring
    expect(status).to_contain_text("已绘制边界：4 个顶点")
    expect(status).to_contain_text("平方米")
    # The units inside the drawn extent: the surveyed parcel, picked (the only one found).
    pick = pg.get_by_label(f"选择 {unit['code']}")
    expect(pick).to_be_visible()
    pick.check()
    expect(pg.get_by_label("登记单元标识")).to_have_value(unit["id"])
    ui.shot(pg, "20-citizen-drew-boundary")
    # 域内通办: 杏花岭区 offered as a receiving office for a 原平市 unit.
    office = pg.get_by_label("受理机构", exact=True)
    expect(office.locator("option", has_text="属地登记机构（山西省忻州市原平市）")).to_have_count(1)
    office.select_option("140107")
    pg.get_by_label("权利来源").fill("出让")
    pg.get_by_label("证件号码").fill(ZHANG_ID)
    pg.get_by_role("button", name="提交申请").click()
    pg.wait_for_url(re.compile(r"/applications/[0-9a-f-]{36}$"))
    expect(_status(pg)).to_contain_text("已提交，待受理")
    application_id = pg.url.rsplit("/", 1)[1]
    number = _status(pg).inner_text().split(" · ")[0].strip()
    journey["application_id"], journey["number"] = application_id, number
    # The drawn boundary went with the application as a document; then the three required ones.
    expect(pg.get_by_role("cell", name="申请人标绘的宗地范围（GeoJSON）", exact=True)).to_be_visible()
    for kind, filename in (("identity", "身份证.pdf"), ("ownership_source", "国有建设用地使用权出让合同.pdf"),
                           ("survey_report", "地籍调查表.pdf")):
        pg.get_by_label("材料类型").select_option(kind)
        pg.set_input_files("#doc-file", files=[{"name": filename, "mimeType": "application/pdf", "buffer": PDF + kind.encode()}])
        pg.get_by_role("button", name="上传材料").click()
        expect(pg.get_by_role("button", name=filename)).to_be_visible()
    ui.shot(pg, "21-citizen-filed-with-documents")
    boundary = httpx.get(f"{base_url}/api/registry/api/v1/applications/{application_id}", headers=_auth("citizen.zhang"),
                         timeout=20).json()
    doc = next(d for d in boundary["documents"] if d["kind"] == "boundary")
    drawn = httpx.get(f"{base_url}/api/registry/api/v1/applications/{application_id}/documents/{doc['id']}",
                      headers=_auth("citizen.zhang"), timeout=20).json()
    ring = drawn["geometry"]["coordinates"][0]
    assert drawn["geometry"]["type"] == "Polygon" and len(ring) == 5 and ring[0] == ring[-1]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    assert min(xs) < cx < max(xs) and min(ys) < cy < max(ys)  # drawn around the parcel

    # -- 杏花岭区 accepts (域内通办) but may not record: that is 原平市's --
    xhl = _context(browser)
    pg2 = xhl.new_page()
    _open_application(pg2, base_url, ui, "registrar.xhl", number)
    pg2.get_by_role("button", name="受理", exact=True).click()
    expect(_status(pg2)).to_contain_text("已受理，待审核")
    facts = pg2.locator(".card").first
    expect(facts).to_contain_text("受理机构山西省太原市杏花岭区")
    expect(facts).to_contain_text("属地（审核登簿）机构山西省忻州市原平市")
    pg2.get_by_role("button", name="登簿", exact=True).click()
    problem = pg2.locator(".problem").first
    expect(problem).to_be_visible()
    expect(problem.locator(".problem-code")).to_have_text(re.compile(r"^zone\.|application\."))
    ui.shot(pg2, "22-xhl-registrar-accepted-cannot-record")
    xhl.close()

    # -- 原平市 reviews, records and certifies --
    reviewer = _context(browser)
    pg3 = reviewer.new_page()
    _open_application(pg3, base_url, ui, "reviewer.yp", number, tab="待审核")
    pg3.get_by_label("审核意见").fill("权属来源合法，界址清楚，符合首次登记条件。")
    pg3.get_by_role("button", name="审核通过").click()
    expect(_status(pg3)).to_contain_text("已审核，待登簿")
    reviewer.close()

    registrar = _context(browser)
    pg4 = registrar.new_page()
    _open_application(pg4, base_url, ui, "registrar.yp", number, tab="待登簿")
    pg4.get_by_role("button", name="登簿", exact=True).click()
    expect(_status(pg4)).to_contain_text("已登簿，待发证")
    recorded_at = datetime.now(BEIJING)
    pg4.get_by_role("button", name="发证", exact=True).click()
    expect(_status(pg4)).to_contain_text("已发证")
    cert_number = pg4.get_by_test_id("certificate-number")
    expect(cert_number).to_contain_text("原平市不动产权第")
    certificate_number = cert_number.inner_text().strip()
    ui.shot(pg4, "23-yp-registrar-certified")

    # -- the register book: now (the citizen holds it), and as of before 登簿 (nothing yet) --
    pg4.get_by_role("link", name="查看登记簿").click()
    expect(pg4.locator("main h1")).to_have_text("登记簿查询")
    current = pg4.get_by_test_id("book-current")
    expect(current).to_contain_text("现势")
    expect(current).to_contain_text("张伟")
    expect(pg4.get_by_test_id("book-scope")).to_contain_text("依职权查询")
    pg4.get_by_label("查询目的").fill("办理首次登记后的登记簿核对")
    before = (recorded_at - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S")
    pg4.get_by_label("截至时间（可选）").fill(before)
    pg4.get_by_role("button", name="查询登记簿").click()
    expect(pg4.get_by_test_id("book-scope")).to_contain_text("历史时点")
    expect(pg4.get_by_test_id("book-scope")).to_contain_text("办理首次登记后的登记簿核对")
    expect(pg4.get_by_test_id("book-current")).to_contain_text("该时点登记簿尚无此单元的记载")
    ui.shot(pg4, "24-book-as-of-before-recording")
    registrar.close()

    # -- the citizen downloads the certificate PDF: its number in the text, a QR to the page --
    pg.reload()
    expect(_status(pg)).to_contain_text("已发证")
    expect(pg.get_by_test_id("certificate-number")).to_have_text(certificate_number)
    with pg.expect_download() as info:
        pg.get_by_role("button", name="下载证书 PDF").click()
    pdf_path = tmp_path / "certificate.pdf"
    info.value.save_as(pdf_path)
    raw = pdf_path.read_bytes()
    assert raw.startswith(b"%PDF-")
    from pypdf import PdfReader

    text = re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(raw)).pages))
    assert certificate_number in text and unit["code"] in text and "张伟" in text
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf_path), str(tmp_path / "page")], check=True, timeout=60)
    pngs = sorted(str(p) for p in tmp_path.glob("page*.png"))
    decoded = subprocess.run(["zbarimg", "--raw", "-q", *pngs], capture_output=True, text=True, timeout=60)
    urls = [u.strip() for u in decoded.stdout.splitlines() if u.strip()]
    assert len(urls) == 1, decoded
    qr_url = urls[0]
    certificate_id = httpx.get(f"{base_url}/api/registry/api/v1/applications/{application_id}",
                               headers=_auth("citizen.zhang"), timeout=20).json()["certificate_id"]
    assert certificate_id and qr_url == f"{base_url}/verify/certificates/{certificate_id}", qr_url
    journey["certificate_id"] = certificate_id
    # The holder reads their own book entry: no purpose asked, nothing logged.
    pg.get_by_role("link", name="查看登记簿").click()
    expect(pg.get_by_test_id("book-current")).to_contain_text("张伟")
    expect(pg.get_by_test_id("book-scope")).to_contain_text("本人名下的登记资料")
    ui.shot(pg, "25-citizen-own-book")
    citizen.close()

    # -- anyone scans the QR with a phone: nginx serves the page, the registry answers --
    phone = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 390, "height": 844},
                                is_mobile=True, has_touch=True)
    try:
        pp = phone.new_page()
        resp = pp.goto(qr_url)
        assert resp is not None and resp.status == 200
        result = pp.get_by_test_id("verify-result")
        expect(result).to_contain_text(certificate_number, timeout=20_000)
        expect(result).to_contain_text("签名有效")
        expect(result).to_contain_text("与登记簿现势记载一致")
        expect(result).to_contain_text("登记簿状态")
        expect(result).to_contain_text("第 1 版（现势）")
        assert pp.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        ui.shot(pp, "26-phone-qr-verification")
    finally:
        phone.close()


# --- 4: a live auction, two bidders, each sees the other's bids ----------------------------------

def test_two_bidders_see_each_others_bids_live_in_an_auction(ui, browser, base_url, journey, qualified_auction):
    api = f"{base_url}/api/transactions/api/v1"
    rooms = {}
    contexts = []
    try:
        # Both bidders sign in first (each in a browser of their own), then the auction is set up.
        for bidder in ("bidder.a", "bidder.b"):
            ctx = _context(browser)
            contexts.append(ctx)
            room = ctx.new_page()
            room.goto(f"{base_url}/announcements")
            ui.login(room, bidder)
            rooms[bidder] = room
        listing_id = qualified_auction()
        journey["listing_id"] = listing_id
        for room in rooms.values():
            room.goto(f"{base_url}/listings/{listing_id}")
            expect(room.locator(".feed-status")).to_contain_text("实时行情已连接")
            expect(room.get_by_test_id("bidder-panel")).to_contain_text("资格审核通过")
            room.evaluate("window.__natresNoReload = true")  # a marker that a reload would wipe
        a, b = rooms["bidder.a"], rooms["bidder.b"]
        # The scheduler opens bidding when registration closes; both rooms learn it from the feed.
        for room in (a, b):
            expect(room.locator("main .badge").first).to_have_text("竞价中", timeout=45_000)
        number_a = a.get_by_test_id("bidder-panel").locator(".fact", has_text="竞买号").locator("dd").inner_text().strip()
        number_b = b.get_by_test_id("bidder-panel").locator(".fact", has_text="竞买号").locator("dd").inner_text().strip()
        assert re.fullmatch(r"\d{6}", number_a) and re.fullmatch(r"\d{6}", number_b) and number_a != number_b

        def bid(room, expected: str) -> None:
            amount = room.get_by_label("报价金额（元）")
            expect(amount).to_have_value(expected)  # the minimum next bid, kept current by the feed
            room.get_by_role("button", name="确认报价").click()
            expect(room.locator(".ok-box[role=status]")).to_contain_text("报价已被接受")

        def board_shows(room, seq: int, number: str, money: str) -> None:
            row = room.get_by_test_id("bid-board").locator("tbody tr").first
            expect(row).to_contain_text(str(seq))
            expect(row).to_contain_text(number)
            expect(row).to_contain_text(money)
            expect(room.get_by_test_id("current-price")).to_have_text(money)

        bid(a, "1000000.00")
        board_shows(b, 1, number_a, "¥1,000,000.00")  # B sees A's bid without reloading
        bid(b, "1010000.00")
        board_shows(a, 2, number_b, "¥1,010,000.00")  # and A sees B's
        bid(a, "1020000.00")
        board_shows(b, 3, number_a, "¥1,020,000.00")
        # 加价: B raises by two increments; the form prices it from the feed and the server at the lock.
        form = b.get_by_test_id("raise-form")
        form.get_by_label("加价幅度数").fill("2")
        expect(form.get_by_label("最高可接受报价（元）")).to_have_value("1040000.00")
        form.get_by_role("button", name="确认加价").click()
        expect(form.locator(".ok-box[role=status]")).to_contain_text("¥1,040,000.00")
        board_shows(a, 4, number_b, "¥1,040,000.00")
        for room in (a, b):
            expect(room.locator(".feed-status")).to_contain_text("收到报价 #4")
            expect(room.get_by_test_id("bid-board").locator("tbody tr")).to_have_count(4)
        # Neither page was reloaded: the rows arrived over the open EventSource.
        assert all(room.evaluate("window.__natresNoReload === true") for room in (a, b))
        ui.shot(a, "27-auction-bidder-a")
        ui.shot(b, "28-auction-bidder-b")
        board = httpx.get(f"{api}/listings/{listing_id}/bids", timeout=20).json()
        assert [(x["seq"], x["bidder_number"], x["amount"]) for x in board] == [
            (1, number_a, "1000000.00"), (2, number_b, "1010000.00"), (3, number_a, "1020000.00"),
            (4, number_b, "1040000.00")]
    except BaseException:
        for name, room in rooms.items():  # what each bidder saw when it went wrong
            ui.shot(room, f"FAILED-auction-{name}")
        raise
    finally:
        for ctx in contexts:
            ctx.close()


# --- 5: the auditor finds the journey and the browser verifies the proof -------------------------

def _query_until(pg, expected_types: list[str], timeout_s: float = 30) -> None:
    """Run the query until every expected event type is in the log (intake is asynchronous)."""
    rows = pg.get_by_test_id("audit-entries").locator("tbody tr")
    deadline = datetime.now(UTC) + timedelta(seconds=timeout_s)
    while True:
        pg.get_by_role("button", name="查询", exact=True).click()
        expect(pg.locator(".loading")).to_have_count(0)
        text = " ".join(rows.all_inner_texts()) if pg.get_by_test_id("audit-entries").count() else ""
        if all(t in text for t in expected_types):
            return
        if datetime.now(UTC) > deadline:
            pytest.fail(f"audit log lacks some of {expected_types}; shown: {text[:500]}")
        pg.wait_for_timeout(1000)


def test_auditor_finds_the_journey_events_by_subject_and_verifies_an_inclusion_proof(ui, page, base_url, journey):
    if "application_id" not in journey or "listing_id" not in journey:
        pytest.skip("the journey tests above did not run")
    page.goto(base_url + "/")
    ui.login(page, "auditor.wang")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="审计", exact=True).click()
    expect(page.locator("main h1")).to_have_text("审计")

    subject = page.get_by_label("对象标识（subject）")
    subject.fill(journey["application_id"])
    steps = ["submitted", "document_added", "accepted", "reviewed", "recorded", "certificate_issued"]
    _query_until(page, [f"registry.application.{s}.v1" for s in steps])
    rows = page.get_by_test_id("audit-entries").locator("tbody tr")
    for row_text in rows.all_inner_texts():
        assert journey["application_id"] in row_text
    # A checkpoint now, so the newest entries are covered; then the browser checks the proof.
    page.get_by_role("button", name="立即发布检查点").click()
    expect(page.locator(".problem")).to_have_count(0)
    issued = rows.filter(has_text="registry.application.certificate_issued.v1").first
    issued.get_by_role("button", name="详情与证明").click()
    entry = page.get_by_test_id("audit-entry")
    expect(entry).to_contain_text("验证通过：根哈希与检查点一致", timeout=20_000)
    expect(entry).to_contain_text(journey["number"])
    ui.shot(page, "29-auditor-application-proof")

    # The auction by the listing's id: the bids are in the log too.
    subject.fill(journey["listing_id"])
    _query_until(page, ["transactions.listing.created.v1", "transactions.bidder.qualified.v1",
                        "transactions.listing.bidding_opened.v1", "transactions.bid.accepted.v1"])
    bid_row = rows.filter(has_text="transactions.bid.accepted.v1").last
    bid_row.get_by_role("button", name="详情与证明").click()
    page.get_by_role("button", name="立即发布检查点").click()
    expect(page.get_by_test_id("audit-entry")).to_contain_text("验证通过：根哈希与检查点一致", timeout=20_000)
    ui.shot(page, "30-auditor-listing-proof")
    assert page.natres_errors == []


# --- usability: drawing by keyboard, a crossed outline refused, the book on a phone -------------
