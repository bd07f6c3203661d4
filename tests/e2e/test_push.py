"""A push delivered to the service worker shows a notification with its actions (DevTools'
own push delivery: headless Chromium has no push service to subscribe to)."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime

from playwright.async_api import BrowserContext, Page

from server.settings import sqlite_path
from tests.e2e.pages.login import LoginPage
from tests.e2e.pages.outbox import Outbox
from tests.e2e.pages.push import deliver_push, notifications
from tests.e2e.pages.shell import Shell
from tests.live import LiveServer


async def test_a_push_shows_a_notification(
    live_server: LiveServer, context: BrowserContext, page: Page
) -> None:
    await context.grant_permissions(["notifications"], origin=live_server.url)
    await LoginPage(page, live_server.url).as_person("13900000007")
    await Shell(page, live_server.url).wait_for_service_worker()
    await page.goto(live_server.url + "/me/notifications")
    await page.locator("[data-push-state='available']").wait_for()  # Chromium can have push

    payload = {
        "id": "00000000-0000-0000-0000-000000000001",
        "kind": "callup",
        "title": "防汛叫应：红色预警",
        "body": "请立即确认收到",
        "url": "/hazards",
        "tag": "callup-1",
        "actions": [{"action": "ack", "title": "收到"}],
    }
    await deliver_push(context, page, live_server.url, payload)
    shown: list = []
    for _ in range(200):
        shown = await notifications(page)
        if shown:
            break
        await page.wait_for_timeout(100)
    assert shown == [
        {
            "title": "防汛叫应：红色预警",
            "body": "请立即确认收到",
            "tag": "callup-1",
            "actions": ["收到"],
            "sticky": True,
        }
    ]
    assert page.console_errors == []  # type: ignore[attr-defined]


async def test_a_message_pushed_twice_alerts_once(
    live_server: LiveServer, context: BrowserContext, page: Page
) -> None:
    """A worker killed after the push service took a push, before recording it, sends it
    again: the phone shows it once, the second time silently (issue 16)."""
    await context.grant_permissions(["notifications"], origin=live_server.url)
    await LoginPage(page, live_server.url).as_person("13900000007")
    await Shell(page, live_server.url).wait_for_service_worker()
    await page.goto(live_server.url + "/me/notifications")
    await page.locator("[data-push-state='available']").wait_for()
    payload = {"id": str(uuid.uuid4()), "kind": "callup", "title": "防汛叫应", "body": "请确认",
               "url": "/", "tag": "callup-twice"}  # fmt: skip
    alerts = []
    for delivered in (payload, payload, {**payload, "id": str(uuid.uuid4())}):
        before = await page.evaluate(RENDERED)
        await deliver_push(context, page, live_server.url, delivered)
        for _ in range(200):
            now = await page.evaluate(RENDERED)
            if now and now != before:
                break
            await page.wait_for_timeout(100)
        [shown] = now
        alerts.append((shown["renotify"], shown["silent"]))
    # the same message again replaces its notification without a sound; a new one alerts
    assert alerts == [(True, False), (False, True), (True, False)]


#: the notifications shown now, with how each last alerted (and a stamp telling them apart)
RENDERED = """navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => ns.map(
  n => ({id: n.data && n.data.id, renotify: n.renotify, silent: n.silent, at: n.timestamp})))"""


def new_message(db_path: str, mobile: str) -> str:
    """A message for the person, as the outbox would have made it (straight into the live
    server's database: the test stands where a call-up will)."""
    with sqlite3.connect(db_path) as db:
        [(person_id,)] = db.execute("SELECT id FROM person WHERE mobile = ?", (mobile,))
        message_id = str(uuid.uuid4())
        db.execute(
            "INSERT INTO message (id, kind, recipient_id, title, body, url, urgency, ttl, topic,"
            " actions, created_at, action) VALUES (?, 'callup', ?, '叫应', '', '/', 'high', 600,"
            " '', '[]', ?, '')",
            (message_id, person_id, "2020-01-01 00:00:00.000000+00:00"),
        )
    return message_id


def acted(db_path: str, message_id: str) -> tuple[str, str | None]:
    with sqlite3.connect(db_path) as db:
        [(action, at)] = db.execute(
            "SELECT action, acted_at FROM message WHERE id = ?", (message_id,)
        )
    return action, at


async def test_the_ack_action_is_recorded_online_and_offline(
    live_server: LiveServer, context: BrowserContext, page: Page
) -> None:
    db_path = str(sqlite_path(live_server.env["DATABASE_URL"]))
    await LoginPage(page, live_server.url).as_person("13900000008")
    await Shell(page, live_server.url).wait_for_service_worker()
    outbox = Outbox(page)
    await outbox.device()  # the page registers this phone's device on load: let it finish

    online = new_message(db_path, "13900000008")
    await page.evaluate(
        "(id) => navigator.serviceWorker.controller.postMessage({type: 'act', id, action: 'ack'})",
        online,
    )
    for _ in range(200):
        if acted(db_path, online)[1]:
            break
        await page.wait_for_timeout(100)
    assert acted(db_path, online)[0] == "ack" and acted(db_path, online)[1]

    offline = new_message(db_path, "13900000008")
    await context.set_offline(True)
    await page.evaluate(
        "(id) => navigator.serviceWorker.controller.postMessage({type: 'act', id, action: 'ack'})",
        offline,
    )
    for _ in range(200):
        if (await outbox.counts())["queued"]:
            break
        await page.wait_for_timeout(100)
    assert (await outbox.counts())["queued"] == 1  # kept on the phone
    assert acted(db_path, offline) == ("", None)
    tapped_at = datetime.now(UTC)
    await page.wait_for_timeout(1500)
    await context.set_offline(False)
    assert await outbox.drained() == {"queued": 0, "parked": 0, "rejected": 0}
    action, at = acted(db_path, offline)
    assert action == "ack"
    # the phone's time of the tap, not the later time the server received it
    when = datetime.fromisoformat(at)
    assert abs((when - tapped_at).total_seconds()) < 1.4
