"""Security headers on every response: CSP without inline script, no sniffing, no framing."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from litestar.types import ASGIApp, Message, Receive, Scope, Send


def csp(img_sources: tuple[str, ...] = ()) -> str:
    """The policy; `img_sources` adds hosts images may come from (map tiles)."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            " ".join(["img-src 'self' data: blob:", *img_sources]),
            "connect-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def tile_source(url: str) -> str:
    """The CSP source of a tile URL template: `https://t{s}.tianditu.gov.cn/...` becomes
    `https://*.tianditu.gov.cn` (a wildcard may only stand for a whole leftmost label)."""
    if not url:
        return ""
    parts = urlsplit(url)
    labels = parts.netloc.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    return f"{parts.scheme}://{'.'.join(labels)}"


def headers(img_sources: tuple[str, ...] = ()) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", csp(img_sources).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"permissions-policy", b"geolocation=(self), camera=(self), microphone=()"),
    ]


def security_headers_for(tile_url: str = "", *, hsts: bool = False) -> Callable[[ASGIApp], ASGIApp]:
    """The middleware adding the headers; images may also come from the map's tile host.
    Under https, HSTS: a phone that once reached us never again accepts plain http."""
    wanted = headers(tuple(filter(None, [tile_source(tile_url)])))
    if hsts:
        wanted.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    def security_headers(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    present = {name for name, _ in message.get("headers", [])}
                    added = [(n, v) for n, v in wanted if n not in present]
                    message["headers"] = [*message.get("headers", []), *added]
                await send(message)

            await app(scope, receive, send_with_headers)

        return middleware

    return security_headers
