"""Call-ups: drafted with a computed target list the issuer may edit, sent, watched, closed.
(Confirmations are answers.py; the timeline and the board's version are trail.py.)"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from server import db, localtime, wake
from server.auth.access import ON_DUTY
from server.auth.service import Viewer
from server.callups import targets as targeting
from server.callups import warnings
from server.callups.kinds import WarningLevel
from server.callups.records import CallupRecord, TargetRecord
from server.callups.tables import Callup, CallupEvent, CallupTarget
from server.callups.trail import event
from server.directory import holders
from server.directory import service as directory
from server.directory.kinds import PostKind
from server.errors import DomainError, NotFound, StateConflict
from server.i18n import N_, gettext
from server.notify.deliveries import Note, send_many
from server.settings import Settings
from sync.batch import insert_rows

NOT_FOUND = N_("This call-up does not exist, or you cannot see it.")
ANSWER_URL = "/callups/{}/answer"
#: windows by level when neither the issuer nor CALLUP_WINDOWS (the routes) say otherwise
DEFAULT_WINDOWS = dict(Settings.callup_windows)


@dataclass(frozen=True)
class Draft:
    title: str
    level: str
    area_paths: list[str]
    post_kinds: list[str]
    body: str = ""
    drill: bool = False
    window_minutes: int | None = None
    max_rounds: int = 3
    warning_id: uuid.UUID | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ShapeReach:
    """What a warning's polygons and circles reach, of what the viewer covers: areas (their
    own posts) and places; the call-up drafted from it calls them besides the areas chosen."""

    areas: list[str] = field(default_factory=list)
    places: list[uuid.UUID] = field(default_factory=list)
    #: the part of the warning's reach outside the viewer's areas (not called)
    beyond: int = 0


async def shape_reach(viewer: Viewer, warning_id: uuid.UUID | None) -> ShapeReach:
    if warning_id is None:
        return ShapeReach()
    try:
        warning = await warnings.get(viewer, warning_id)
    except NotFound:
        return ShapeReach()
    covered = viewer.scope.covers_path
    areas = [a for a in warning.reach_areas if covered(a)]
    grids = await directory.place_grids(warning.reach_places)
    places = [p for p in warning.reach_places if covered(grids.get(p, ""))]
    beyond = len(warning.reach_areas) - len(areas) + len(warning.reach_places) - len(places)
    return ShapeReach(areas, places, beyond)


def check(viewer: Viewer, draft: Draft, shapes: ShapeReach | None = None) -> dict[str, str]:
    """What is wrong with a draft, field by field (translated)."""
    errors = {}
    if not draft.title.strip() or len(draft.title) > 120:
        errors["title"] = gettext(N_("Give the call-up a title (at most 120 characters)."))
    if draft.level not in WarningLevel.__members__:
        errors["level"] = gettext(N_("Choose a level."))
    if not draft.area_paths and not (shapes and (shapes.areas or shapes.places)):
        errors["areas"] = gettext(N_("Choose at least one area."))
    elif not all(viewer.scope.covers_path(p) for p in draft.area_paths):
        errors["areas"] = gettext(N_("You can only call up people in your own areas."))
    if not draft.post_kinds or not set(draft.post_kinds) <= {k.value for k in targeting.CHOOSABLE}:
        errors["kinds"] = gettext(N_("Choose who is called up."))
    if draft.window_minutes is not None and not 1 <= draft.window_minutes <= 1440:
        errors["window"] = gettext(N_("The window is between 1 and 1,440 minutes."))
    if not 0 <= draft.max_rounds <= 10:
        errors["rounds"] = gettext(N_("Escalate between 0 and 10 times."))
    return errors


async def create(viewer: Viewer, draft: Draft, shapes: ShapeReach | None = None) -> uuid.UUID:
    """A draft call-up with its computed targets (not sent yet): everyone on duty under
    the areas chosen and, drafted from a warning, whom its shapes reach in the viewer's
    areas (the same rule as the warning's page); `shapes` when the caller has them."""
    if shapes is None:
        shapes = await shape_reach(viewer, draft.warning_id)
    if errors := check(viewer, draft, shapes):
        raise DomainError(next(iter(errors.values())))
    level = WarningLevel(draft.level)
    found = await holders.holders_in(
        draft.area_paths, draft.post_kinds, own=shapes.areas, places=shapes.places
    )
    callup_id = uuid.uuid4()
    now = datetime.now(UTC)
    database = db.current()
    async with database.write():
        await database.serialize("callup_code")
        # the number counts the city's day, not UTC's (08:00 in Shanghai is a new UTC day)
        today = await Callup.count().where(Callup.created_at >= localtime.start_of_day(now))
        await Callup.insert(
            Callup(
                id=callup_id,
                code=localtime.day_number("JY", today, now),
                warning_id=draft.warning_id,
                title=draft.title.strip()[:120],
                body=draft.body.strip()[:400],
                level=level.value,
                drill=draft.drill,
                window_minutes=draft.window_minutes or DEFAULT_WINDOWS[level.value],
                max_rounds=draft.max_rounds,
                # what it covers: the areas chosen and where those reached hold their posts
                area_paths=holders.outermost([*draft.area_paths, *(h.area_path for h in found)]),
                post_kinds=sorted(set(draft.post_kinds)),
                created_by=viewer.person_id,
            )
        )
        rows = [
            _target_row(callup_id, c.person_id, c.post_id, c.area_path, c.superior_id)
            for c in found
        ]
        for at in range(0, len(rows), 1000):
            await insert_rows(CallupTarget, rows[at : at + 1000])
    return callup_id


def _target_row(
    callup_id: uuid.UUID,
    person_id: uuid.UUID,
    post_id: uuid.UUID | None,
    area_path: str,
    superior_id: uuid.UUID | None,
    origin: str = "computed",
    standin_for: uuid.UUID | None = None,
) -> dict[str, Any]:
    town, village = targeting.levels_of(area_path)
    return {
        "id": uuid.uuid4(),
        "callup_id": callup_id,
        "person_id": person_id,
        "post_id": post_id,
        "area_path": area_path,
        "town_path": town,
        "village_path": village,
        "superior_id": superior_id,
        "origin": origin,
        "standin_for": standin_for,
    }


async def get(viewer: Viewer, callup_id: uuid.UUID) -> CallupRecord:
    """A call-up the viewer issued over, covers, or is a target of."""
    row = await Callup.select().where(Callup.id == callup_id).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    callup = CallupRecord.from_row(row)
    if not (can_watch(viewer, callup) or await target_of(viewer.person_id, callup_id)):
        raise NotFound(NOT_FOUND)
    return callup


def can_watch(viewer: Viewer, callup: CallupRecord) -> bool:
    """Issuers and duty officers whose scope covers every one of the call-up's areas: one's
    own area and below only. A town's staff does not watch, close or answer the bureau's
    city-wide call-up (its targets and their numbers lie outside the town); they are told of
    it as targets, or as the superior of a silent target."""
    return bool(viewer.kinds & ON_DUTY) and (
        viewer.scope.everything
        or (bool(callup.area_paths) and all(viewer.scope.covers_path(p) for p in callup.area_paths))
    )


def can_record(viewer: Viewer, callup: CallupRecord, target: dict[str, Any]) -> bool:
    """Staff may record an answer for a target they watch and whose area is theirs."""
    return can_watch(viewer, callup) and viewer.scope.covers_path(target["area_path"] or "/")


async def for_target(viewer: Viewer, target: dict[str, Any]) -> CallupRecord:
    """A target's call-up, for staff watching it, the target, and the superior told of it."""
    row = await Callup.select().where(Callup.id == target["callup_id"]).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    callup = CallupRecord.from_row(row)
    if can_watch(viewer, callup) or viewer.person_id in (
        target["person_id"],
        target["superior_id"],
    ):
        return callup
    raise NotFound(NOT_FOUND)


async def watchable(viewer: Viewer, callup_id: uuid.UUID) -> CallupRecord:
    callup = await get(viewer, callup_id)
    if not can_watch(viewer, callup):
        raise NotFound(NOT_FOUND)
    return callup


async def target_of(person_id: uuid.UUID, callup_id: uuid.UUID) -> dict[str, Any] | None:
    return (
        await CallupTarget.select()
        .where((CallupTarget.callup_id == callup_id) & (CallupTarget.person_id == person_id))
        .first()
    )


async def with_people(rows: list[dict[str, Any]]) -> list[TargetRecord]:
    """Target rows with their names and mobile numbers."""
    people = await directory.contacts([r["person_id"] for r in rows])
    return [
        TargetRecord.from_row(
            {
                **r,
                "name": people.get(r["person_id"], ("?", ""))[0],
                "mobile": people.get(r["person_id"], ("?", ""))[1],
            }
        )
        for r in rows
    ]


async def add_target(viewer: Viewer, callup_id: uuid.UUID, mobile: str) -> None:
    callup = await _draft(viewer, callup_id)
    person = await directory.person_by_mobile(mobile.strip())
    # only someone posted inside the viewer's area: a town's staff neither call up nor learn
    # of people elsewhere (the same answer whether the number exists or not)
    posts = [] if person is None else await directory.posts_of(person.id)
    inside = [p.area_path for p in posts if p.area_path and viewer.scope.covers_path(p.area_path)]
    if person is None or not person.active or not inside:
        raise DomainError(N_("No active person in your area has this mobile number."))
    if await target_of(person.id, callup.id):
        raise StateConflict(N_("This person is already called up."))
    path = inside[0]
    async with db.current().write():
        await insert_rows(
            CallupTarget, [_target_row(callup.id, person.id, None, path, None, "added")]
        )


async def remove_target(viewer: Viewer, callup_id: uuid.UUID, target_id: uuid.UUID) -> None:
    callup = await _draft(viewer, callup_id)
    async with db.current().write():
        await CallupTarget.delete().where(
            (CallupTarget.id == target_id) & (CallupTarget.callup_id == callup.id)
        )


async def _draft(viewer: Viewer, callup_id: uuid.UUID) -> CallupRecord:
    callup = await watchable(viewer, callup_id)
    if callup.state != "draft":
        raise StateConflict(N_("This call-up has been sent: its targets can no longer be edited."))
    return callup


def note_for(callup: CallupRecord, again: bool = False) -> Note:
    prefix = gettext(N_("[Drill] ")) if callup.drill else ""
    head = gettext(N_("Call-up again: ")) if again else gettext(N_("Flood-duty call-up: "))
    return Note(
        kind="callup",
        title=f"{prefix}{head}{callup.title}",
        body=gettext(
            N_("%(level)s warning. Confirm within %(minutes)s minutes."),
            level=callup.level.label,
            minutes=callup.window_minutes,
        )
        + (f" {callup.body}" if callup.body else ""),
        url=ANSWER_URL.format(callup.id),
        urgency="high",
        ttl=max(600, callup.window_minutes * 60 * (callup.max_rounds + 1)),
        topic=f"callup-{callup.code}",
        actions=({"action": "ack", "title": gettext(N_("Received"))},),
    )


async def send(viewer: Viewer, callup_id: uuid.UUID, now: datetime | None = None) -> int:
    """Send a draft: every target's clock starts now, in one short transaction; the worker
    queues the messages (`finish_sends`, woken at once where it runs in this process), so
    the request returns in a moment whatever the number of people and a web process that
    dies after it loses nothing. Returns how many were called up."""
    callup = await _draft(viewer, callup_id)
    now = now or datetime.now(UTC)
    due = now + timedelta(minutes=callup.window_minutes)
    database = db.current()
    async with database.write():
        sent = (
            await Callup.update(
                {
                    Callup.state: "sent",
                    Callup.issued_at: now,
                    Callup.issued_by: viewer.person_id,
                    Callup.version: Callup.version + 1,
                }
            )
            .where((Callup.id == callup_id) & (Callup.state == "draft"))
            .returning(Callup.id)
        )
        if not sent:
            raise StateConflict(N_("This call-up has been sent already."))
        await CallupTarget.update({CallupTarget.next_at: due, CallupTarget.called_at: now}).where(
            CallupTarget.callup_id == callup_id
        )
        people = [
            r["person_id"]
            for r in await CallupTarget.select(CallupTarget.person_id).where(
                CallupTarget.callup_id == callup_id
            )
        ]
        await event(callup_id, None, "sent", viewer.person_id, {"targets": len(people)}, now)
        db.after_commit(partial(wake.soon, "callups"))
    return len(people)


#: targets whose messages are queued in one transaction
QUEUE_CHUNK = 1000


async def queue_messages(callup: CallupRecord) -> int:
    """Queue the call-up's message for every target called but not yet queued, a chunk per
    transaction that also marks the chunk queued: a worker killed mid-send leaves the rest
    to the next pass of any worker, and nobody is queued twice (the chunks are taken one at
    a time under a lock). Each chunk wakes the delivery lane. Returns how many were queued
    here."""
    note = note_for(callup)
    database = db.current()
    queued = 0
    while True:
        async with database.write():
            await database.serialize("callup_queue")
            rows = (
                await CallupTarget.select(CallupTarget.id, CallupTarget.person_id)
                .where(
                    (CallupTarget.callup_id == callup.id)
                    & CallupTarget.called_at.is_not_null()
                    & CallupTarget.queued_at.is_null()
                )
                .limit(QUEUE_CHUNK)
            )
            if not rows:
                return queued
            await send_many([r["person_id"] for r in rows], note)
            await CallupTarget.update({CallupTarget.queued_at: datetime.now(UTC)}).where(
                CallupTarget.id.is_in([r["id"] for r in rows])
            )
            db.after_commit(partial(wake.soon, "delivery"))
        queued += len(rows)


async def finish_sends() -> int:
    """The worker's pass (every second, and at once after a send in this process): call-ups
    under way with targets called but not yet queued get their messages queued."""
    left = (
        await CallupTarget.select(CallupTarget.callup_id)
        .where(CallupTarget.queued_at.is_null() & CallupTarget.called_at.is_not_null())
        .distinct()
        .limit(20)
    )
    queued = 0
    for row in left:
        found = await Callup.select().where(Callup.id == row["callup_id"]).first()
        if found is not None and found["state"] == "sent":
            queued += await queue_messages(CallupRecord.from_row(found))
    return queued


async def close(viewer: Viewer, callup_id: uuid.UUID) -> None:
    callup = await watchable(viewer, callup_id)
    if callup.state != "sent":
        raise StateConflict(N_("Only a call-up under way can be closed."))
    now = datetime.now(UTC)
    async with db.current().write():
        await Callup.update(
            {Callup.state: "closed", Callup.closed_at: now, Callup.version: Callup.version + 1}
        ).where(Callup.id == callup_id)
        await CallupTarget.update({CallupTarget.next_at: None}).where(
            CallupTarget.callup_id == callup_id
        )
        await event(callup_id, None, "closed", viewer.person_id, {}, now)


async def mine(
    viewer: Viewer, *, confirmed: bool = False
) -> list[tuple[CallupRecord, TargetRecord]]:
    """The call-ups under way that the viewer has not confirmed (shown first on the phone),
    or, with `confirmed`, those under way that the viewer has confirmed (their state)."""
    answered = (
        CallupTarget.confirmed_at.is_not_null()
        if confirmed
        else CallupTarget.confirmed_at.is_null()
    )
    rows = await CallupTarget.select().where(
        (CallupTarget.person_id == viewer.person_id)
        & answered
        & CallupTarget.callup_id.is_in(Callup.select(Callup.id).where(Callup.state == "sent"))
    )
    if not rows:
        return []
    callups = {
        r["id"]: CallupRecord.from_row(r)
        for r in await Callup.select().where(Callup.id.is_in([r["callup_id"] for r in rows]))
    }
    return [(callups[t.callup_id], t) for t in await with_people(rows)]


@dataclass(frozen=True)
class LiveCallup:
    """A call-up under way as its watchers see it at a glance: confirmed of all reached."""

    callup: CallupRecord
    confirmed: int
    total: int


async def live(viewer: Viewer, limit: int = 10) -> list[LiveCallup]:
    """The call-ups under way that the viewer watches, newest first, with their counts."""
    rows = (
        await Callup.select()
        .where(Callup.state == "sent")
        .order_by(Callup.created_at, ascending=False)
        .limit(200)
    )
    watched = [c for c in (CallupRecord.from_row(r) for r in rows) if can_watch(viewer, c)][:limit]
    found = []
    for c in watched:
        total = await CallupTarget.count().where(CallupTarget.callup_id == c.id)
        confirmed = await CallupTarget.count().where(
            (CallupTarget.callup_id == c.id) & CallupTarget.confirmed_at.is_not_null()
        )
        found.append(LiveCallup(c, confirmed, total))
    return found


async def listing(viewer: Viewer, limit: int = 100) -> list[CallupRecord]:
    """Call-ups the viewer may watch, newest first."""
    rows = await Callup.select().order_by(Callup.created_at, ascending=False).limit(1000)
    found = [CallupRecord.from_row(r) for r in rows]
    return [c for c in found if can_watch(viewer, c)][:limit]


async def target_row(target_id: uuid.UUID) -> dict[str, Any]:
    row = await CallupTarget.select().where(CallupTarget.id == target_id).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


async def timeline(callup_id: uuid.UUID, target_id: uuid.UUID) -> list[dict[str, Any]]:
    """The target's events and the call-up's own (sent, closed), in time order."""
    return (
        await CallupEvent.select()
        .where(
            (CallupEvent.target_id == target_id)
            | ((CallupEvent.callup_id == callup_id) & CallupEvent.target_id.is_null())
        )
        .order_by(CallupEvent.at)
        .output(load_json=True)
    )


async def colleagues(target: dict[str, Any], limit: int = 30) -> list[dict[str, Any]]:
    """Who could stand in: people with flood or grid posts in the target's village (or town)."""
    town, village = targeting.levels_of(target["area_path"] or "/")
    path = village or town
    if not path:
        return []
    kinds = [*targeting.DEFAULT_KINDS, PostKind.grid_member.value]
    return await holders.stand_ins(path, kinds, besides=target["person_id"], limit=limit)
