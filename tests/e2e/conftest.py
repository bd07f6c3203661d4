"""Browser fixtures: a live server in its own process and Debian's Chromium via Playwright.

The async Playwright API only (STACK-NOTES: the sync fixtures break async tests).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.live import LiveServer
from tests.live import live_server as live_server_process

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 375, "height": 667}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app served by uvicorn on a free port, on a freshly migrated SQLite file."""
    with live_server_process(tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it", pytrace=False)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(
        viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True, device_scale_factor=2
    )
    yield context
    await context.close()


def _is_error(text: str, kind: str) -> bool:
    """Console errors that mean a bug (CSP violations, exceptions), not the browser noting
    an HTTP error status the page handles (a 400 for a wrong password is expected)."""
    expected = ("Failed to load resource", "Response Status Error Code")
    return kind == "error" and not text.startswith(expected)


@pytest.fixture
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    """A phone-sized page that records console errors (a CSP violation shows up there)."""
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if _is_error(m.text, m.type) else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors  # type: ignore[attr-defined]
    yield page


@pytest.fixture(scope="session")
def sync_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app with the test entity `note`, to drive the outbox before any domain has forms."""
    with live_server_process(
        tmp_path_factory.mktemp("sync"), app="tests.integration.sync.live_app:create"
    ) as server:
        yield server
