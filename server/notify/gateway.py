"""SMS and voice calls through a gateway: a generic HTTP webhook (JSON, HMAC-signed) for
whatever provider a city contracts, and a log adapter for development.

Outbound: POST {channel, to, text, message_id} to SMS_WEBHOOK_URL with
`X-Gridwatch-Timestamp` and `X-Gridwatch-Signature` = hex HMAC-SHA256(secret,
"<timestamp>.<body>"). Inbound replies ("1 收到") come back to /notify/gateway/inbound signed
the same way; a signature older than five minutes is refused (no replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from typing import Protocol

import aiohttp

from server.notify.tables import GatewayLog
from server.notify.webpush import Answer

log = logging.getLogger("gridwatch.notify.gateway")

#: how old a signed request may be
SKEW_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, now: float | None = None
) -> bool:
    if not secret or not timestamp.isdigit():
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > SKEW_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class Gateway(Protocol):
    async def send(
        self, channel: str, person_id: uuid.UUID, mobile: str, text: str, message_id: uuid.UUID
    ) -> Answer: ...


class LogGateway:
    """Development: what a gateway would have been asked, kept in a table and printed."""

    async def send(
        self, channel: str, person_id: uuid.UUID, mobile: str, text: str, message_id: uuid.UUID
    ) -> Answer:
        await GatewayLog.insert(
            GatewayLog(channel=channel, person_id=person_id, mobile=mobile, text=text[:600])
        )
        log.info("%s to %s (%s): %s", channel, mobile or person_id, message_id, text)
        return Answer(200)


class WebhookGateway:
    def __init__(self, url: str, secret: str, timeout_seconds: float = 15) -> None:
        self.url = url
        self.secret = secret
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def send(
        self, channel: str, person_id: uuid.UUID, mobile: str, text: str, message_id: uuid.UUID
    ) -> Answer:
        if not mobile:
            return Answer(400, error="no mobile number")
        body = json.dumps(
            {"channel": channel, "to": mobile, "text": text, "message_id": str(message_id)},
            ensure_ascii=False,
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Gridwatch-Timestamp": timestamp,
            "X-Gridwatch-Signature": sign(self.secret, timestamp, body),
        }
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        try:
            async with self._session.post(self.url, data=body, headers=headers) as response:
                retry = response.headers.get("Retry-After", "")
                return Answer(
                    response.status,
                    float(retry) if retry.isdigit() else None,
                    (await response.text())[:300],
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            return Answer(0, error=f"{type(exc).__name__}: {exc}"[:300])

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
