"""Sending one web push message (RFC 8030) encrypted for its subscription (RFC 8291,
aes128gcm, with http_ece), over a shared aiohttp session with keep-alive."""

from __future__ import annotations

import asyncio
import base64
import multiprocessing
import os
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import aiohttp
import http_ece
from cryptography.hazmat.primitives.asymmetric import ec

from server.notify.endpoints import DEFAULT_PUSH_HOSTS, allowed
from server.notify.vapid import Signer

#: at most this many requests in flight to push services
IN_FLIGHT = 256
TIMEOUT_SECONDS = 15
#: messages encrypted per helper call: enough to make the hand-over cheap, few enough that
#: the first posts start at once
CHUNK = 100


def _b64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def encrypt(payload: bytes, p256dh: str, auth: str) -> bytes:
    """The body a push service forwards to the browser: a fresh key and salt per message."""
    server_key = ec.generate_private_key(ec.SECP256R1())
    return http_ece.encrypt(
        payload,
        salt=os.urandom(16),
        private_key=server_key,
        dh=_b64(p256dh),
        auth_secret=_b64(auth),
        version="aes128gcm",
    )


def encrypt_many(items: list[tuple[bytes, str, str]]) -> list[bytes | str]:
    """`encrypt` for many messages (run in a helper process by a sender that has one); a
    subscription that cannot be encrypted for gets the reason instead of a body."""
    out: list[bytes | str] = []
    for payload, p256dh, auth in items:
        try:
            out.append(encrypt(payload, p256dh, auth))
        except Exception as exc:  # a damaged subscription: nothing to retry
            out.append(f"cannot encrypt for this subscription: {exc}"[:300])
    return out


def die_with(parent: int) -> None:
    """A helper's initializer: end when the process that started it is gone, however it
    ended (kill -9 included: a helper holds its own end of the work queue, so it would wait
    for work forever otherwise)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


@dataclass(frozen=True)
class Push:
    """One message for one subscription, before encryption."""

    endpoint: str
    p256dh: str
    auth: str
    payload: bytes
    ttl: int
    urgency: str
    topic: str = ""


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer (network error or timeout)
    retry_after: float | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class PushSender:
    """Sends pushes over one keep-alive session. With `processes` > 0, encryption (about
    half of a push's CPU) runs in that many helper processes, in chunks, while this process
    does the HTTP: a worker then uses two cores instead of one."""

    def __init__(
        self,
        signer: Signer,
        timeout_seconds: float = TIMEOUT_SECONDS,
        processes: int = 0,
        hosts: tuple[str, ...] = DEFAULT_PUSH_HOSTS,
    ) -> None:
        self.signer = signer
        self.hosts = hosts
        self.timeout_seconds = timeout_seconds
        self.processes = processes
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(IN_FLIGHT)
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: the helper starts clean (no copy of this process's loop or connections)
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                self.processes, mp_context=context, initializer=die_with, initargs=(os.getpid(),)
            )
        return self._pool

    async def send_all(
        self, pushes: list[Push], heard: Callable[[int, Answer], None] | None = None
    ) -> list[Answer]:
        """Many pushes at once: encrypted in chunks (in the helpers when there are any),
        each chunk posted as soon as it is ready. `heard(i, answer)` is told of each answer
        as it comes (the caller records them while the rest are still on their way)."""

        async def told(i: int, answer: Awaitable[Answer]) -> Answer:
            got = await answer
            if heard is not None:
                heard(i, got)
            return got

        if not self.processes or len(pushes) < 2 * CHUNK:
            return await asyncio.gather(
                *(told(i, self.send(*_args(p), **_kwargs(p))) for i, p in enumerate(pushes))
            )
        loop = asyncio.get_running_loop()
        chunks = [pushes[at : at + CHUNK] for at in range(0, len(pushes), CHUNK)]
        encrypted = [
            loop.run_in_executor(
                self._executor(), encrypt_many, [(p.payload, p.p256dh, p.auth) for p in chunk]
            )
            for chunk in chunks
        ]

        async def post_chunk(first: int, chunk: list[Push], bodies: asyncio.Future) -> list[Answer]:
            ready = await bodies
            return await asyncio.gather(
                *(
                    told(first + n, self.post(p, body))
                    for n, (p, body) in enumerate(zip(chunk, ready, strict=True))
                )
            )

        answers = await asyncio.gather(
            *(
                post_chunk(n * CHUNK, c, e)
                for n, (c, e) in enumerate(zip(chunks, encrypted, strict=True))
            )
        )
        return [a for chunk in answers for a in chunk]

    async def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=IN_FLIGHT, keepalive_timeout=60),
                timeout=aiohttp.ClientTimeout(total=self.timeout_seconds),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    async def send(
        self,
        endpoint: str,
        p256dh: str,
        auth: str,
        payload: bytes,
        *,
        ttl: int,
        urgency: str,
        topic: str = "",
    ) -> Answer:
        push = Push(endpoint, p256dh, auth, payload, ttl, urgency, topic)
        [body] = encrypt_many([(payload, p256dh, auth)])
        return await self.post(push, body)

    async def post(self, push: Push, body: bytes | str) -> Answer:
        """POST an encrypted body (RFC 8030); a str body is why it could not be encrypted."""
        if isinstance(body, str):
            return Answer(400, error=body)
        endpoint = push.endpoint
        if not allowed(endpoint, self.hosts):  # stored before PUSH_HOSTS, or the list changed
            return Answer(410, error="endpoint not on PUSH_HOSTS")
        headers = {
            "TTL": str(push.ttl),
            "Urgency": push.urgency,
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "Authorization": self.signer.authorization(endpoint),
        }
        if push.topic:
            headers["Topic"] = push.topic
        session = await self.session()
        async with self._slots:
            try:
                async with session.post(
                    endpoint, data=body, headers=headers, allow_redirects=False
                ) as response:
                    raw = await response.read()  # read whole: the connection is reused
                    if 200 <= response.status < 300:
                        return Answer(response.status)
                    text = raw[:300].decode("utf-8", "replace")
                    return Answer(response.status, _retry_after(response), text)
            except (aiohttp.ClientError, TimeoutError) as exc:
                return Answer(0, error=f"{type(exc).__name__}: {exc}"[:300])


def _args(p: Push) -> tuple[str, str, str, bytes]:
    return p.endpoint, p.p256dh, p.auth, p.payload


def _kwargs(p: Push) -> dict:
    return {"ttl": p.ttl, "urgency": p.urgency, "topic": p.topic}


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
