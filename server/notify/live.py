"""Live delivery to open pages over SSE: one channel per person ("person:<id>"), through
Litestar Channels. In memory by default (the embedded deployment: one process). With
CHANNELS_URL naming PostgreSQL or Redis, every process (web and worker) shares one bus:

- one bus channel for all notices, so a process listens once (not once per person), and a
  web process passes on only what its own open streams asked for;
- notices published in a burst travel packed, many to a message (a 20,000-person call-up
  is a few hundred NOTIFYs over one connection, not 20,000 connections);
- the sender keeps its connection and reconnects after an error; a notice that cannot be
  sent is dropped with a log line: live delivery is a bonus, the delivery queue delivers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncGenerator, Callable, Iterable
from typing import Any

import asyncpg
from litestar.channels import ChannelsBackend, ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend

from server.settings import Settings

log = logging.getLogger("gridwatch.live")

BUS = "gridwatch_live"
#: PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more; Redis has no such limit,
#: the same packing keeps its messages small too
PACKED_BYTES = 7000

_plugin: ChannelsPlugin | None = None


def plugin_for(settings: Settings) -> ChannelsPlugin:
    """The process's channels; create_app installs it, the worker enters it."""
    global _plugin
    url = settings.channels_url
    backend: ChannelsBackend
    if url.startswith(("postgresql://", "postgres://")):
        backend = SharedBus(PgTransport(url))
    elif url.startswith(("redis://", "rediss://")):
        backend = SharedBus(RedisTransport(url))
    else:
        backend = MemoryChannelsBackend()
    _plugin = ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True)
    return _plugin


def channel(person_id: uuid.UUID) -> str:
    return f"person:{person_id}"


def publish(person_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """Tell the person's open pages now (nothing happens if no page is open)."""
    if _plugin is None:
        return
    try:
        _plugin.publish(json.dumps(payload, ensure_ascii=False).encode(), [channel(person_id)])
    except Exception:  # live delivery is a bonus: the delivery queue still delivers
        return


def pack(items: list[tuple[str, str]], limit: int = PACKED_BYTES) -> list[str]:
    """(channel, data) pairs as JSON arrays of at most `limit` bytes each (one item alone
    may be longer: it travels alone)."""
    out: list[str] = []
    batch: list[str] = []
    size = 2
    for item in items:
        text = json.dumps(item, ensure_ascii=False)
        length = len(text.encode()) + 1
        if batch and size + length > limit:
            out.append("[" + ",".join(batch) + "]")
            batch, size = [], 2
        batch.append(text)
        size += length
    if batch:
        out.append("[" + ",".join(batch) + "]")
    return out


Received = Callable[[str], None]


class PgTransport:
    """LISTEN/NOTIFY on one channel; a listening and a sending connection per process."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._listener: asyncpg.Connection | None = None
        self._sender: asyncpg.Connection | None = None

    async def listen(self, received: Received) -> None:
        self._listener = await asyncpg.connect(self.dsn)
        await self._listener.add_listener(BUS, lambda _c, _p, _ch, payload: received(payload))

    async def send(self, payloads: list[str]) -> None:
        if self._sender is None or self._sender.is_closed():
            self._sender = await asyncpg.connect(self.dsn)
        await self._sender.executemany("SELECT pg_notify($1, $2)", [(BUS, p) for p in payloads])

    async def close(self) -> None:
        for conn in (self._listener, self._sender):
            if conn is not None and not conn.is_closed():
                with contextlib.suppress(Exception):
                    await conn.close()


class RedisTransport:
    """PUBLISH/SUBSCRIBE on one channel, the sends of a burst in one pipeline."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        self.redis = Redis.from_url(url)
        self._pubsub: Any = None
        self._reader: asyncio.Task | None = None

    async def listen(self, received: Received) -> None:
        self._pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(BUS)

        async def read() -> None:
            async for message in self._pubsub.listen():
                if message.get("type") == "message":
                    received(message["data"].decode())

        self._reader = asyncio.create_task(read(), name="gridwatch-live-redis")

    async def send(self, payloads: list[str]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for payload in payloads:
                pipe.publish(BUS, payload)
            await pipe.execute()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        with contextlib.suppress(Exception):
            await self.redis.aclose()


class SharedBus(ChannelsBackend):
    """A Channels backend over one bus channel shared by every process."""

    def __init__(self, transport: PgTransport | RedisTransport) -> None:
        self.transport = transport
        self._wanted: set[str] = set()
        self._inbox: asyncio.Queue[tuple[str, bytes]] | None = None
        self._outgoing: list[tuple[str, str]] = []
        self._ready = asyncio.Event()
        self._sender: asyncio.Task | None = None

    async def on_startup(self) -> None:
        self._inbox = asyncio.Queue()
        self._ready = asyncio.Event()
        await self.transport.listen(self._received)
        self._sender = asyncio.create_task(self._send_loop(), name="gridwatch-live-send")

    async def on_shutdown(self) -> None:
        if self._sender is not None:
            await self._flush()  # what was published before the end still goes
            self._sender.cancel()
        await self.transport.close()
        self._inbox = None

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        text = data.decode()
        self._outgoing.extend((name, text) for name in channels)
        self._ready.set()

    async def _send_loop(self) -> None:
        while True:
            await self._ready.wait()
            await asyncio.sleep(0)  # let the rest of a burst join this batch
            await self._flush()

    async def _flush(self) -> None:
        self._ready.clear()
        batch, self._outgoing = self._outgoing, []
        if not batch:
            return
        try:
            await self.transport.send(pack(batch))
        except Exception:
            log.warning(
                "live notices not sent (%d): the delivery queue still delivers",
                len(batch),
                exc_info=True,
            )

    def _received(self, payload: str) -> None:
        if self._inbox is None:
            return
        try:
            items = json.loads(payload)
        except ValueError:
            return
        for name, data in items:
            if name in self._wanted:
                self._inbox.put_nowait((name, data.encode()))

    async def subscribe(self, channels: Iterable[str]) -> None:
        self._wanted.update(channels)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        self._wanted.difference_update(channels)

    async def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        while self._inbox is not None:
            yield await self._inbox.get()

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        raise NotImplementedError("the live bus keeps no history")
