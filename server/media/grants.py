"""Who may fetch a stored photo: the page that shows a record's photos signs each photo's
URL for the person it is rendered for, so /media/{sha} needs no lookup of the record (a
photo is named only by its hash) and still serves nobody who was not shown it.

A grant is HMAC(key, person, sha, period) with 30-day periods; it is accepted in its period
and the next, so a page kept on the phone offline keeps its photos for 30 to 60 days."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid

PERIOD_SECONDS = 30 * 86400


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"gridwatch media grant", hashlib.sha256).digest()


def _mac(secret: str, person_id: uuid.UUID, sha: str, period: int) -> str:
    message = f"{person_id.hex}:{sha}:{period}".encode()
    digest = hmac.new(_key(secret), message, hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode()


def grant(secret: str, person_id: uuid.UUID, sha: str, now: float | None = None) -> str:
    period = int((now or time.time()) // PERIOD_SECONDS)
    return f"{period}.{_mac(secret, person_id, sha, period)}"


def valid(
    secret: str, person_id: uuid.UUID, sha: str, token: str, now: float | None = None
) -> bool:
    period_text, _, mac = token.partition(".")
    if not period_text.isdigit() or len(period_text) > 8:
        return False
    period = int(period_text)
    current = int((now or time.time()) // PERIOD_SECONDS)
    if period not in (current, current - 1):
        return False
    return hmac.compare_digest(mac, _mac(secret, person_id, sha, period))


def url(secret: str, person_id: uuid.UUID, sha: str) -> str:
    return f"/media/{sha}?g={grant(secret, person_id, sha)}"
