"""Polling CAP feeds (CAP_FEEDS): the worker asks each feed with a conditional GET (its last
ETag and Last-Modified), so an unchanged feed costs a 304. A feed is a CAP alert itself, or
an Atom or RSS feed whose entries link to CAP alerts (the way warning systems publish them);
each linked alert is fetched and imported once, whatever it said (a refused one is not asked
for again), and import_cap settles chains whatever order they come in. Feeds are parsed as
strictly as CAP files (defusedxml: no DTD, entities or external references)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from server import db
from server.callups import cap, warnings
from server.callups.tables import CapFeedSeen

log = logging.getLogger("gridwatch.feeds")
ATOM = "{http://www.w3.org/2005/Atom}"
TIMEOUT_SECONDS = 15
#: links of a feed taken per poll (the rest wait for the next)
MAX_ITEMS = 200


@dataclass(frozen=True)
class Polled:
    """What a poll of one feed did: the feed's status and each alert fetched."""

    feed: str
    status: int
    imported: list[str]


async def poll(feeds: Sequence[tuple[str, str]]) -> list[Polled]:
    """One pass over every configured feed (`(url, name)` pairs from CAP_FEEDS)."""
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    done = []
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for url, name in feeds:
            try:
                done.append(await _poll_one(session, url))
            except (aiohttp.ClientError, TimeoutError) as exc:
                await _remember(f"feed:{url}", outcome=f"unreachable: {type(exc).__name__}")
                log.warning("CAP feed %s (%s) unreachable: %r", name, url, exc)
                done.append(Polled(url, 0, []))
    return done


async def _poll_one(session: aiohttp.ClientSession, url: str) -> Polled:
    key = f"feed:{url}"
    seen = await CapFeedSeen.select().where(CapFeedSeen.key == key).first()
    headers = {}
    if seen and seen["etag"]:
        headers["If-None-Match"] = seen["etag"]
    if seen and seen["last_modified"]:
        headers["If-Modified-Since"] = seen["last_modified"]
    async with session.get(url, headers=headers) as response:
        if response.status == 304:
            await _remember(key, outcome="304 not modified")
            return Polled(url, 304, [])
        if response.status != 200:
            await _remember(key, outcome=f"HTTP {response.status}")
            return Polled(url, response.status, [])
        body = await _read(response)
        etag = response.headers.get("ETag", "")[:200]
        modified = response.headers.get("Last-Modified", "")[:100]
    if body is None:
        await _remember(key, outcome="too large")
        return Polled(url, 413, [])
    links = _links(body)
    imported = []
    if links is None:  # the feed is an alert itself
        imported.append(await _import(body, f"alert:{url}:{etag or modified}"))
    else:
        fresh = await _unseen([str(link) for link in links][:MAX_ITEMS])
        for link in fresh:
            imported.append(await _fetch_and_import(session, link))
    await _remember(key, etag=etag, last_modified=modified, outcome=f"200, {len(imported)} new")
    return Polled(url, 200, imported)


async def _read(response: aiohttp.ClientResponse) -> bytes | None:
    body = await response.content.read(cap.MAX_BYTES + 1)
    return None if len(body) > cap.MAX_BYTES else body


def _links(body: bytes) -> list[str] | None:
    """The alerts an Atom or RSS feed links to; None when the body is not a feed (then it
    is taken as an alert)."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError):
        return None
    if root.tag == f"{ATOM}feed":
        found = []
        for entry in root.iter(f"{ATOM}entry"):
            links = entry.findall(f"{ATOM}link")
            capped = [a for a in links if "cap" in (a.get("type") or "")]
            chosen = capped or [a for a in links if a.get("rel", "alternate") == "alternate"]
            found += [a.get("href", "") for a in chosen[:1] if a.get("href")]
        return found
    if root.tag == "rss":
        found = []
        for item in root.iter("item"):
            enclosure = item.find("enclosure")
            link = enclosure.get("url") if enclosure is not None else item.findtext("link")
            if link:
                found.append(link.strip())
        return found
    return None


async def _unseen(links: list[str]) -> list[str]:
    if not links:
        return []
    keys = [f"item:{link}" for link in links]
    rows = await CapFeedSeen.select(CapFeedSeen.key).where(CapFeedSeen.key.is_in(keys))
    known = {r["key"] for r in rows}
    return list(dict.fromkeys(link for link in links if f"item:{link}" not in known))


async def _fetch_and_import(session: aiohttp.ClientSession, link: str) -> str:
    try:
        async with session.get(link) as response:
            if response.status != 200:
                # not remembered: asked for again next time (the alert may appear later)
                return f"{link}: HTTP {response.status}"
            body = await _read(response)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return f"{link}: unreachable ({type(exc).__name__})"
    if body is None:
        await _remember(f"item:{link}", outcome="too large")
        return f"{link}: too large"
    return await _import(body, f"item:{link}")


async def _import(body: bytes, key: str) -> str:
    try:
        done = await warnings.import_cap(body)
        outcome = f"{done.action} {done.warning.identifier}"
    except cap.CapRefused as exc:
        outcome = f"refused: {exc}"
        log.warning("CAP feed item %s refused: %s", key, exc)
    await _remember(key, outcome=outcome)
    return outcome


LIMITS = {"etag": 200, "last_modified": 100, "outcome": 300}


async def _remember(key: str, **values: Any) -> None:
    """Record what was seen (two workers polling at once both land: the key is unique)."""
    now = datetime.now(UTC)
    kept = {k: str(v)[: LIMITS[k]] for k, v in values.items()}
    async with db.current().write():
        await CapFeedSeen.insert(CapFeedSeen(key=key[:600], checked_at=now)).on_conflict(
            action="DO NOTHING"
        )
        await CapFeedSeen.update(
            {**{getattr(CapFeedSeen, k): v for k, v in kept.items()}, CapFeedSeen.checked_at: now}
        ).where(CapFeedSeen.key == key[:600])
