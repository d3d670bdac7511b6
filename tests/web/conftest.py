"""Browser tests of the web tier: headless Debian Chromium driven by Playwright (PyPI).

They run against the one origin nginx serves (NATRES_PUBLIC_BASE_URL, default
http://127.0.0.1:8080) with the real services and the real Keycloak login form. When nothing
answers there, the session starts the web tier itself with `deploy/local/web.sh start` (which
builds web/ if needed) and stops it again at the end; a web tier started by ./natres is left alone.

Screenshots go to test-artifacts/web/ (git-ignored). Never `playwright install`: the browser is
Debian's /usr/bin/chromium (deploy/local/web.sh install).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

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
