"""Evacuation plans on a 375x667 phone: a station imports households from a file saved by
Excel (GBK): one bad row is refused with the line said and nothing imported; the corrected
file imports, and the zone shows its households. The zone's cards print with each household's
QR code, and the shelter's door checks a household in from a photo of its card."""

from __future__ import annotations

from pathlib import Path

import segno
from playwright.async_api import Browser

from server.settings import sqlite_path
from tests.e2e.test_day_in_the_field import Steps, query
from tests.e2e.test_evacuation import holder, qingxi_station, signed_in
from tests.live import LiveServer

HEADER = "户编码,危险区编码,网格编码,户主,人数,特殊人员\n"
# 下湾村: the evacuation test (test_evacuation.py) moves 清溪村, on the same server
GOOD = "339901002003-H701,WX-XW-01,339901002003-01,卫大,3,\n"
BAD = "339901002003-H702,WX-XW-01,339901002003-01,蒋二,两个,\n"
ZONE = "下湾村低洼易涝区"


async def test_a_station_imports_households_on_a_phone(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    steps = Steps(tmp_path)
    _context, page = await qingxi_station(browser, live_server)
    await page.goto(live_server.url + "/shelters")
    zone = page.locator("#zones li", has_text=ZONE)
    assert "5户" in await zone.inner_text()
    form = page.locator("#plan-import form")
    await form.locator("select[name=kind]").select_option("households")
    bad = tmp_path / "households.csv"
    bad.write_bytes((HEADER + GOOD + BAD).encode("gbk"))
    await form.locator("input[type=file]").set_input_files(bad)
    await steps.shot(page, "import-chosen")
    await form.locator("button[type=submit]").click()
    errors = page.locator("#import-errors")
    await errors.wait_for()
    assert "第3行" in await errors.inner_text()
    await steps.shot(page, "import-refused")
    assert "5户" in await page.locator("#zones li", has_text=ZONE).inner_text()

    good = tmp_path / "households-fixed.csv"
    good.write_bytes((HEADER + GOOD + BAD.replace("两个", "2")).encode("gbk"))
    form = page.locator("#plan-import form")
    await form.locator("select[name=kind]").select_option("households")
    await form.locator("input[type=file]").set_input_files(good)
    await form.locator("button[type=submit]").click()
    await page.locator("#import-report", has_text="新增2").wait_for()
    assert "7户" in await page.locator("#zones li", has_text=ZONE).inner_text()
    await steps.shot(page, "import-done")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375


async def test_a_card_scanned_at_the_door_checks_the_household_in(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    db = str(sqlite_path(live_server.env["DATABASE_URL"]))
    url = live_server.url
    steps = Steps(tmp_path)
    _context, station = await qingxi_station(browser, live_server)
    await station.goto(url + "/shelters")
    zone = station.locator("#zones li", has_text=ZONE)
    await zone.get_by_role("link", name="打印明白卡").click()
    cards = station.locator("[data-card]")
    await cards.first.wait_for()
    [(households,)] = query(
        db,
        "SELECT COUNT(*) FROM household h JOIN danger_zone z ON z.id = h.zone_id"
        " WHERE z.code = 'WX-XW-01' AND h.active",
    )
    assert await cards.count() == households >= 5
    code = await cards.first.get_attribute("data-card")
    assert code and "去往：清溪镇中心小学避灾安置场所" in await cards.first.inner_text()
    await steps.shot(station, "cards")

    await station.goto(url + "/evacuations/new")
    await station.locator("input[name=title]").fill("下湾村低洼易涝区转移")
    await station.locator("label", has_text=ZONE).locator("input").check()
    await station.get_by_role("button", name="启动转移").click()
    await station.locator("[data-board-src]").wait_for()

    _m, manager = await signed_in(
        browser, live_server, holder(db, "safety_officer", "%/339901002/")
    )
    await manager.locator("#my-shelters a").first.click()
    await manager.locator("#checkin-form").wait_for()
    await steps.shot(manager, "door")
    photo = tmp_path / "card.png"
    segno.make(code, error="m", micro=False).save(str(photo), scale=8, border=4)
    await manager.locator("#checkin-form input[data-scan-still]").set_input_files(photo)
    inside = manager.locator("#inside li", has_text=code)
    await inside.wait_for()
    await steps.shot(manager, "door-scanned")
