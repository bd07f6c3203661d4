"""Helpers shared by benchmarks: results files, a byte-counting proxy, a load generator."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg

from server.settings import ROOT
from tests.live import LiveServer, live_server

RESULTS = Path(__file__).resolve().parent / "results"


def write_result(name: str, data: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    return path


class Proxy:
    """A TCP proxy on 127.0.0.1 in front of a local server; subclasses shape or count."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server:
            self.server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        await asyncio.gather(
            self._pipe(reader, up_writer, upstream=True),
            self._pipe(up_reader, writer, upstream=False),
        )

    async def _pipe(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, *, upstream: bool
    ) -> None:
        try:
            while chunk := await src.read(65536):
                self._seen(chunk, upstream)
                dst.write(chunk)
                await dst.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            dst.close()

    def _seen(self, chunk: bytes, upstream: bool) -> None:
        """Called for every chunk passed on."""


class ByteCounter(Proxy):
    """Counts what the server sends: bytes on the wire."""

    def __init__(self, upstream_port: int) -> None:
        super().__init__(upstream_port)
        self.downstream_bytes = 0

    def _seen(self, chunk: bytes, upstream: bool) -> None:
        if not upstream:
            self.downstream_bytes += len(chunk)


@dataclass(frozen=True)
class Load:
    requests: int
    errors: int
    seconds: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


async def load(url: str, clients: int = 50, seconds: float = 5.0) -> Load:
    """`clients` connections each asking for `url` in a loop for `seconds` (bounded)."""
    done = errors = 0
    deadline = time.monotonic() + seconds
    headers = {"accept-encoding": "gzip", "accept-language": "zh-CN"}
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def client() -> None:
            nonlocal done, errors
            while time.monotonic() < deadline:
                try:
                    async with session.get(url) as response:
                        await response.read()
                        if response.status == 200:
                            done += 1
                        else:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1

        start = time.monotonic()
        await asyncio.gather(*(client() for _ in range(clients)))
        return Load(requests=done, errors=errors, seconds=time.monotonic() - start)


class SlowLink(Proxy):
    """Behaves like a poor mobile link: each direction carries `bits_per_s` and every byte
    arrives `rtt_ms / 2` after it was sent."""

    def __init__(self, upstream_port: int, bits_per_s: int = 1_000_000, rtt_ms: int = 300) -> None:
        super().__init__(upstream_port)
        self.bytes_per_s = bits_per_s / 8
        self.one_way_s = rtt_ms / 2000

    async def _pipe(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, *, upstream: bool
    ) -> None:
        loop = asyncio.get_running_loop()
        line_free = loop.time()  # when the link has sent everything queued so far
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                at, chunk = await queue.get()
                if not chunk:
                    dst.close()
                    return
                await asyncio.sleep(max(0.0, at - loop.time()))
                dst.write(chunk)
                await dst.drain()

        sender = asyncio.create_task(deliver())
        try:
            while chunk := await src.read(4096):
                line_free = max(line_free, loop.time()) + len(chunk) / self.bytes_per_s
                queue.put_nowait((line_free + self.one_way_s, chunk))
        except (ConnectionError, asyncio.CancelledError):
            pass
        queue.put_nowait((0.0, b""))
        with contextlib.suppress(ConnectionError):
            await sender


PG_URL = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"


def count_tally(env: dict[str, str]) -> None:
    """`gridwatch tally`: the figures' rollup counted again after hazards were loaded
    around the app (COPY, executemany), as an operator does after a bulk load."""
    subprocess.run(
        [sys.executable, "-m", "server.cli", "tally"],
        env={**os.environ, **env},
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


async def reset_postgres() -> None:
    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


def each_engine(
    app: str = "server.app:app_from_environment", **extra_env: str
) -> Iterator[tuple[str, Path, LiveServer]]:
    """A live server (worker off, demo loaded) on a fresh SQLite file, then on a fresh
    PostgreSQL schema: what every engine comparison runs against."""
    with tempfile.TemporaryDirectory() as tmp:
        for engine in ("sqlite", "postgres"):
            env = {"EMBEDDED_WORKER": "0", **extra_env}
            if engine == "postgres":
                asyncio.run(reset_postgres())
                env["DATABASE_URL"] = PG_URL
            work = Path(tmp) / engine
            work.mkdir()
            with live_server(work, app=app, **env) as server:
                yield engine, work, server


async def enqueue_and_drain(work: Awaitable, drain: Callable[[], Awaitable]) -> None:
    """What happens in production: the worker drains the outbox (every tick, until nothing
    is due) while the web process is still writing a call-up's messages, instead of
    waiting for the last of them."""
    from server.worker import TICK_SECONDS

    task = asyncio.ensure_future(work)
    while not task.done():
        await drain()
        await asyncio.wait({task}, timeout=TICK_SECONDS)
    await task
    await drain()
