"""The phone's outbox in Chromium: kept offline across reloads, drained when the network
returns, a poisoned entry parked without blocking the others, a refusal kept and shown."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid

from playwright.async_api import BrowserContext, Page

from server.media import grants
from server.settings import sqlite_path
from tests.e2e.pages.login import LoginPage
from tests.e2e.pages.outbox import Outbox
from tests.e2e.pages.shell import Shell
from tests.live import LiveServer


async def test_outbox_survives_offline_and_drains(
    sync_server: LiveServer, context: BrowserContext, page: Page
) -> None:
    await LoginPage(page, sync_server.url).as_admin()
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
    tags = await page.evaluate(
        "navigator.serviceWorker.ready.then(r => r.sync ? r.sync.getTags() : ['no API'])"
    )
    assert tags == ["gridwatch-outbox"], "Background Sync wakes the worker when it is back"
    await page.reload()  # offline: the page comes from the cache, the outbox from IndexedDB
    await page.locator("#pending-list li[data-state='queued']").nth(2).wait_for()
    assert await outbox.badge() == "3"

    await context.set_offline(False)  # the `online` event replays
    assert await outbox.drained() == {"queued": 0, "parked": 0, "rejected": 0}
    assert await outbox.badge() is None
    feed = await page.request.get(sync_server.url + "/sync/changes")
    seen = {e["record_id"] for e in (await feed.json())["entries"]}
    assert set(records) <= seen
    cursor = await page.evaluate(
        "import('/static/js/idb.js').then(db => db.transact(['meta'], 'readonly',"
        " tx => db.settle(tx.objectStore('meta').get('feed'))))"
    )
    assert cursor and cursor["cursor"] >= 3, "the phone followed the feed after syncing"


async def test_poisoned_entry_is_parked_and_refusals_are_kept(
    sync_server: LiveServer, page: Page
) -> None:
    await LoginPage(page, sync_server.url).as_admin()
    outbox = Outbox(page)
    await outbox.add_raw({"broken": True})  # no id: the server cannot answer for it
    await outbox.enqueue_note(str(uuid.uuid4()), title="好的", status="open", area_path="/339900/")
    await outbox.enqueue_note(str(uuid.uuid4()), title="坏的", colour="red")
    # The page's own triggers may be replaying too (with the default limit): go on until
    # the poisoned entry is parked, bounded.
    for _ in range(20):
        await outbox.replay(max_attempts=3)
        counts = await outbox.counts()
        if counts["parked"] and not counts["queued"]:
            break
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
    await LoginPage(page, sync_server.url).as_admin()
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
    assert await outbox.drained() == {"queued": 0, "parked": 0, "rejected": 0}
    feed = await page.request.get(sync_server.url + "/sync/changes")
    assert record_id in {e["record_id"] for e in (await feed.json())["entries"]}
    assert page.console_errors == []  # type: ignore[attr-defined]


def jpeg(seed: int) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.effect_noise((900, 700), 30 + seed).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


async def test_record_with_two_photos_offline_then_online(
    sync_server: LiveServer, context: BrowserContext, page: Page
) -> None:
    await LoginPage(page, sync_server.url).as_admin()
    await Shell(page, sync_server.url).wait_for_service_worker()
    await page.goto(sync_server.url + "/sync/pending")
    await page.goto(sync_server.url + "/test/notes/new")
    record_id = await page.locator("input[name=record_id]").input_value()

    await context.set_offline(True)
    await page.get_by_label("title").fill("带照片的隐患")
    ready = page.locator("input[type=hidden][name=photos]")
    await page.get_by_label("photos").set_input_files(
        [
            {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": jpeg(1)},
            {"name": "b.jpg", "mimeType": "image/jpeg", "buffer": jpeg(2)},
        ]
    )
    await ready.nth(1).wait_for(state="attached")
    shas = [await ready.nth(i).get_attribute("value") for i in range(2)]
    await page.get_by_role("button", name="save").click()
    await page.locator("#queued").wait_for()
    await page.goto(sync_server.url + "/sync/pending")  # offline: from the cache
    await page.locator("#pending-list li[data-state='queued']").wait_for()
    await page.locator("#pending-list img.thumb").nth(1).wait_for()  # both photos shown

    # The second chunk of the first photo is cut once: the upload must resume.
    cut: list[str] = []

    async def cut_once(route):
        if (
            route.request.method == "PUT"
            and not cut
            and "bytes 0-" not in (route.request.headers.get("content-range") or "bytes 0-")
        ):
            cut.append(route.request.url)
            await route.abort()
        else:
            await route.continue_()

    await page.route("**/media/uploads/**", cut_once)
    await context.set_offline(False)
    outbox = Outbox(page)
    for _ in range(200):
        counts = await outbox.counts()
        left = await page.evaluate("import('/static/js/photos.js').then(m => m.waiting())")
        if counts["queued"] == 0 and not left:
            break
        await outbox.replay()
        await page.wait_for_timeout(100)
    assert await outbox.counts() == {"queued": 0, "parked": 0, "rejected": 0}
    assert cut, "a chunk was cut on the way"
    with sqlite3.connect(sqlite_path(sync_server.env["DATABASE_URL"])) as db:
        [(admin,)] = db.execute(
            "SELECT person FROM device_session ORDER BY created_at DESC LIMIT 1"
        ).fetchall()
    for sha in shas:
        state = await (await page.request.get(f"{sync_server.url}/media/uploads/{sha}")).json()
        assert state["complete"] is True
        url = grants.url(sync_server.env["SECRET_KEY"], uuid.UUID(admin), sha)
        body = await (await page.request.get(sync_server.url + url)).body()
        import hashlib

        assert hashlib.sha256(body).hexdigest() == sha
    feed = await page.request.get(sync_server.url + "/sync/changes")
    assert record_id in {e["record_id"] for e in (await feed.json())["entries"]}
    assert await outbox.badge() is None
    with sqlite3.connect(sqlite_path(sync_server.env["DATABASE_URL"])) as db:
        [(title, photos)] = db.execute(
            "SELECT title, photos FROM sync_test_note WHERE id = ?", (record_id,)
        ).fetchall()
    assert title == "带照片的隐患"
    assert sorted(p["sha256"] for p in json.loads(photos)) == sorted(shas)


async def test_a_form_kept_before_any_page_registered_the_device(
    sync_server: LiveServer, context: BrowserContext, page: Page
) -> None:
    """A form sent offline before the page's own start-up wrote the device (as happens right
    after a login on a slow phone) is still kept, not turned into a browser error page."""
    await LoginPage(page, sync_server.url).as_admin()
    await Shell(page, sync_server.url).wait_for_service_worker()
    await page.goto(sync_server.url + "/test/notes/new")
    await page.evaluate(
        """import('/static/js/idb.js').then(db => db.transact(['meta'], 'readwrite',
             tx => { tx.objectStore('meta').delete('device'); }))"""
    )
    await context.set_offline(True)
    await page.get_by_label("title").fill("登录后马上离线提交")
    await page.get_by_role("button", name="save").click()
    await page.locator("#queued").wait_for()
    await context.set_offline(False)
    await page.goto(sync_server.url + "/sync/pending")  # any page of the app replays on load
    assert await Outbox(page).drained() == {"queued": 0, "parked": 0, "rejected": 0}


async def test_a_write_is_announced_as_soon_as_it_is_made(
    sync_server: LiveServer, page: Page
) -> None:
    """The server hears that the phone made a write before the write itself gets through:
    a phone lost with it unsent is then known to have lost something."""
    await LoginPage(page, sync_server.url).as_admin()
    await page.route("**/sync/mutations", lambda route: route.abort())  # writes do not get out
    outbox = Outbox(page)
    device = await outbox.device()
    await outbox.enqueue_note(
        str(uuid.uuid4()), title="未发出", status="open", area_path="/339900/", photos=[]
    )
    announced, titles = 0, "{}"
    for _ in range(50):
        with sqlite3.connect(sqlite_path(sync_server.env["DATABASE_URL"])) as db:
            rows = db.execute(
                "SELECT announced_seq, titles FROM sync_device WHERE replace(id, '-', '') = ?",
                (device.replace("-", ""),),
            ).fetchall()
        announced, titles = rows[0] if rows else (0, "{}")
        if announced >= 1:
            break
        await page.wait_for_timeout(100)
    assert announced >= 1, "the server knows the phone holds a write"
    assert "未发出" in titles, titles  # and what it is, to name it if it is lost
