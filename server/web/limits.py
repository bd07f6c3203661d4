"""Request bodies must keep arriving: a client that announces a body and then sends it
slowly, or not at all, is answered 408 instead of holding a connection and a task open
(slowloris). A phone on 2G that keeps sending, however slowly, is within both limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Message, Receive, Scope, Send


class BodyTimeout(HTTPException):
    status_code = 408
    detail = "request body timeout"


def body_timeout(idle_seconds: float, total_seconds: float) -> Callable[[ASGIApp], ASGIApp]:
    """At most `idle_seconds` between two parts of a body and `total_seconds` for all of it;
    once the body is whole, the stream is the app's (an SSE page waits for a disconnect)."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            deadline = time.monotonic() + total_seconds
            whole = False

            async def timed_receive() -> Message:
                nonlocal whole
                if whole:
                    return await receive()
                wait = min(idle_seconds, deadline - time.monotonic())
                try:
                    message = await asyncio.wait_for(receive(), timeout=max(wait, 0.001))
                except TimeoutError:
                    raise BodyTimeout() from None
                if message["type"] != "http.request" or not message.get("more_body", False):
                    whole = True
                return message

            await app(scope, timed_receive, send)

        return middleware

    return factory
