"""Tip-offs: taking one from a resident (checked, limited, stored whole or not at all), what
its tracking code shows, and the staff's handling: accept into a new hazard or join one,
reject with a reason, reply; 办结 (resolved) once the linked hazard is closed and the reporter
has a reply."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from server import db, localtime
from server.auth.access import BUREAU, STAFF
from server.auth.service import Viewer
from server.db import as_json
from server.directory import service as directory
from server.errors import DomainError, NotFound
from server.i18n import N_, gettext
from server.media.clean import PhotoRefused, without_metadata
from server.media.storage import MediaStore
from server.tipoffs import limits
from server.tipoffs.codes import new_code, normalize
from server.tipoffs.fields import Draft, FieldProblem
from server.tipoffs.tables import TipOff, TipOffEvent

NOT_FOUND = N_("No tip-off has this tracking code. Check the code and try again.")
STAFF_NOT_FOUND = N_("This tip-off does not exist, or it is not yours to handle.")
STATES = ("received", "accepted", "rejected", "resolved")
_STATE_LABELS = {
    "received": N_("Received, waiting to be handled"),
    "accepted": N_("Accepted"),
    "rejected": N_("Not accepted"),
    "resolved": N_("Resolved"),
}


def state_label(state: str) -> str:
    return gettext(_STATE_LABELS.get(state, state))


@dataclass(frozen=True)
class Stores:
    """Where photos go: the served copies (no metadata) and the originals, kept apart."""

    public: MediaStore
    originals: MediaStore


@dataclass(frozen=True)
class Receipt:
    id: uuid.UUID
    number: str
    code: str


def _photos(draft: Draft) -> list[tuple[bytes, bytes]]:
    """Each photo with its copy without metadata; the first bad one refuses the tip-off."""
    try:
        return [(data, without_metadata(data)) for data in draft.photos]
    except PhotoRefused as exc:
        raise FieldProblem("photos", str(exc)) from None


async def submit(
    draft: Draft,
    *,
    stores: Stores,
    rules: limits.Limits,
    secret: str,
    ip: str,
    source: str = "web",
    partner: str = "",
    media_url: str = "",
    submission_id: uuid.UUID | None = None,
) -> Receipt:
    """Store a tip-off, or refuse it with a reason having stored nothing of it. A submission
    sent again (its id known) is answered with the receipt it got the first time."""
    if submission_id and (known := await submitted(submission_id)):
        return known
    digest = limits.ip_hash(secret, ip) if ip else ""
    await limits.check_blocked(digest, draft.mobile, draft.description)
    # a first look at the limits before the photo work: a flood is refused cheaply (the
    # exact count is taken again below, inside the write)
    await limits.check_rates(rules, digest, draft.mobile, datetime.now(UTC))
    photos = await asyncio.to_thread(_photos, draft)
    grid = await directory.grid_at(draft.lat, draft.lng) if draft.lat is not None else None
    now = datetime.now(UTC)
    tipoff_id, code = uuid.uuid4(), new_code()
    database = db.current()
    async with database.write():
        await database.serialize("tipoff")
        if submission_id and (known := await submitted(submission_id)):
            return known  # the same form, sent twice at once
        await limits.check_rates(rules, digest, draft.mobile, now)
        refs = []
        for original, clean in photos:
            served = await asyncio.to_thread(stores.public.put, clean)
            kept = await asyncio.to_thread(stores.originals.put, original)
            refs.append({"id": served, "sha256": served, "original": kept})
        number = await insert(
            draft,
            now,
            id=tipoff_id,
            code=code,
            submission_id=submission_id,
            area_path=grid.path if grid else "",
            photos=refs,
            source=source,
            channel=source,  # web or open311: the channel is the way it came in
            partner=partner,
            media_url=media_url,
            ip_hash=digest,
            received_at=now,
            counted_from=now,
        )
    return Receipt(tipoff_id, number, code)


async def insert(draft: Draft, now: datetime, **columns: Any) -> str:
    """Store a new tip-off, numbered JB + the city's day + the day's count by the numbers
    already given (a tip-off entered today about a call of yesterday takes today's next
    number); the caller holds the "tipoff" lock. Its number."""
    day = f"JB{localtime.today(now):%Y%m%d}-"
    given = await TipOff.count().where((TipOff.number >= day) & (TipOff.number < day[:-1] + "."))
    number = localtime.day_number("JB", given, now)
    await TipOff.insert(
        TipOff(
            number=number,
            category=draft.category,
            description=draft.description,
            lat=draft.lat,
            lng=draft.lng,
            accuracy=draft.accuracy,
            address=draft.address,
            name=draft.name,
            mobile=draft.mobile,
            **columns,
        )
    )
    await event(
        columns["id"],
        "received",
        columns.get("entered_by"),
        {"source": columns["source"], "channel": columns["channel"]},
    )
    return number


async def submitted(submission_id: uuid.UUID) -> Receipt | None:
    row = (
        await TipOff.select(TipOff.id, TipOff.number, TipOff.code)
        .where(TipOff.submission_id == submission_id)
        .first()
    )
    return Receipt(row["id"], row["number"], row["code"]) if row else None


async def event(
    tipoff_id: uuid.UUID, kind: str, actor: uuid.UUID | None, detail: dict[str, Any]
) -> None:
    await TipOffEvent.insert(
        TipOffEvent(tipoff_id=tipoff_id, kind=kind, actor_id=actor, detail=detail)
    )


def _row(row: dict[str, Any]) -> dict[str, Any]:
    row["photos"] = as_json(row["photos"]) or []
    return row


async def by_code(typed: str) -> dict[str, Any]:
    """The tip-off a tracking code names (for its reporter: reply, state, reward)."""
    code = normalize(typed)
    row = await TipOff.select().where(TipOff.code == code).first() if code else None
    if row is None:
        raise NotFound(NOT_FOUND)
    return _row(row)


async def by_number(number: str) -> dict[str, Any] | None:
    row = await TipOff.select().where(TipOff.number == number.strip().upper()[:24]).first()
    return _row(row) if row else None


async def by_token(token: str) -> dict[str, Any] | None:
    """The tip-off an Open311 token names (the id given with its service_request_id)."""
    try:
        tipoff_id = uuid.UUID(token)
    except ValueError:
        return None
    row = await TipOff.select().where(TipOff.id == tipoff_id).first()
    return _row(row) if row else None


def handles(viewer: Viewer) -> bool:
    return bool(viewer.kinds & STAFF)


def _sees(viewer: Viewer, row: dict[str, Any]) -> bool:
    if not handles(viewer):
        return False
    if not row["area_path"]:
        return bool(viewer.kinds & BUREAU)
    return viewer.scope.covers_path(row["area_path"])


def where_for(viewer: Viewer) -> Any:
    """The tip-offs the viewer handles (None: all of them)."""
    scope = viewer.scope.where(TipOff.area_path)
    if scope is None:
        return None
    if viewer.kinds & BUREAU:
        return scope | (TipOff.area_path == "")
    return scope


def _where_state(viewer: Viewer, state: str, overdue: Any = None) -> Any:
    """`overdue`: a clause of channels.overdue_where, or None."""
    where = where_for(viewer)
    for extra in (TipOff.state == state if state in STATES else None, overdue):
        if extra is not None:
            where = extra if where is None else where & extra
    return where


async def listing(
    viewer: Viewer, state: str = "", limit: int = 100, *, overdue: Any = None
) -> list[dict[str, Any]]:
    """Tip-offs the viewer handles, newest first; `state` and `overdue` filter."""
    if not handles(viewer):
        return []
    query = TipOff.select().order_by(TipOff.received_at, ascending=False).limit(limit)
    where = _where_state(viewer, state, overdue)
    if where is not None:
        query = query.where(where)
    return [_row(r) for r in await query]


async def count(viewer: Viewer, state: str = "", *, overdue: Any = None) -> int:
    """How many tip-offs the viewer handles are in `state` (one COUNT, for the home)."""
    if not handles(viewer):
        return 0
    where = _where_state(viewer, state, overdue)
    return await (TipOff.count().where(where) if where is not None else TipOff.count())


async def get(viewer: Viewer, tipoff_id: uuid.UUID) -> dict[str, Any]:
    row = await TipOff.select().where(TipOff.id == tipoff_id).first()
    if row is None or not _sees(viewer, row):
        raise NotFound(STAFF_NOT_FOUND)
    return _row(row)


async def events(tipoff_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = (
        await TipOffEvent.select()
        .where(TipOffEvent.tipoff_id == tipoff_id)
        .order_by(TipOffEvent.at)
    )
    for row in rows:
        row["detail"] = as_json(row["detail"]) or {}
    return rows


def check_open(row: dict[str, Any]) -> None:
    if row["state"] != "received":
        raise DomainError(N_("This tip-off has already been handled."))
