"""CSRF: Litestar's signed double-submit cookie, its HMAC keyed by the device session as
well, so that a token works only with the session it was issued to. A token planted before
login (cookie tossing) or lifted from another session is refused; a page opened after login
gets a fresh token, as the old one no longer verifies."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace

from litestar.config.csrf import CSRFConfig
from litestar.middleware.csrf import CSRFMiddleware, generate_csrf_hash
from litestar.types import ASGIApp, Receive, Scope, Send

from server.i18n import cookie_value


def host_only(name: str, secure: bool) -> str:
    """Under https a cookie is named __Host-: the browser then refuses one set by a
    subdomain or without Secure and Path=/ (no cookie tossing)."""
    return f"__Host-{name}" if secure else name


def _cookie_header(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"cookie":
            return value.decode("latin-1")
    return ""


def _without_cookie(scope: Scope, drop: str) -> None:
    """Take one cookie out of the request, so the middleware issues a new one."""
    headers = []
    for name, value in scope["headers"]:
        if name == b"cookie":
            parts = [
                p for p in value.decode("latin-1").split(";") if p.strip().partition("=")[0] != drop
            ]
            value = ";".join(parts).encode("latin-1")
        headers.append((name, value))
    scope["headers"] = headers


def _session_token(key: str) -> str:
    """The token of the session whose CSRF key is `key`, in Litestar's form (a secret and its
    HMAC): the same for every page of the session, unknown without the session."""
    secret = hmac.new(key.encode(), b"token", hashlib.sha256).hexdigest()
    return secret + generate_csrf_hash(token=secret, secret=key)


def _with_cookie(scope: Scope, name: str, value: str) -> None:
    """Add a cookie to the request, as if the browser had sent it."""
    headers = [(k, v) for k, v in scope["headers"] if k != b"cookie"]
    existing = _cookie_header(scope)
    cookie = f"{existing}; {name}={value}" if existing else f"{name}={value}"
    scope["headers"] = [*headers, (b"cookie", cookie.encode("latin-1"))]


class SessionCSRFMiddleware:
    def __init__(self, app: ASGIApp, config: CSRFConfig, session_cookie: str) -> None:
        self.app = app
        self.config = config
        self.session_cookie = session_cookie
        self.anonymous = CSRFMiddleware(app, config)

    def _for(self, session: str | None) -> CSRFMiddleware:
        if not session:
            return self.anonymous
        key = hmac.new(self.config.secret.encode(), b"csrf:" + session.encode(), hashlib.sha256)
        return CSRFMiddleware(self.app, replace(self.config, secret=key.hexdigest()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = _cookie_header(scope)
        session = cookie_value(header, self.session_cookie)
        middleware = self._for(session)
        token = cookie_value(header, self.config.cookie_name)
        safe = scope["method"] in self.config.safe_methods
        if safe and token and middleware._decode_csrf_token(token) is None:
            _without_cookie(scope, self.config.cookie_name)  # another session's, or none's
            token = None
        if safe and session and not token:
            # A session's token is one value, not a random one per request: the first pages
            # after login come in parallel (the page, the worker's copies), each used to mint
            # its own, the last cookie set won, and a form from another was refused (页面已过期
            # on a call-up's 收到, seen in CI).
            fresh = _session_token(middleware.config.secret)
            _with_cookie(scope, self.config.cookie_name, fresh)
            send = middleware.create_send_wrapper(send=send, token=fresh, csrf_cookie=None)
        await middleware(scope, receive, send)


def csrf_middleware(secret: str, *, secure: bool, session_cookie: str):
    config = CSRFConfig(
        secret=secret,
        cookie_name=host_only("gw_csrf", secure),
        cookie_secure=secure,
        cookie_httponly=True,
        cookie_samesite="lax",
    )

    def factory(app: ASGIApp) -> ASGIApp:
        return SessionCSRFMiddleware(app, config, session_cookie)

    return factory
