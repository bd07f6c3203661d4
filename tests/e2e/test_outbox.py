"""The phone's outbox in Chromium: kept offline across reloads, drained when the network
returns, a poisoned entry parked without blocking the others, a refusal kept and shown."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import BrowserContext, Page

from server.directory.demo import DEMO_PASSWORD
from tests.e2e.pages.login import LoginPage
from tests.e2e.pages.outbox import Outbox
from tests.e2e.pages.shell import Shell
from tests.live import LiveServer

ADMIN = "13900000001"


async def test_outbox_survives_offline_and_drains(
    sync_server: LiveServer, context: BrowserContext, page: Page
) -> None:
    login = LoginPage(page, sync_server.url)
    await login.open()
    await login.log_in(ADMIN, DEMO_PASSWORD)
    await page.locator("#my-areas").wait_for()
    shell = Shell(page, sync_server.url)
    await shell.wait_for_service_worker()
    await shell.reload()
    await page.goto(sync_server.url + "/sync/pending")  # kept for offline use
    outbox = Outbox(page)

    await context.set_offline(True)
    records = [str(uuid.uuid4()) for _ in range(3)]
    for n, rid in enumerate(records):
        await outbox.enqueue_note(
            rid, title=f"离线记录{n}", status="open", area_path="/339900/", photos=[]
        )
    assert (await outbox.counts())["queued"] == 3
    await page.reload()  # offline: the page comes from the cache, the outbox from IndexedDB
    await page.locator("#pending-list li[data-state='queued']").nth(2).wait_for()
    assert await outbox.badge() == "3"

    await context.set_offline(False)  # the `online` event replays
    for _ in range(100):
        if (await outbox.counts())["queued"] == 0:
            break
        await page.wait_for_timeout(100)
    assert await outbox.counts() == {"queued": 0, "parked": 0, "rejected": 0}
    assert await outbox.badge() is None
    feed = await page.request.get(sync_server.url + "/sync/changes")
    seen = {e["record_id"] for e in (await feed.json())["entries"]}
    assert set(records) <= seen


async def test_poisoned_entry_is_parked_and_refusals_are_kept(
    sync_server: LiveServer, page: Page
) -> None:
    login = LoginPage(page, sync_server.url)
    await login.open()
    await login.log_in(ADMIN, DEMO_PASSWORD)
    await page.locator("#my-areas").wait_for()
    outbox = Outbox(page)
    await outbox.add_raw({"broken": True})  # no id: the server cannot answer for it
    await outbox.enqueue_note(str(uuid.uuid4()), title="好的", status="open", area_path="/339900/")
    await outbox.enqueue_note(str(uuid.uuid4()), title="坏的", colour="red")
    for _ in range(3):
        await outbox.replay(max_attempts=3)
    counts = await outbox.counts()
    assert counts == {"queued": 0, "parked": 1, "rejected": 1}, counts
    await page.goto(sync_server.url + "/sync/pending")
    parked = page.locator("#pending-list li[data-state='parked']")
    rejected = page.locator("#pending-list li[data-state='rejected']")
    await rejected.wait_for()
    assert "多次失败" in await parked.inner_text()
    assert re.search("unknown field", await rejected.inner_text())
    assert page.console_errors == []  # type: ignore[attr-defined]


async def test_form_submitted_offline_is_kept_and_sent_later(
    sync_server: LiveServer, context: BrowserContext, page: Page
) -> None:
    login = LoginPage(page, sync_server.url)
    await login.open()
    await login.log_in(ADMIN, DEMO_PASSWORD)
    await page.locator("#my-areas").wait_for()
    shell = Shell(page, sync_server.url)
    await shell.wait_for_service_worker()
    await page.goto(sync_server.url + "/sync/pending")
    await page.goto(sync_server.url + "/test/notes/new")  # both kept for offline use
    record_id = await page.locator("input[name=record_id]").input_value()

    await context.set_offline(True)
    await page.get_by_label("title").fill("管涌（离线）")
    await page.get_by_role("button", name="save").click()
    await page.locator("#queued").wait_for()
    assert "已离线保存" in await page.locator("#queued").inner_text()
    await page.goto(sync_server.url + "/sync/pending")
    await page.locator("#pending-list li[data-state='queued']").wait_for()

    await context.set_offline(False)
    outbox = Outbox(page)
    for _ in range(100):
        if (await outbox.counts())["queued"] == 0:
            break
        await page.wait_for_timeout(100)
    assert await outbox.counts() == {"queued": 0, "parked": 0, "rejected": 0}
    feed = await page.request.get(sync_server.url + "/sync/changes")
    assert record_id in {e["record_id"] for e in (await feed.json())["entries"]}
    assert page.console_errors == []  # type: ignore[attr-defined]
