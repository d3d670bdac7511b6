"""Browser tests of the web tier: headless Debian Chromium driven by Playwright (PyPI).

They run against the one origin nginx serves (NATRES_PUBLIC_BASE_URL, default
http://127.0.0.1:8080) with the real services and the real Keycloak login form. When nothing
answers there, the session starts the web tier itself with `deploy/local/web.sh start` (which
builds web/ if needed) and stops it again at the end; a web tier started by ./natres is left alone.

Screenshots go to test-artifacts/web/ (git-ignored). Never `playwright install`: the browser is
Debian's /usr/bin/chromium (deploy/local/web.sh install).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from natres_platform.testing import password_token
from registry.units.codes import unit_code_for

try:
    from playwright import sync_api
except ImportError:  # the test module skips itself; fixtures below are then never used
    sync_api = None  # type: ignore[assignment]
else:
    # expect() retries for 5 s by default: too short for a feed or a login on a loaded machine.
    sync_api.expect.set_options(timeout=15_000)

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "web"
WEB_SH = REPO / "deploy" / "local" / "web.sh"
CHROMIUM = os.environ.get("NATRES_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--lang=zh-CN"]
DEMO_PASSWORD = "demo1234"


def _base_url() -> str:
    if os.environ.get("NATRES_PUBLIC_BASE_URL"):
        return os.environ["NATRES_PUBLIC_BASE_URL"].rstrip("/")
    return f"http://127.0.0.1:{os.environ.get('NATRES_WEB_PORT', '8080')}"


def _serving(base: str) -> bool:
    try:
        return httpx.get(f"{base}/index.html", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="session", autouse=True)
def _fresh_artifacts() -> None:
    """Screenshots of this run only."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    """The web origin; started here (and stopped after) only when it is not already up."""
    base = _base_url()
    started = False
    if not _serving(base):
        proc = subprocess.run([str(WEB_SH), "start"], check=False, cwd=REPO, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            pytest.fail(f"deploy/local/web.sh start failed:\n{proc.stdout}\n{proc.stderr}")
        started = True
    assert _serving(base), f"nothing serves the web app at {base}"
    yield base
    if started:
        subprocess.run([str(WEB_SH), "stop"], check=False, cwd=REPO, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="session")
def browser() -> Iterator[sync_api.Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: apt-get install chromium fonts-noto-cjk (deploy/local/web.sh install)")
    with sync_api.sync_playwright() as p:
        # Chinese browser UI strings (Debian's chromium-l10n) as users in Shanxi see them; headless
        # Chromium takes the UI language from LANGUAGE, not from --lang alone.
        env = {**os.environ, "LANGUAGE": "zh_CN:zh"}
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env)
        yield b
        b.close()


@pytest.fixture
def page(browser, base_url, request) -> Iterator[sync_api.Page]:
    """A fresh browser context (no Keycloak session) per test; a screenshot is kept on failure."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.natres_errors = errors  # type: ignore[attr-defined]
    yield pg
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        shot(pg, f"FAILED-{request.node.originalname}-{abs(hash(request.node.name)) % 10_000}")
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call":
        item.rep_call = rep


def shot(pg: sync_api.Page, name: str, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    pg.screenshot(path=str(path), full_page=full_page)
    return path


def login(pg: sync_api.Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Through the real Keycloak login form (authorization code + PKCE), back to the app."""
    pg.get_by_test_id("login").click()
    pg.wait_for_url(re.compile(r"/realms/natres/protocol/openid-connect/auth"))
    pg.locator("#username").fill(username)
    pg.locator("#password").fill(password)
    pg.locator("#kc-login").click()
    pg.get_by_test_id("whoami").wait_for()


def nav_labels(pg: sync_api.Page) -> list[str]:
    return [t.strip() for t in pg.locator("#site-nav a").all_inner_texts()]


class UI:
    """Helpers for the tests (a fixture: test modules are imported with importlib, not as a package)."""

    login = staticmethod(login)
    shot = staticmethod(shot)
    nav_labels = staticmethod(nav_labels)


@pytest.fixture(scope="session")
def ui() -> UI:
    return UI()


@pytest.fixture(scope="session")
def surveyed_unit(base_url):
    """Registers a surveyed parcel (地籍调查成果) near 原平 as 原平市's registrar: surveyed_unit(name=...)."""
    rng = random.Random()
    headers = {"Authorization": f"Bearer {password_token('registrar.yp')}"}

    def register(*, name: str, size: float = 0.0006) -> dict:
        for _ in range(5):  # retrying a rare overlap with another test's unit elsewhere
            lon, lat = round(rng.uniform(112.60, 112.85), 6), round(rng.uniform(38.62, 38.85), 6)
            square = {"type": "Polygon", "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size],
                                                          [lon, lat + size], [lon, lat]]]}
            code = unit_code_for(county_code="140981", parcel_seq=rng.randint(1, 99_999),
                                 cadastral_zone=rng.randint(1, 999), cadastral_subzone=rng.randint(1, 999))
            r = httpx.post(f"{base_url}/api/registry/api/v1/units", headers=headers, timeout=30,
                           json={"code": code, "geometry": square, "name": name})
            if r.status_code == 201:
                return {**r.json(), "centre": (lon + size / 2, lat + size / 2)}
            assert r.status_code == 409, r.text
        pytest.fail("could not place a unit without overlap")

    return register


@pytest.fixture(scope="session")
def qualified_auction(base_url, surveyed_unit):
    """qualified_auction() -> the id of a 拍卖 in 报名 where bidder.a and bidder.b are qualified."""
    return lambda: _auction_with_two_qualified_bidders(base_url, surveyed_unit)


def _bearer(username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {password_token(username)}"}


def _create_auction_in_registration(unit_id: str, *, window: float) -> str:
    """Like `natres-transactions demo`: the service layer in-process with a back-dated announcement.

    Registration is open now and closes `window` seconds after creation; bidding opens one second
    later (the running worker's scheduler). The schedule must be right at creation: a later term
    revision does not move the scheduler's next action. Runs in its own thread: Playwright's sync
    API owns this thread's event loop.
    """
    from transactions.closing.service import run_due
    from transactions.listings import service as listings
    from transactions.listings.schemas import ListingCreate
    from transactions.listings.states import Transition
    from transactions.settings import TransactionsSettings
    from transactions.trading import Trading

    async def make() -> str:
        trading = Trading.build(TransactionsSettings(allow_provisional_calendar=True))
        try:
            admin = await trading.ctx.verifier.verify(password_token("trader.admin"))
            now = datetime.now(UTC)
            closes = now + timedelta(seconds=window)
            data = ListingCreate(
                title="网页测试：拍卖出让（竞价）", unit_id=unit_id, right_type="state_construction_land_use",
                method="auction", land_use="industrial", term_years=50,
                announcement_at=now - timedelta(days=40), registration_start=now - timedelta(days=39),
                registration_end=closes, deposit_deadline=closes, bidding_start=closes + timedelta(seconds=1),
                listing_start=now - timedelta(days=20), listing_end=now + timedelta(days=5),
                start_price=Decimal("1000000.00"), increment=Decimal("10000.00"), reserve_price=Decimal("1000000.00"),
                deposit=Decimal("200000.00"),
            )
            row = await listings.create_listing(trading=trading, data=data, actor=admin)
            await listings.change_state(trading=trading, listing_id=row.id, event=Transition.ANNOUNCED, actor=admin)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 15
            while loop.time() < deadline:  # the registry marks the unit in trade, then registration opens
                await run_due(trading=trading)
                async with trading.uow() as uow:
                    if (await listings.load(uow, listing_id=row.id)).state == "registration":
                        return row.id
                await asyncio.sleep(0.25)
            raise AssertionError(f"listing {row.id} did not open registration (is the registry worker running?)")
        finally:
            close = getattr(trading, "aclose", None) or trading.ctx.aclose
            await close()

    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["id"] = asyncio.run(make())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            out["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    t.join(60)
    if "error" in out:
        raise out["error"]  # type: ignore[misc]
    return str(out["id"])


def _auction_with_two_qualified_bidders(base_url: str, surveyed_unit) -> str:
    """A 拍卖 in 报名 with bidder.a and bidder.b registered, deposits paid, qualified (API calls).

    Registration closes a few seconds after creation so bidding opens soon after; should the
    registry be slow to mark the unit in trade (registration opens only then), the window may pass
    before both qualified: then once more with a wider window.
    """
    api = f"{base_url}/api/transactions/api/v1"
    for window, last in ((8, False), (30, True)):
        unit = surveyed_unit(name="原平市网页测试拍卖宗地")
        listing_id = _create_auction_in_registration(unit["id"], window=window)
        done = 0
        for bidder in ("bidder.a", "bidder.b"):  # 报名, deposit through the simulated bank, 资格审核
            reg = httpx.post(f"{api}/listings/{listing_id}/registrations", headers=_bearer(bidder), timeout=20)
            if reg.status_code != 201 and not last:
                break
            assert reg.status_code == 201, reg.text
            pay = httpx.post(f"{api}/simbank/payments", json={"registration_id": reg.json()["id"]},
                             headers=_bearer(bidder), timeout=20)
            assert pay.status_code == 200 and pay.json()["status"] == "deposit_confirmed", pay.text
            ok = httpx.post(f"{api}/listings/{listing_id}/registrations/{reg.json()['id']}/qualify",
                            headers=_bearer("trader.admin"), timeout=20)
            if ok.status_code != 200 and not last:
                break
            assert ok.status_code == 200 and ok.json()["bidder_number"], ok.text
            done += 1
        if done == 2:
            return listing_id
    raise AssertionError("unreachable")
