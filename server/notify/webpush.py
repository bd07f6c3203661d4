"""Sending one web push message (RFC 8030) encrypted for its subscription (RFC 8291,
aes128gcm, with http_ece), over a shared aiohttp session with keep-alive."""

from __future__ import annotations

import asyncio
import base64
import os
from dataclasses import dataclass

import aiohttp
import http_ece
from cryptography.hazmat.primitives.asymmetric import ec

from server.notify.vapid import Signer

#: at most this many requests in flight to push services
IN_FLIGHT = 256
TIMEOUT_SECONDS = 15


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


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer (network error or timeout)
    retry_after: float | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class PushSender:
    def __init__(self, signer: Signer, timeout_seconds: float = TIMEOUT_SECONDS) -> None:
        self.signer = signer
        self.timeout_seconds = timeout_seconds
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(IN_FLIGHT)

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
        headers = {
            "TTL": str(ttl),
            "Urgency": urgency,
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "Authorization": self.signer.authorization(endpoint),
        }
        if topic:
            headers["Topic"] = topic
        try:
            body = encrypt(payload, p256dh, auth)
        except Exception as exc:  # a damaged subscription: nothing to retry
            return Answer(400, error=f"cannot encrypt for this subscription: {exc}"[:300])
        session = await self.session()
        async with self._slots:
            try:
                async with session.post(endpoint, data=body, headers=headers) as response:
                    text = (await response.text())[:300]
                    return Answer(response.status, _retry_after(response), text)
            except (aiohttp.ClientError, TimeoutError) as exc:
                return Answer(0, error=f"{type(exc).__name__}: {exc}"[:300])


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
