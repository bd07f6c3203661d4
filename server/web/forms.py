"""Small helpers for handlers: the viewer, safe redirects, the client's address."""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar import Request
from litestar.exceptions import ClientException, NotAuthorizedException

from server.auth.service import Viewer


def viewer_of(request: Request) -> Viewer:
    """The logged-in person; the access guard has already refused anonymous requests."""
    viewer = request.scope.get("user")
    if viewer is None:
        raise NotAuthorizedException()
    return viewer


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to go back to; anything pointing off the site becomes `default`."""
    if not value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or value.startswith("//"):
        return default
    return parts.path + (f"?{parts.query}" if parts.query else "")


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100_000))
    except ValueError:
        return 1


def require_json(request: Request) -> None:
    """These routes skip the CSRF token: a queued request may be replayed days later, after
    the token changed. They are safe without it: the session cookie is SameSite=Lax (never
    sent with a cross-site POST) and a JSON body cannot be sent cross-site without a CORS
    preflight, which this app never grants."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ClientException("send JSON", status_code=415)
