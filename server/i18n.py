"""Translations: the message catalogs, the request's language and the gettext functions.

Message ids are English; zh_Hans (the default) translates every one of them, en is the
identity. The language of a request comes from the `gw_lang` cookie, else Accept-Language,
else the configured default, and lives in a context variable for that request.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po
from litestar.types import ASGIApp, Receive, Scope, Send

from server.settings import LANGUAGES, ROOT

LOCALES_DIR = ROOT / "pwa" / "locales"
COOKIE = "gw_lang"
#: how each language is named in HTML (`lang`) and in the switcher
HTML_LANG = {"zh_Hans": "zh-CN", "en": "en"}
LANGUAGE_NAMES = {"zh_Hans": "中文", "en": "English"}

_language: ContextVar[str] = ContextVar("language", default="zh_Hans")


class Catalog:
    """One language's messages, read from its .po file."""

    def __init__(self, path: Path) -> None:
        self.singular: dict[str, str] = {}
        self.plural: dict[str, tuple[str, ...]] = {}
        if not path.exists():
            return
        with path.open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            if isinstance(message.id, tuple):
                forms = tuple(s for s in message.string if s)
                if forms:
                    self.plural[message.id[0]] = forms
            elif message.string:
                self.singular[message.id] = message.string

    def gettext(self, message: str) -> str:
        return self.singular.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self.plural.get(singular)
        if not forms:
            return singular if n == 1 else plural
        # zh has one form; en-like languages pick by n.
        return forms[0] if len(forms) == 1 or n == 1 else forms[1]


@lru_cache(maxsize=len(LANGUAGES))
def catalog(language: str) -> Catalog:
    return Catalog(LOCALES_DIR / language / "LC_MESSAGES" / "messages.po")


def language() -> str:
    return _language.get()


def gettext(message: str, **params: object) -> str:
    text = catalog(_language.get()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = catalog(_language.get()).ngettext(singular, plural, n)
    return text % {"num": n, **params}


_ = gettext


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def negotiate(cookie: str | None, accept_language: str | None, default: str) -> str:
    """Pick the language: an explicit choice first, then the browser's, then the default."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_Hans"
        if tag.startswith("en"):
            return "en"
    return default


def language_middleware(default: str):
    """Set the request's language before anything renders."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                headers = dict(scope["headers"])
                cookie = cookie_value(headers.get(b"cookie", b"").decode("latin-1"), COOKIE)
                accept = headers.get(b"accept-language", b"").decode("latin-1")
                token = _language.set(negotiate(cookie, accept, default))
                try:
                    await app(scope, receive, send)
                finally:
                    _language.reset(token)
            else:
                await app(scope, receive, send)

        return middleware

    return factory


def cookie_value(header: str, name: str) -> str | None:
    """One cookie's value from a Cookie header."""
    for part in header.split(";"):
        key, _sep, value = part.strip().partition("=")
        if key == name:
            return value
    return None
