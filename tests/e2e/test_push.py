"""A push delivered to the service worker shows a notification with its actions (DevTools'
own push delivery: headless Chromium has no push service to subscribe to)."""

from __future__ import annotations

import json

from playwright.async_api import BrowserContext, Page

from tests.e2e.pages.login import LoginPage
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

    cdp = await context.new_cdp_session(page)
    registrations: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(r["registrationId"] for r in e["registrations"]),
    )
    await cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if registrations:
            break
        await page.wait_for_timeout(100)
    payload = {
        "id": "00000000-0000-0000-0000-000000000001",
        "kind": "callup",
        "title": "防汛叫应：红色预警",
        "body": "请立即确认收到",
        "url": "/hazards",
        "tag": "callup-1",
        "actions": [{"action": "ack", "title": "收到"}],
    }
    await cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server.url + "/",
            "registrationId": registrations[0],
            "data": json.dumps(payload, ensure_ascii=False),
        },
    )
    shown: list = []
    for _ in range(50):
        shown = await page.evaluate(
            """navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => ns.map(
                 n => ({title: n.title, body: n.body, tag: n.tag,
                        actions: (n.actions || []).map(a => a.title),
                        sticky: n.requireInteraction})))"""
        )
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
