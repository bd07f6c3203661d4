"""Resolves the device session cookie into `request.user` (a Viewer, or None) and keeps a
session alive while it is used: the cookie is renewed with the server-side expiry."""

from __future__ import annotations

from litestar.datastructures import Cookie
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.auth.service import SESSION_DAYS, authenticate
from server.i18n import cookie_value

COOKIE = "gw_session"
#: paths that never need to know who is asking (and must not cost a database query)
_SKIP = ("/static/", "/sw.js", "/manifest.webmanifest", "/healthz", "/readyz")


def session_cookie_name(secure: bool) -> str:
    """__Host-gw_session under https (see web/csrf.host_only), gw_session otherwise."""
    return f"__Host-{COOKIE}" if secure else COOKIE


def session_cookie(token: str, *, secure: bool) -> Cookie:
    return Cookie(
        key=session_cookie_name(secure),
        value=token,
        max_age=SESSION_DAYS * 24 * 3600,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )


def clear_session_cookie(*, secure: bool) -> Cookie:
    return Cookie(
        key=session_cookie_name(secure),
        value="",
        max_age=0,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )


def session_middleware(secure: bool):
    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            scope["user"] = None
            token = None
            if not scope["path"].startswith(_SKIP):
                headers = dict(scope["headers"])
                cookies = headers.get(b"cookie", b"").decode("latin-1")
                token = cookie_value(cookies, session_cookie_name(secure))
            renew = False
            if token:
                scope["user"], renew = await authenticate(token)
            if not renew:
                await app(scope, receive, send)
                return

            cookie = session_cookie(token or "", secure=secure).to_header(header="")

            async def send_renewed(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    headers.append((b"set-cookie", cookie.strip().encode("latin-1")))
                    message["headers"] = headers
                await send(message)

            await app(scope, receive, send_renewed)

        return middleware

    return factory
