"""The service worker takes control, serves the shell and the offline page without a network."""

from __future__ import annotations

from playwright.async_api import BrowserContext, Page

from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.pages.shell import Shell


async def test_shell_works_offline_and_refreshes_online(
    live_server: LiveServer, context: BrowserContext, page: Page
) -> None:
    shell = Shell(page, live_server.url)
    await shell.open("/")
    await shell.wait_for_service_worker()
    await shell.wait_until_cached("/")
    await context.set_offline(True)
    await shell.reload()
    assert await shell.title() == "网格安全通", "the first page opened is kept for offline use"
    await context.set_offline(False)

    await shell.reload()
    assert await shell.controlled(), "the service worker controls the page after a reload"
    assert "已就绪" in await page.locator("[data-sw-state]").inner_text()
    cached_copy = await shell.rendered_at()

    await context.set_offline(True)
    await shell.reload()
    assert await shell.title() == "网格安全通", "the shell renders from the cache"
    assert await shell.rendered_at() == cached_copy
    assert await shell.online_flag() == "false"
    assert await shell.network_label() == "离线"

    await shell.open("/a-page-never-opened")
    assert await page.locator("#offline-page").is_visible(), "the offline page from the cache"
    assert "没有网络连接" in await shell.title()

    await context.set_offline(False)
    await shell.open("/")
    assert await shell.online_flag() == "true"
    assert await shell.rendered_at() != cached_copy, "online again: a fresh page"
    assert page.console_errors == []  # type: ignore[attr-defined]


async def test_home_fits_a_phone_and_thumb(live_server: LiveServer, page: Page) -> None:
    shell = Shell(page, live_server.url)
    await shell.open("/")
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], "no sideways scrolling on a 375 px phone"
    tabbar = await page.locator("nav.tabbar").bounding_box()
    assert tabbar is not None
    assert tabbar["y"] + tabbar["height"] <= PHONE["height"], "tab bar within reach of the thumb"
    assert tabbar["height"] >= 48
    for link in await page.locator("nav.tabbar a, .language button").all():
        box = await link.bounding_box()
        assert box is not None and box["height"] >= 44, "touch targets of at least 44 px"
    assert page.console_errors == []  # type: ignore[attr-defined]


async def test_language_switch_in_browser(live_server: LiveServer, page: Page) -> None:
    shell = Shell(page, live_server.url)
    await shell.open("/")
    await page.get_by_role("button", name="English").click()
    await page.locator("html[lang='en']").wait_for(state="attached")
    assert await shell.title() == "Gridwatch"
    await page.get_by_role("button", name="中文").click()
    await page.locator("html[lang='zh-CN']").wait_for(state="attached")
    assert page.console_errors == []  # type: ignore[attr-defined]
