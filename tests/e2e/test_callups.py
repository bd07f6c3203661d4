"""A call-up end to end: staff issue it to three responsible persons; one confirms from the
notification's action, one on the page while offline (synced later), one stays silent and is
escalated to the superior and the duty officer on a controlled clock; the board follows every
step live, without a reload."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser, BrowserContext, Page

from server.settings import sqlite_path
from tests.e2e.conftest import PHONE
from tests.e2e.pages.callups import AnswerPage, Board, CallupForm
from tests.e2e.pages.login import LoginPage
from tests.e2e.pages.outbox import Outbox
from tests.e2e.pages.push import deliver_push, notifications
from tests.e2e.pages.shell import Shell, overflow
from tests.live import LiveServer

BUREAU = "13900000002"
DUTY_OFFICER = "13900000003"


def query(db_path: str, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        return list(db.execute(sql, args))


def escalate(server: LiveServer, at: datetime) -> str:
    """The worker's escalation pass, run as if it were `at` (the controlled clock)."""
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "callups", "escalate", "--at", at.isoformat()],
        env=server.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


async def phone(browser: Browser, server: LiveServer, mobile: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(
        viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True
    )
    await context.grant_permissions(["notifications"], origin=server.url)
    page = await context.new_page()
    await LoginPage(page, server.url).as_person(mobile)
    shell = Shell(page, server.url)
    await shell.wait_for_service_worker()
    # a page loaded before the worker was active is taken over only by its claim; a page
    # loaded after it is controlled from the start
    await page.goto(server.url + "/")
    for _ in range(100):
        if await shell.controlled():
            break
        await page.wait_for_timeout(100)
    assert await shell.controlled()
    return context, page


async def test_a_callup_confirmed_two_ways_and_escalated(
    live_server: LiveServer, browser: Browser, context: BrowserContext, page: Page
) -> None:
    db = str(sqlite_path(live_server.env["DATABASE_URL"]))
    await LoginPage(page, live_server.url).as_person(BUREAU)
    form = CallupForm(page, live_server.url)
    await form.draft("清溪河洪水叫应", "红色（I级）", "清溪村")
    assert len(await form.targets()) == 3  # the village's 防汛责任人 and its two dyke guarantors
    await form.send()
    callup_id = page.url.rsplit("/", 1)[1]
    board = Board(page)
    await board.mark()
    assert await board.count("confirmed") == 0
    rows = query(
        db,
        "SELECT t.id, p.mobile, t.person_id, t.superior_id FROM callup_target t"
        " JOIN person p ON p.id = t.person_id WHERE t.callup_id = ? ORDER BY p.mobile",
        callup_id,
    )
    (a_id, a_mobile, a_person, _), (b_id, b_mobile, b_person, _), (c_id, c_mobile, _, c_boss) = rows
    [(issued,)] = query(db, "SELECT issued_at FROM callup WHERE id = ?", callup_id)
    issued_at = datetime.fromisoformat(issued)

    # A: the push arrives, and 收到 is tapped on the notification (the service worker's action)
    a_context, a_page = await phone(browser, live_server, a_mobile)
    [(message_id,)] = query(  # this call-up's message (another test may have called them)
        db,
        "SELECT id FROM message WHERE recipient_id = ? AND kind = 'callup' AND url LIKE ?",
        a_person,
        f"%{callup_id}%",
    )
    await push_callup(a_context, a_page, live_server, message_id)
    await a_page.evaluate(
        "(id) => navigator.serviceWorker.controller.postMessage({type: 'act', id, action: 'ack'})",
        message_id,
    )
    assert await board.wait_count("confirmed", 1) == 1
    assert query(db, "SELECT via FROM callup_target WHERE id = ?", a_id) == [("notification",)]

    # B: the push arrives (the service worker keeps the page), then B is out of signal when
    # opening it: the page opens from the phone, 收到 is kept, and it syncs later
    b_context, b_page = await phone(browser, live_server, b_mobile)
    [(b_message,)] = query(
        db,
        "SELECT id FROM message WHERE recipient_id = ? AND kind = 'callup' AND url LIKE ?",
        b_person,
        f"%{callup_id}%",
    )
    answer_url = f"{live_server.url}/callups/{callup_id}/answer"
    await push_callup(b_context, b_page, live_server, b_message)
    for _ in range(100):
        if await kept(b_page, answer_url):
            break
        await b_page.wait_for_timeout(100)
    assert await kept(b_page, answer_url)
    assert await board.count("opened") == 0  # kept on the phone is not opened
    await b_context.set_offline(True)
    await b_page.goto(answer_url)
    answer = AnswerPage(b_page, live_server.url)
    await b_page.locator("#ack-form").wait_for()
    tapped = datetime.now(UTC)
    await answer.received()
    await b_page.get_by_text("已离线保存").first.wait_for()
    # the home, from the phone's copy, no longer asks for what was confirmed
    await b_page.goto(live_server.url + "/")
    banner = b_page.locator(f"#callup-{callup_id}[data-kept]")
    await banner.wait_for()
    assert "已在本机确认" in await banner.inner_text()
    assert await b_page.locator(f"#callup-{callup_id} a.button").is_hidden()
    assert await b_page.locator("#home-queued").is_visible()
    await b_page.wait_for_timeout(1500)
    assert query(db, "SELECT confirmed_at FROM callup_target WHERE id = ?", b_id) == [(None,)]
    await b_context.set_offline(False)
    # back in signal, B opens the app again (a page made while the browser emulated
    # "offline" is told navigator.onLine = true, so it never hears `online`: a load replays)
    await b_page.goto(live_server.url + "/")
    assert (await Outbox(b_page).drained())["queued"] == 0
    assert await board.wait_count("confirmed", 2) == 2
    [(confirmed_at, via)] = query(
        db, "SELECT confirmed_at, via FROM callup_target WHERE id = ?", b_id
    )
    assert via == "page"
    assert abs((datetime.fromisoformat(confirmed_at) - tapped).total_seconds()) < 1.4

    # C opens the call-up from the home page (已读 on the board), and does not answer
    c_context, c_page = await phone(browser, live_server, c_mobile)
    await c_page.locator(f"#callup-{callup_id} a").click()
    await c_page.locator("#ack-form").wait_for()
    assert await board.wait_count("opened", 1) == 1  # shown, and it is not a confirmation

    # C never answers: the window ends, then the next one (the clock is the test's)
    assert "escalated 1" in escalate(live_server, issued_at + timedelta(minutes=10, seconds=1))
    assert await board.wait_count("escalated", 1) == 1
    assert "已上报1轮" in await board.silent_text()  # on C's line
    escalate(live_server, issued_at + timedelta(minutes=20, seconds=2))
    told = {
        r[0] for r in query(db, "SELECT recipient_id FROM message WHERE kind = 'callup_escalation'")
    }
    [(officer,)] = query(db, "SELECT id FROM person WHERE mobile = ?", DUTY_OFFICER)
    assert c_boss in told and officer in told
    for _ in range(150):
        if "已上报2轮" in await board.silent_text():
            break
        await page.wait_for_timeout(100)
    assert "已上报2轮" in await board.silent_text()
    assert await board.count("confirmed") == 2 and await board.still_here()
    await page.goto(f"{live_server.url}/callups/targets/{c_id}")
    kinds = await page.locator("#timeline li").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert kinds == ["sent", "opened", "renotified", "escalated"]
    assert c_mobile in await page.locator("a[href^='tel:']").first.get_attribute("href")
    for path in (
        "/callups",
        "/callups/new",
        f"/callups/{callup_id}",
        f"/callups/{callup_id}/report",
        f"/callups/targets/{c_id}",
        "/warnings",
        "/warnings/new",
    ):
        await page.goto(live_server.url + path)
        assert await overflow(page) <= 0, path  # nothing scrolls sideways on a phone
    await b_page.goto(f"{live_server.url}/callups/{callup_id}/answer")
    assert await overflow(b_page) <= 0
    for ctx in (a_context, b_context, c_context):
        await ctx.close()
    assert page.console_errors == []  # type: ignore[attr-defined]


async def kept(page: Page, url: str) -> bool:
    """Whether the phone keeps this page for offline use."""
    return await page.evaluate(
        "(url) => caches.open('gw-pages-v1').then(c => c.match(url)).then(r => !!r)", url
    )


async def push_callup(
    context: BrowserContext, page: Page, server: LiveServer, message_id: str
) -> None:
    """What the push service would hand the phone: the call-up's own message."""
    db = str(sqlite_path(server.env["DATABASE_URL"]))
    [(title, body, url, topic, actions)] = query(
        db, "SELECT title, body, url, topic, actions FROM message WHERE id = ?", message_id
    )
    payload = {
        "id": message_id,
        "kind": "callup",
        "title": title,
        "body": body,
        "url": url,
        "tag": topic,
        "actions": json.loads(actions),
    }
    await deliver_push(context, page, server.url, payload)
    for _ in range(100):
        if await notifications(page):
            return
        await page.wait_for_timeout(100)
    raise AssertionError("the call-up notification was not shown")
