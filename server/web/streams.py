"""Event streams that end when the process is asked to stop (SIGTERM or SIGINT), so that a
web process with pages open exits at once instead of waiting for every stream to close; the
browsers' EventSource reconnects, to another process behind the proxy."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import TypeVar

from litestar.response import ServerSentEventMessage

T = TypeVar("T")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def on_stop_signal(stopping: asyncio.Event) -> Callable[[], None]:
    """Set `stopping` when a stop signal arrives, before the server's own handling of it
    (which still runs: uvicorn stops accepting and waits for the open requests, which now
    end). Returns what puts the handlers back. Signals reach only the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}

    def handler(sig: int, frame: object) -> None:
        loop.call_soon_threadsafe(stopping.set)
        earlier = previous.get(sig)
        if callable(earlier):
            earlier(sig, frame)

    for sig in STOP_SIGNALS:
        signal.signal(sig, handler)

    def restore() -> None:
        for sig, earlier in previous.items():
            signal.signal(sig, earlier)

    return restore


async def until_stopping(
    stopping: asyncio.Event, source: AsyncGenerator[T, None]
) -> AsyncIterator[T]:
    """The items of `source` until it ends or `stopping` is set."""
    ended = asyncio.ensure_future(stopping.wait())
    try:
        while True:
            following = asyncio.ensure_future(anext(source))
            await asyncio.wait({following, ended}, return_when=asyncio.FIRST_COMPLETED)
            if not following.done():
                following.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await following
                return
            try:
                item = following.result()
            except StopAsyncIteration:
                return
            yield item
    finally:
        ended.cancel()
        with contextlib.suppress(Exception):
            await source.aclose()


async def version_changes(
    read: Callable[[], Awaitable[int]], every_seconds: float = 1.0
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """Tells an open board that something changed: a version number is read once a second
    (works across processes whatever the channels backend), "ready" first, then "changed"
    whenever it moves; nothing is sent while nothing changes. The page fetches the board."""
    seen = await read()
    yield ServerSentEventMessage(event="ready", data=str(seen))
    while True:
        await asyncio.sleep(every_seconds)
        now = await read()
        if now != seen:
            seen = now
            yield ServerSentEventMessage(event="changed", data=str(now), id=str(now))
