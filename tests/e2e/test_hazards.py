"""The hazard loop on a 375x667 phone: the grid member reports offline with 2 photos and
comes back online; the station triages and assigns; the assignee rectifies with an
after-photo; the station verifies and closes; the ledger export is right."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from playwright.async_api import Browser, BrowserContext, Page

from tests.e2e.conftest import PHONE
from tests.e2e.pages.hazards import HazardPage, ReportPage
from tests.e2e.pages.login import LoginPage
from tests.e2e.pages.outbox import Outbox
from tests.e2e.pages.shell import Shell, overflow, small_targets
from tests.e2e.test_outbox import jpeg
from tests.live import LiveServer

GRID_MEMBER = "13900000007"
STATION = "13900000005"


def photo(seed: int) -> dict:
    return {"name": f"p{seed}.jpg", "mimeType": "image/jpeg", "buffer": jpeg(seed)}


async def photos_left(page: Page) -> int:
    return len(await page.evaluate("import('/static/js/photos.js').then(m => m.waiting())"))


async def test_report_offline_then_the_whole_loop(
    live_server: LiveServer, browser: Browser, context: BrowserContext, page: Page, tmp_path: Path
) -> None:
    base = live_server.url
    await context.grant_permissions(["geolocation"])
    await context.set_geolocation({"latitude": 30.25, "longitude": 120.16, "accuracy": 12})
    await LoginPage(page, base).as_person(GRID_MEMBER)
    shell = Shell(page, base)
    await shell.wait_for_service_worker()
    await shell.wait_until_cached("/hazards/new")  # kept before it was ever opened
    await shell.wait_until_cached("/sync/pending")  # the last of the working set

    await context.set_offline(True)
    report = ReportPage(page, base)
    await report.open()  # from the phone's cache
    record_id = await report.record_id()
    await report.fill("fire.ebike", "3幢楼道电动车飞线充电（离线）", [photo(11), photo(12)])
    # the GPS fix put the pin on the map (no signal: the plain grid); the hazard is a few
    # metres east, so the thumb drags it there
    lat, lng = await report.drag_pin(60, 0)
    assert lat == pytest.approx(30.25, abs=2e-4) and lng > 120.1601
    await page.screenshot(path=tmp_path / "0-pin-dragged.png")
    await report.submit()
    await page.locator("#main #queued").wait_for()
    # the notice comes into the page's own frame: the person's tab bar, an honest badge
    assert await page.locator('nav.tabbar a[href="/hazards"]').count() == 1
    assert await page.locator("#net-status .net-offline").is_visible()
    assert await page.locator("#pending-sync").is_visible()
    await page.screenshot(path=tmp_path / "1-kept-offline.png")
    await page.goto(base + "/sync/pending")
    await page.locator("#pending-list li[data-state='queued']").wait_for()
    await page.goto(base + "/hazards?mine=1")  # 我的隐患, from the phone's copy
    queued = page.locator("#queued-hazards li.queued")
    await queued.first.wait_for()
    assert await queued.count() == 1 and "3幢楼道" in await queued.inner_text()
    await page.screenshot(path=tmp_path / "2-queued-in-my-hazards.png")

    await context.set_offline(False)  # sent: the list shows it as the server has it, by itself
    await page.locator(f"#hazard-rows #hazard-{record_id}").wait_for(timeout=20_000)
    assert await page.locator("#queued-hazards").is_hidden()
    await page.screenshot(path=tmp_path / "3-sent-in-my-hazards.png")
    outbox = Outbox(page)
    assert await outbox.drained() == {"queued": 0, "parked": 0, "rejected": 0}
    for _ in range(100):
        if await photos_left(page) == 0:
            break
        await page.wait_for_timeout(100)
    assert await photos_left(page) == 0
    hazard = HazardPage(page, base)
    await hazard.open(record_id)
    assert await hazard.status() == "待受理"
    assert await page.locator("#hazard-photos img.thumb").count() == 2  # both on the server

    desk = await browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    staff = await desk.new_page()
    await LoginPage(staff, base).as_person(STATION)
    station = HazardPage(staff, base)
    await station.open(record_id)
    await station.accept()
    await station.assign("幸福小区物业", GRID_MEMBER, "拆除飞线，设置集中充电点")

    await hazard.open(record_id)
    await hazard.wait_for_status("整改中")
    await hazard.rectify("飞线已拆除", photo(13))
    await hazard.wait_for_status("待验收")

    await station.open(record_id)
    await station.verify("复核合格")
    await station.wait_for_status("已销号")

    # the ledger of this hazard alone (others' tests share the server), found by its number
    code = (await staff.locator(".hero p").inner_text()).split()[0]
    workbook = await staff.request.get(f"{base}/hazards/ledger.xlsx?q={code}")
    book = openpyxl.load_workbook(io.BytesIO(await workbook.body()))
    rows = list(book.active.iter_rows(values_only=True))
    named = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    [row] = [r for r in named if r["描述"] == "3幢楼道电动车飞线充电（离线）"]
    assert row["状态"] == "已销号" and row["责任单位"] == "幸福小区物业"
    assert (row["纬度"], row["经度"]) == (round(lat, 6), round(lng, 6))  # where the pin was
    summary = dict(book["统计"].values)
    assert summary["已销号"] == 1 and summary["整改率"] == 1.0
    await desk.close()
    assert page.console_errors == []  # type: ignore[attr-defined]


async def test_hazard_pages_fit_a_phone(live_server: LiveServer, page: Page) -> None:
    await LoginPage(page, live_server.url).as_person(STATION)
    for path in ("/hazards/new", "/hazards", "/hazards?status=open", "/hazards/figures", "/inbox"):
        await page.goto(live_server.url + path)
        assert await overflow(page) <= 0, path
    for path in ("/hazards", "/tipoffs", "/places"):  # rows, chips, the area trail
        await page.goto(live_server.url + path)
        assert await small_targets(page, "a.row-link, .chips a, .trail a") == [], path
    await page.goto(live_server.url + "/")
    await page.locator("#my-areas a.row-link").first.click()  # an area: its trail and rows
    await page.locator("#my-areas a.row-link").first.wait_for(state="detached")
    await page.locator(".list a.row-link").first.click()  # a level down: the trail shows
    await page.locator(".trail a").first.wait_for()
    assert await small_targets(page, "a.row-link, .trail a") == []
    assert page.console_errors == []  # type: ignore[attr-defined]
