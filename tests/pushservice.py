"""A push service for tests, on 127.0.0.1: it accepts RFC 8030 POSTs, verifies the VAPID
JWT (aud, exp, ES256 signature against the key the app publishes) and decrypts the payload
(aes128gcm, RFC 8291) with the subscriber's private key, as a browser would.

Written against the RFCs with `cryptography` and `http_ece`, not with the app's own code,
so a mistake in the sender is not mirrored here."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Subscriber:
    """A browser's side of one subscription: its key pair and auth secret."""

    name: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))
    #: statuses to answer, in turn (then 201); ("delay", s) waits s seconds first
    script: deque = field(default_factory=deque)
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def p256dh(self) -> str:
        raw = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64(raw)


class PushService:
    def __init__(self, vapid_public_key: str, check_every: int = 1) -> None:
        self.vapid_public_key = vapid_public_key
        #: verify and decrypt one request in this many (a benchmark spares its CPU)
        self.check_every = check_every
        self.count = 0
        self.subscribers: dict[str, Subscriber] = {}
        self.rejected: list[str] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    def subscribe(self, name: str) -> Subscriber:
        self.subscribers[name] = Subscriber(name)
        return self.subscribers[name]

    def endpoint(self, name: str) -> str:
        return f"{self.url}/push/{name}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/push/{name}", self.push)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def push(self, request: web.Request) -> web.Response:
        sub = self.subscribers.get(request.match_info["name"])
        if sub is None:
            return web.Response(status=404)
        self.count += 1
        body = await request.read()
        if self.count % self.check_every:
            return web.Response(status=201)
        problem = self.check_vapid(request.headers.get("Authorization", ""))
        if problem:
            self.rejected.append(problem)
            return web.Response(status=403, text=problem)
        payload = http_ece.decrypt(
            body, private_key=sub.key, auth_secret=sub.auth, version="aes128gcm"
        )
        sub.received.append(
            {
                "payload": json.loads(payload),
                "ttl": request.headers.get("TTL"),
                "urgency": request.headers.get("Urgency"),
                "topic": request.headers.get("Topic"),
            }
        )
        if sub.script:
            step = sub.script.popleft()
            if isinstance(step, tuple) and step[0] == "delay":
                await asyncio.sleep(step[1])
                return web.Response(status=201)
            status, retry_after = step if isinstance(step, tuple) else (step, None)
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return web.Response(status=status, headers=headers, text=f"scripted {status}")
        return web.Response(status=201)

    def check_vapid(self, header: str) -> str:
        """RFC 8292: 'vapid t=<JWT>, k=<key>'; "" when it holds."""
        if not header.lower().startswith("vapid "):
            return "no vapid authorization"
        parts = dict(p.strip().split("=", 1) for p in header[6:].split(","))
        if parts.get("k") != self.vapid_public_key:
            return "not the app's public key"
        head, claims, signature = parts["t"].split(".")
        if json.loads(unb64(head)).get("alg") != "ES256":
            return "not ES256"
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(parts["k"]))
        raw = unb64(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        try:
            key.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return "bad signature"
        values = json.loads(unb64(claims))
        if values.get("aud") != self.url:
            return f"aud {values.get('aud')} is not {self.url}"
        if not time.time() < values.get("exp", 0) <= time.time() + 24 * 3600:
            return "exp out of range"
        if not str(values.get("sub", "")).startswith(("mailto:", "https:")):
            return "no sub"
        return ""


#: what a sender in a test may post to: this service, plain http on 127.0.0.1
HOSTS = ("http://127.0.0.1",)
