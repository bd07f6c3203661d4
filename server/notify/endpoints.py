"""Which push endpoints the worker may POST to: push services on an allow-list, checked on
the parsed URL, so that nobody can point our server at a host of their choice (SSRF)."""

from __future__ import annotations

from urllib.parse import urlsplit

from yarl import URL

from server.settings import DEFAULT_PUSH_HOSTS

__all__ = ["DEFAULT_PUSH_HOSTS", "allowed"]


def _matches(host: str, entry: str) -> bool:
    if entry.startswith("*."):
        return host == entry[2:] or host.endswith(entry[1:])
    return host == entry


def allowed(endpoint: str, hosts: tuple[str, ...]) -> bool:
    """`endpoint` is an https URL (default port) on an allowed host, or plain http to a host
    allowed as `http://host`. Userinfo, odd characters and any disagreement between two URL
    parsers are refused: what we check must be what the HTTP client connects to."""
    if len(endpoint) > 2000 or any(not 32 < ord(c) < 127 or c == "\\" for c in endpoint):
        return False
    try:
        split, parsed = urlsplit(endpoint), URL(endpoint)
        port = split.port
    except ValueError:
        return False
    host = (split.hostname or "").rstrip(".")
    if not host or split.username is not None or split.password is not None:
        return False
    if parsed.host != split.hostname or parsed.user is not None:
        return False
    if split.scheme == "https":
        plain = [h for h in hosts if "://" not in h]
        return port in (None, 443) and any(_matches(host, h) for h in plain)
    if split.scheme == "http":
        return any(h == f"http://{host}" for h in hosts)
    return False
