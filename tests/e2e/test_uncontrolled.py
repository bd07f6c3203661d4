"""A page no service worker controls (a first visit, a worker not active yet): a report sent
with no network is kept by the page itself and sent when the network returns; before, it was
neither queued nor sent, and nothing said so (issue 20, "lost without a word")."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser

from tests.e2e.conftest import PHONE
from tests.e2e.pages.hazards import HazardPage, ReportPage
from tests.e2e.pages.login import LoginPage
from tests.e2e.pages.outbox import Outbox
from tests.e2e.test_hazards import GRID_MEMBER, photo
from tests.live import LiveServer


async def test_a_report_sent_offline_without_a_worker_is_kept_and_sent(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    base = live_server.url
    context = await browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
        service_workers="block",  # what the page sees before its worker takes control
    )
    page = await context.new_page()
    await LoginPage(page, base).as_person(GRID_MEMBER)
    assert await page.evaluate("navigator.serviceWorker.controller") is None
    report = ReportPage(page, base)
    await report.open()
    record_id = await report.record_id()
    await report.fill("fire.ebike", "无服务线程时离线上报", [photo(31)])
    await page.screenshot(path=tmp_path / "1-form.png")

    await context.set_offline(True)
    await report.submit()
    await page.locator("#main #queued").wait_for()  # the page says so, in its own frame
    await page.screenshot(path=tmp_path / "2-kept.png")
    outbox = Outbox(page)
    assert (await outbox.counts())["queued"] == 1
    assert await page.locator("nav.tabbar a").count() > 0, "the person's tab bar stays"
    fresh = await page.evaluate("document.querySelector('#report-form') === null")
    assert fresh, "the notice replaced the form: a second tap cannot send it twice"

    await context.set_offline(False)  # the page's own triggers replay it
    assert await outbox.drained() == {"queued": 0, "parked": 0, "rejected": 0}
    hazard = HazardPage(page, base)
    await hazard.open(record_id)
    assert await hazard.status() == "待受理"
    await page.screenshot(path=tmp_path / "3-sent.png")
    await context.close()


async def test_the_badge_counts_photos_until_the_server_has_them(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    """A report can reach the server long before its photos: until they are there the phone
    must not say that nothing is waiting (the worker would pocket the evidence)."""
    base = live_server.url
    context = await browser.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, service_workers="block"
    )
    page = await context.new_page()
    await LoginPage(page, base).as_person(GRID_MEMBER)
    await page.route("**/media/uploads/**", lambda route: route.abort())  # a dead uplink
    report = ReportPage(page, base)
    await report.open()
    record_id = await report.record_id()
    await report.fill("fire.ebike", "照片比记录晚到", [photo(41)])
    await report.submit()  # online: the record is accepted at once
    await page.wait_for_url(f"**/hazards/{record_id}")
    outbox = Outbox(page)
    for _ in range(50):
        if await outbox.badge() == "1":
            break
        await page.wait_for_timeout(100)
    assert await outbox.badge() == "1", "one photo is still on the phone"
    await page.goto(base + "/sync/pending")
    line = page.locator("#photos-waiting")
    await line.wait_for()
    assert "1" in await line.locator("[data-photo-count]").inner_text()
    await page.screenshot(path=tmp_path / "1-photo-waiting.png")

    await page.unroute("**/media/uploads/**")
    await outbox.replay()
    for _ in range(50):
        if await outbox.badge() is None:
            break
        await page.wait_for_timeout(100)
    assert await outbox.badge() is None
    assert await line.is_hidden()
    await page.screenshot(path=tmp_path / "2-all-sent.png")
    await context.close()


async def test_photos_of_an_online_report_go_at_once_and_show(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    """Sent online, the report's photo follows it at once (not at the outbox's next tick, up to
    30 s later) and takes its place on the hazard's page without a reload."""
    base = live_server.url
    context = await browser.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    await LoginPage(page, base).as_person(GRID_MEMBER)
    report = ReportPage(page, base)
    await report.open()
    record_id = await report.record_id()
    await report.fill("fire.ebike", "在线上报，照片随后即到", [photo(51)])
    await report.submit()
    await page.wait_for_url(f"**/hazards/{record_id}")
    await page.locator("#hazard-photos img.thumb").wait_for(timeout=10_000)
    assert await page.locator("#hazard-photos .uploading").count() == 0
    await page.screenshot(path=tmp_path / "1-photo-shown.png")
    await context.close()
