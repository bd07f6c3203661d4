"""A grid member on a 375x667 phone: log in, see my grid and its places, log out."""

from __future__ import annotations

from playwright.async_api import BrowserContext, Page

from server.directory.demo import DEMO_PASSWORD
from tests.e2e.conftest import PHONE
from tests.e2e.pages.login import AreaPage, HomePage, LoginPage
from tests.e2e.pages.shell import Shell
from tests.live import LiveServer

GRID_MEMBER = "13900000007"  # the demo's first grid member: 望江社区第1网格


async def test_grid_member_logs_in_sees_grid_and_logs_out(
    live_server: LiveServer, context: BrowserContext, page: Page
) -> None:
    login = LoginPage(page, live_server.url)
    await login.open()
    await Shell(page, live_server.url).wait_for_service_worker()
    await login.log_in(GRID_MEMBER, "wrong-password")
    error = page.locator("#login-form .error-box")
    await error.wait_for()
    assert "手机号或密码不正确" in await error.inner_text()
    assert await page.get_by_label("手机号").input_value() == GRID_MEMBER, "number kept"

    await page.get_by_label("密码").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="登录").click()
    home = HomePage(page)
    await page.locator("#my-areas").wait_for()
    assert "您好" in await home.greeting()
    assert await home.my_areas() == ["望江社区第1网格 网格"]
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"]

    await home.open_area("望江社区第1网格")
    area = AreaPage(page)
    await page.locator("#area-places").wait_for()
    assert await area.title() == "望江社区第1网格"
    places = await area.place_names()
    # six of the first demo, the 危房 and the 九小场所 added with issue 18; the riskiest first
    assert len(places) == 8 and all("望江社区" in p for p in places)
    order = "重较一低"
    grades = [order.index(p[0]) for p in places]
    assert grades == sorted(grades) and places[0].startswith("重")

    await home.tab("我的")  # the tab bar is the grid member's: places are one tap from 我的
    await page.locator("#more").get_by_role("link", name="场所").click()
    await page.locator("#place-list").wait_for()
    assert await page.locator("#place-list").get_attribute("data-total") == "8"

    # Pages opened through htmx links are kept too: the list opens with no network.
    await context.set_offline(True)
    await page.reload()
    assert await page.locator("#place-list").get_attribute("data-total") == "8"
    await context.set_offline(False)

    await home.tab("我的")
    await page.get_by_role("button", name="退出登录").click()
    await page.locator("#login-form").wait_for()
    assert page.url.endswith("/login?bye=1")
    await page.goto(live_server.url + "/places")
    assert "/login?next=" in page.url, "logged out: the places need a login again"
    assert page.console_errors == []  # type: ignore[attr-defined]
