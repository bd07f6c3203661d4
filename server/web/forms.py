"""Small helpers for handlers: the viewer, safe redirects, the client's address."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

from litestar import Request
from litestar.exceptions import ClientException


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to go back to; anything pointing off the site becomes `default`."""
    if not value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or value.startswith("//"):
        return default
    return parts.path + (f"?{parts.query}" if parts.query else "")


def client_ip(request: Request) -> str:
    """The client's address for per-address limits. X-Forwarded-For is believed only when
    the connection comes from a proxy on TRUSTED_PROXIES, and then only its last hop that is
    not one of ours: anyone can write the header, so a rotated one changes nothing."""
    peer = request.client.host if request.client else ""
    proxies = _networks(request.app.state.settings.trusted_proxies)
    if not proxies or not _among(peer, proxies):
        return peer
    header = ",".join(request.headers.getall("x-forwarded-for", []))
    for hop in reversed([h.strip() for h in header.split(",") if h.strip()]):
        if not _among(hop, proxies):
            return hop if _address(hop) else peer
    return peer


@lru_cache(maxsize=8)
def _networks(
    entries: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _among(text: str, networks: tuple) -> bool:
    address = _address(text)
    return address is not None and any(address in n for n in networks)


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
