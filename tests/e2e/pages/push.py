"""Push delivery as the browser's push service would make it (DevTools' own delivery:
headless Chromium has no push service to subscribe to)."""

from __future__ import annotations

import json

from playwright.async_api import BrowserContext, Page


async def deliver_push(context: BrowserContext, page: Page, origin: str, payload: dict) -> None:
    """Hand `payload` to the service worker of `origin` as a push message."""
    cdp = await context.new_cdp_session(page)
    registrations: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(r["registrationId"] for r in e["registrations"]),
    )
    await cdp.send("ServiceWorker.enable")
    for _ in range(200):
        if registrations:
            break
        await page.wait_for_timeout(100)
    await cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": origin + "/",
            "registrationId": registrations[0],
            "data": json.dumps(payload, ensure_ascii=False),
        },
    )


async def notifications(page: Page) -> list[dict]:
    """The notifications the service worker shows now."""
    return await page.evaluate(
        """navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => ns.map(
             n => ({title: n.title, body: n.body, tag: n.tag,
                    actions: (n.actions || []).map(a => a.title),
                    sticky: n.requireInteraction})))"""
    )
