"""The live bus between processes, over real PostgreSQL and real Redis: a notice published
by one process (the worker) reaches a stream opened on another (a web process); a burst of
20,000 notices travels packed in a few hundred messages over one connection; a stream that
reconnects again and again hears every notice."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from litestar.channels import ChannelsPlugin

from server.notify.live import PACKED_BYTES, PgTransport, RedisTransport, SharedBus, pack

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_packing_keeps_every_notice_and_the_size_limit() -> None:
    items = [(f"person:{n}", json.dumps({"title": "暴雨红色预警叫应", "n": n})) for n in range(500)]
    packed = pack(items)
    assert all(len(p.encode()) <= PACKED_BYTES for p in packed)
    assert [tuple(i) for p in packed for i in json.loads(p)] == items
    big = ("person:x", "叫" * 5000)  # larger than a message: it travels alone
    assert [json.loads(p) for p in pack([big])] == [[list(big)]]


async def _transport(kind: str, engine_name: str):
    if kind == "postgres":
        if engine_name != "postgres":
            pytest.skip("the PostgreSQL bus runs with --db=postgres")
        url = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
        return lambda: PgTransport(url)
    from redis.asyncio import Redis

    try:
        await Redis.from_url(REDIS_URL).ping()
    except OSError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis unreachable at {REDIS_URL}: {exc}", pytrace=False)
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    return lambda: RedisTransport(REDIS_URL)


class Counting:
    """A transport that counts the messages it sends."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.messages = 0

    async def listen(self, received) -> None:
        await self.inner.listen(received)

    async def send(self, payloads: list[str]) -> None:
        self.messages += len(payloads)
        await self.inner.send(payloads)

    async def close(self) -> None:
        await self.inner.close()


async def _next(events: AsyncIterator[bytes], seconds: float = 5) -> dict:
    return json.loads(await asyncio.wait_for(anext(events), seconds))


@pytest.mark.db
@pytest.mark.parametrize("kind", ["postgres", "redis"])
async def test_a_notice_from_the_worker_reaches_a_stream_on_a_web(
    kind: str, engine_name: str
) -> None:
    make = await _transport(kind, engine_name)
    sending = Counting(make())
    worker = ChannelsPlugin(backend=SharedBus(sending), arbitrary_channels_allowed=True)
    web = ChannelsPlugin(backend=SharedBus(make()), arbitrary_channels_allowed=True)
    person = f"person:{uuid.uuid4()}"
    async with worker, web:
        for attempt in range(6):  # a page that reconnects keeps hearing what is sent to it
            async with web.start_subscription([person]) as sub:
                events = sub.iter_events()
                await asyncio.sleep(0.05)
                worker.publish(json.dumps({"attempt": attempt}).encode(), [person])
                assert await _next(events) == {"attempt": attempt}
        async with web.start_subscription([person]) as sub:
            events = sub.iter_events()
            before = sending.messages
            for n in range(20_000):  # a city's call-up: everyone else's notices too
                notice = json.dumps({"n": n, "title": "暴雨红色预警叫应"}).encode()
                worker.publish(notice, [f"person:{n}"])
            worker.publish(b'{"mine": true}', [person])
            assert await _next(events, 30) == {"mine": True}
            # packed: a few hundred messages over one connection, not 20,000
            assert 0 < sending.messages - before <= 20_001 // 50
