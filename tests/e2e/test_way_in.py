"""A resident on a 375x667 phone, with no account, finds the way in: the logged-out home, the
tab bar and the login page all lead to the public tip-off form and to following one (issue
20, "No way in"). Screenshots of each step are saved beside the test's tmp_path."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page

from tests.e2e.conftest import PHONE
from tests.live import LiveServer


async def _within_first_screen(page: Page, name: str) -> None:
    box = await page.get_by_role("link", name=name, exact=True).first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], (name, box)


async def test_a_resident_finds_the_tip_off_form(
    live_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    await page.goto(live_server.url + "/")
    await page.screenshot(path=tmp_path / "1-home.png")
    await _within_first_screen(page, "登录")
    await _within_first_screen(page, "举报安全隐患")
    assert await page.locator(".tabbar").get_by_role("link", name="我要举报").count() == 1
    assert await page.locator(".tabbar").get_by_role("link", name="查询进度").count() == 1
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"]

    await page.get_by_role("link", name="举报安全隐患", exact=True).first.click()
    await page.locator("#tipoff-form").wait_for()
    await page.screenshot(path=tmp_path / "2-form.png")
    current = page.locator(".tabbar [aria-current=page]")
    assert "我要举报" in await current.inner_text()

    await page.locator(".tabbar").get_by_role("link", name="登录").click()
    await page.locator("#login-form").wait_for()
    await page.screenshot(path=tmp_path / "3-login.png")
    await page.locator("#main").get_by_role("link", name="查询举报进度").click()
    await page.wait_for_url("**/tipoffs/track")
    assert page.console_errors == []  # type: ignore[attr-defined]
