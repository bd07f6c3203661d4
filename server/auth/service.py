"""Logging in and out, device sessions (30 days, sliding) and the login throttle."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from server import db
from server.audit.service import record_event
from server.auth.passwords import verify_password
from server.auth.tables import DeviceSession, LoginAttempt
from server.directory.kinds import PostKind
from server.directory.records import PostRecord
from server.directory.scope import Scope
from server.directory.service import credentials, posts_of, scope_for
from server.errors import DomainError
from server.i18n import N_

SESSION_DAYS = 30
#: a session's expiry moves forward at most this often, to keep writes rare
REFRESH_AFTER = timedelta(hours=1)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_MOBILE = 5
MAX_FAILURES_PER_IP = 30

BAD_CREDENTIALS = N_("Wrong mobile number or password.")
THROTTLED = N_(
    "Too many failed logins. Wait 15 minutes, or ask your station to reset your password."
)


class LoginRefused(DomainError):
    status_code = 400


class LoginThrottled(DomainError):
    status_code = 429


@dataclass(frozen=True)
class Viewer:
    """The person behind a request, with their current posts and what those let them see."""

    person_id: uuid.UUID
    name: str
    mobile: str
    session_id: uuid.UUID
    posts: tuple[PostRecord, ...]
    scope: Scope

    @property
    def kinds(self) -> frozenset[PostKind]:
        return frozenset(p.kind for p in self.posts)


@dataclass(frozen=True)
class Device:
    id: uuid.UUID
    label: str
    ip: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_label(user_agent: str) -> str:
    """A short name a person recognises: system and browser."""
    ua = user_agent.lower()
    system = next(
        (
            name
            for key, name in [
                ("iphone", "iPhone"),
                ("ipad", "iPad"),
                ("android", "Android"),
                ("harmony", "HarmonyOS"),
                ("windows", "Windows"),
                ("mac os", "Mac"),
                ("linux", "Linux"),
            ]
            if key in ua
        ),
        "",
    )
    browser = next(
        (
            name
            for key, name in [
                ("micromessenger", "WeChat"),
                ("edg/", "Edge"),
                ("chrome", "Chrome"),
                ("firefox", "Firefox"),
                ("safari", "Safari"),
            ]
            if key in ua
        ),
        "",
    )
    return " · ".join(x for x in (system, browser) if x) or user_agent[:40]


async def _reserve(mobile: str, ip: str) -> uuid.UUID | None:
    """Count this attempt as a failure before the password is checked, in one serialized
    write with the count: concurrent guesses each see the ones before them, so exactly
    MAX_FAILURES_PER_MOBILE of them reach the password check (a success removes the
    reservation). None: throttled, nothing is stored."""
    database = db.current()
    async with database.write():
        await database.serialize("login_throttle")
        since = _now() - THROTTLE_WINDOW
        failed = LoginAttempt.success.eq(False) & (LoginAttempt.at > since)
        by_mobile = await LoginAttempt.count().where(failed & (LoginAttempt.mobile == mobile))
        by_ip = await LoginAttempt.count().where(failed & (LoginAttempt.ip == ip))
        if by_mobile >= MAX_FAILURES_PER_MOBILE or by_ip >= MAX_FAILURES_PER_IP:
            return None
        attempt = LoginAttempt(mobile=mobile, ip=ip, at=_now())
        await attempt.save()
        return attempt.id


async def login(mobile: str, password: str, *, ip: str, user_agent: str) -> str:
    """Check the password and open a device session; returns the cookie token."""
    mobile = mobile.strip().replace(" ", "")[:20]
    if await _reserve(mobile, ip[:45]) is None:
        raise LoginThrottled(THROTTLED)
    found = await credentials(mobile)
    person_id, password_hash, active = found or (None, "", False)
    ok = await verify_password(password_hash, password)
    if not (ok and person_id and active):
        raise LoginRefused(BAD_CREDENTIALS)  # the reserved attempt stays: it failed
    async with db.current().write():
        await LoginAttempt.delete().where(LoginAttempt.mobile == mobile)
        return await open_session(person_id, ip=ip, user_agent=user_agent)


async def open_session(person_id: uuid.UUID, *, ip: str, user_agent: str) -> str:
    """A new device session for a person whose password was checked (inside the caller's
    write transaction); returns the cookie token."""
    token = secrets.token_urlsafe(32)
    now = _now()
    session = DeviceSession(
        person=person_id,
        token_hash=_digest(token),
        label=device_label(user_agent)[:80],
        ip=ip[:45],
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=SESSION_DAYS),
    )
    await session.save()
    await record_event(
        "auth.login", entity="device_session", record_id=str(session.id), actor_id=person_id
    )
    return token


async def authenticate(token: str) -> tuple[Viewer | None, bool]:
    """The viewer for a session token, and whether the cookie should be renewed."""
    if not token or len(token) > 100:
        return None, False
    row = (
        await DeviceSession.select(
            DeviceSession.id,
            DeviceSession.last_seen_at,
            DeviceSession.expires_at,
            DeviceSession.revoked_at,
            DeviceSession.person.id.as_alias("person_id"),
            DeviceSession.person.name.as_alias("name"),
            DeviceSession.person.mobile.as_alias("mobile"),
            DeviceSession.person.active.as_alias("active"),
        )
        .where(DeviceSession.token_hash == _digest(token))
        .first()
    )
    now = _now()
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
        return None, False
    if not row["active"]:
        return None, False
    renew = now - row["last_seen_at"] > REFRESH_AFTER
    if renew:
        async with db.current().write():
            await DeviceSession.update(
                {
                    DeviceSession.last_seen_at: now,
                    DeviceSession.expires_at: now + timedelta(days=SESSION_DAYS),
                }
            ).where(DeviceSession.id == row["id"])
    posts = await posts_of(row["person_id"])
    viewer = Viewer(
        row["person_id"],
        row["name"],
        row["mobile"],
        row["id"],
        tuple(posts),
        scope_for(row["person_id"], posts),
    )
    return viewer, renew


async def live_sessions(session_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `session_ids` that are neither revoked nor expired (pushes go only there)."""
    if not session_ids:
        return set()
    rows = await DeviceSession.select(DeviceSession.id).where(
        DeviceSession.id.is_in(list(set(session_ids)))
        & DeviceSession.revoked_at.is_null()
        & (DeviceSession.expires_at > _now())
    )
    return {r["id"] for r in rows}


async def revoke(
    session_id: uuid.UUID, *, person_id: uuid.UUID | None = None, actor_id: uuid.UUID | None = None
) -> bool:
    """End one device session (only the person's own when person_id is given)."""
    where = (DeviceSession.id == session_id) & DeviceSession.revoked_at.is_null()
    if person_id is not None:
        where = where & (DeviceSession.person == person_id)
    async with db.current().write():
        found = await DeviceSession.exists().where(where)
        if found:
            await DeviceSession.update({DeviceSession.revoked_at: _now()}).where(where)
            await record_event(
                "auth.revoke", entity="device_session", record_id=str(session_id), actor_id=actor_id
            )
    return found


async def revoke_all(
    person_id: uuid.UUID, *, actor_id: uuid.UUID | None, keep: uuid.UUID | None = None
) -> int:
    """End every device session of the person (but `keep`, the one making the change)."""
    where = (DeviceSession.person == person_id) & DeviceSession.revoked_at.is_null()
    if keep is not None:
        where = where & (DeviceSession.id != keep)
    async with db.current().write():
        count = await DeviceSession.count().where(where)
        await DeviceSession.update({DeviceSession.revoked_at: _now()}).where(where)
        await record_event(
            "auth.revoke_all",
            entity="person",
            record_id=str(person_id),
            actor_id=actor_id,
            detail={"sessions": count},
        )
    return count


async def devices(person_id: uuid.UUID, current: uuid.UUID | None = None) -> list[Device]:
    rows = (
        await DeviceSession.select()
        .where(
            (DeviceSession.person == person_id)
            & DeviceSession.revoked_at.is_null()
            & (DeviceSession.expires_at > _now())
        )
        .order_by(DeviceSession.last_seen_at, ascending=False)
    )
    return [
        Device(r["id"], r["label"], r["ip"], r["created_at"], r["last_seen_at"], r["id"] == current)
        for r in rows
    ]


async def prune_attempts() -> None:
    """Worker job: failed logins older than the throttle window count for nothing."""
    async with db.current().write():
        await LoginAttempt.delete().where(LoginAttempt.at < _now() - THROTTLE_WINDOW * 2)
