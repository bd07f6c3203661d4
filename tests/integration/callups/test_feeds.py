"""Polling CAP feeds (issue 17) against a real HTTP server on 127.0.0.1: an Atom feed links
to an alert and its update; the first poll imports both, the next asks with the feed's ETag
and gets a 304 (no alert fetched again); the feed then gains a cancel and a broken alert:
only those two are fetched, the chain ends cancelled, the broken one is refused once and
never asked for again. A feed that is an alert itself is imported as one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiohttp import web

from server.callups import feeds
from server.callups.tables import CapFeedSeen, EarlyWarning
from tests.integration.callups.people import OURS_CAP

pytestmark = pytest.mark.db
ATOM = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>临江市预警信息发布</title>
  <id>urn:gridwatch:test-feed</id>
  <updated>{updated}</updated>
  {entries}
</feed>"""
ENTRY = """<entry><id>{name}</id><title>{name}</title><updated>2026-07-15T08:00:00+08:00</updated>
  <link rel="alternate" type="application/cap+xml" href="{base}/alerts/{name}"/></entry>"""


class Feed:
    """The warning system: a feed with an ETag, the alerts it links to, what was asked."""

    def __init__(self) -> None:
        self.names = ["zh_rainstorm_red.cap", "zh_rainstorm_update.cap"]
        self.version = 1
        self.asked: list[tuple[str, str]] = []
        self.base = ""

    async def feed(self, request: web.Request) -> web.Response:
        etag = f'"v{self.version}"'
        self.asked.append((request.path, request.headers.get("If-None-Match", "")))
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        entries = "\n".join(ENTRY.format(name=n, base=self.base) for n in self.names)
        body = ATOM.format(updated=datetime.now(UTC).isoformat(), entries=entries)
        return web.Response(text=body, content_type="application/atom+xml", headers={"ETag": etag})

    async def alert(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.asked.append((request.path, ""))
        if name == "broken.cap":
            return web.Response(body=b"<alert>not cap</alert>", content_type="application/xml")
        return web.Response(body=(OURS_CAP / name).read_bytes(), content_type="application/xml")

    async def single(self, request: web.Request) -> web.Response:
        body = (OURS_CAP / "zh_typhoon_orange_circle.cap").read_bytes()
        return web.Response(body=body, content_type="application/cap+xml")


@pytest.fixture
async def system() -> AsyncIterator[Feed]:
    feed = Feed()
    app = web.Application()
    app.router.add_get("/feed.atom", feed.feed)
    app.router.add_get("/alerts/{name}", feed.alert)
    app.router.add_get("/typhoon.cap", feed.single)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    feed.base = f"http://127.0.0.1:{port}"
    yield feed
    await runner.cleanup()


async def _states() -> dict[str, str]:
    rows = await EarlyWarning.select(EarlyWarning.identifier, EarlyWarning.state)
    return {r["identifier"][-6:]: r["state"] for r in rows}


async def test_a_feed_is_polled_with_its_etag_and_each_alert_imported_once(demo, system) -> None:
    url = f"{system.base}/feed.atom"
    feeds_ = ((url, "市气象台"),)
    [first] = await feeds.poll(feeds_)
    assert first.status == 200 and [o.split()[0] for o in first.imported] == [
        "created",
        "updated",
    ]
    assert await _states() == {"080000": "updated", "110000": "active"}

    system.asked.clear()
    [again] = await feeds.poll(feeds_)
    assert again.status == 304 and again.imported == []
    assert system.asked == [("/feed.atom", '"v1"')]  # asked with its ETag; no alert fetched

    system.names += ["zh_rainstorm_cancel_original.cap", "broken.cap"]
    system.version = 2
    system.asked.clear()
    [changed] = await feeds.poll(feeds_)
    assert changed.status == 200
    assert [path for path, _etag in system.asked] == [
        "/feed.atom",
        "/alerts/zh_rainstorm_cancel_original.cap",
        "/alerts/broken.cap",
    ]  # only the new entries
    assert set((await _states()).values()) == {"cancelled"}
    refused = (
        await CapFeedSeen.select()
        .where(CapFeedSeen.key == f"item:{system.base}/alerts/broken.cap")
        .first()
    )
    assert refused["outcome"].startswith("refused: This is not a CAP")

    system.version = 3  # the feed changes again, the same entries: nothing fetched twice
    system.asked.clear()
    await feeds.poll(feeds_)
    assert [path for path, _etag in system.asked] == ["/feed.atom"]


async def test_a_feed_that_is_an_alert_and_one_that_is_down(demo, system) -> None:
    [single, down] = await feeds.poll(
        ((f"{system.base}/typhoon.cap", "台风"), ("http://127.0.0.1:9/feed.atom", "停机"))
    )
    assert single.status == 200 and single.imported[0].startswith("created")
    assert down.status == 0
    gone = (
        await CapFeedSeen.select()
        .where(CapFeedSeen.key == "feed:http://127.0.0.1:9/feed.atom")
        .first()
    )
    assert gone["outcome"].startswith("unreachable")


def test_the_worker_polls_only_when_feeds_are_set(settings) -> None:
    from dataclasses import replace

    from server.worker import jobs_for

    assert "callups.feeds" not in {j.name for j in jobs_for(settings)}
    polled = replace(settings, cap_feeds=(("https://example.org/feed.atom", "气象台"),))
    [job] = [j for j in jobs_for(polled) if j.name == "callups.feeds"]
    assert job.every_seconds == 60 and job.lane == "routine"
