"""A station's desk work on a 375x667 phone (issue 18), by taps from the home: the duty rota
(a day filled, the officer shown), a 12350 call entered with its channel (the caller's
number and code shown to read out), and the figures by channel. Screenshots of each step."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser

from tests.e2e.pages.login import LoginPage
from tests.e2e.pages.shell import small_targets
from tests.e2e.test_day_in_the_field import STATION, Steps, phone
from tests.live import LiveServer


async def test_the_station_keeps_its_rota_and_enters_a_hotline_call(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    steps = Steps(tmp_path)
    context = await phone(browser)
    page = await context.new_page()
    await LoginPage(page, live_server.url).as_person(STATION)
    await page.locator("#quick-actions a", has_text="值班表").click()
    await page.locator("#rota-days").wait_for()
    await steps.shot(page, "rota")
    today = page.locator("#rota-days li.today")
    await today.locator("summary").click()
    officer = today.locator("select[name=officer_id]")
    name = (await officer.locator("option").nth(1).inner_text()).strip()
    await officer.select_option(index=1)
    await today.get_by_role("button", name="保存当日值班").click()
    await page.locator("#rota-days li.today summary", has_text=name).wait_for()
    await steps.shot(page, "rota-filled")
    assert await small_targets(page, "main button, main summary") == []

    await page.goto(live_server.url + "/tipoffs")
    await page.get_by_role("link", name="登记电话、来信来访举报").click()
    form = page.locator("#intake-form")
    await form.wait_for()
    await form.get_by_label("来源渠道").select_option("12350")
    await form.get_by_label("隐患类别").select_option("gas.hose")
    await form.get_by_label("举报内容").fill("来电反映饭店燃气软管老化开裂")
    await form.get_by_label("地址").fill("望江路 18 号")
    await form.locator("select[name=area_path]").select_option(index=1)
    await form.get_by_label("来电人电话（选填）").fill("0571-88001234")
    await steps.shot(page, "intake")
    await form.get_by_role("button", name="保存举报").click()
    told = page.locator("#tell-the-caller")
    await told.wait_for()
    assert "JB" in await told.inner_text()
    assert "12350安全生产举报热线" in await page.locator("main").inner_text()
    await steps.shot(page, "entered")

    await page.goto(live_server.url + "/tipoffs/figures")
    await page.locator('#by-channel li[data-channel="12350安全生产举报热线"]').wait_for()
    await steps.shot(page, "figures-by-channel")
    await context.close()
