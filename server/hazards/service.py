"""The hazards domain's service: reading hazards (always through the viewer's scope) and
every write to one (`report`, `act`), which is a sync mutation applied through the unit of
work: route -> here -> syncing.apply_group -> sync/store.apply -> sync/merge."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from piccolo.columns.combination import Combinable

from server import db, localtime
from server.audit.service import record_event
from server.auth.access import STAFF
from server.auth.service import Viewer
from server.db import as_json
from server.directory.records import Page
from server.directory.scope import all_of, under
from server.errors import DomainError, NotFound
from server.geo import distance_m
from server.hazards.categories import SEED
from server.hazards.policy import OPEN, OPS, Status
from server.hazards.records import Category, EventRecord, Filters, HazardRecord
from server.hazards.tables import Hazard, HazardCategory, HazardEvent, HazardNotice
from server.i18n import N_, gettext, language
from server.syncing import service as syncing
from sync.store import Result

HAZARD_NOT_FOUND = N_("This hazard does not exist, or you cannot see it.")
PER_PAGE = 30


async def seed_categories() -> int:
    """The field's own category tree, added once (staff may add more and retire any)."""
    have = {r["code"] for r in await HazardCategory.select(HazardCategory.code)}
    rows = []
    for position, (code, name, name_en, children) in enumerate(SEED):
        rows.append(HazardCategory(code=code, name=name, name_en=name_en, position=position))
        rows += [
            HazardCategory(code=c, name=n, name_en=e, parent=code, position=i)
            for i, (c, n, e) in enumerate(children)
        ]
    new = [r for r in rows if r.code not in have]
    if new:
        await HazardCategory.insert(*new)
    return len(new)


async def categories(*, active_only: bool = True) -> list[Category]:
    query = (
        HazardCategory.select().order_by(HazardCategory.parent).order_by(HazardCategory.position)
    )
    if active_only:
        query = query.where(HazardCategory.active.eq(True))
    rows = await query
    tops = [r for r in rows if not r["parent"]]
    ordered = []
    for top in sorted(tops, key=lambda r: r["position"]):
        ordered.append(top)
        ordered += [r for r in rows if r["parent"] == top["code"]]
    return [Category(r["code"], r["name"], r["name_en"], r["parent"], r["active"]) for r in ordered]


def category_label(category: Category) -> str:
    return category.name_en if language() == "en" and category.name_en else category.name


async def category_names() -> dict[str, str]:
    return {c.code: category_label(c) for c in await categories(active_only=False)}


def where_of(
    viewer: Viewer, filters: Filters, today: date, *, covered: bool = False
) -> Combinable | None:
    """The hazards a ledger query means, of those the viewer sees. `covered`: the caller
    knows the viewer sees every hazard of `filters.area` (indexes then serve alone)."""
    category = filters.category
    return all_of(
        None if covered else _visible(viewer),
        under(Hazard.area_path, filters.area) if filters.area else None,
        (Hazard.category == category) | Hazard.category.like(category + ".%") if category else None,
        (Hazard.level == filters.level) if filters.level else None,
        Hazard.status.is_in([s.value for s in OPEN])
        if filters.status == "open"
        else (Hazard.status == filters.status)
        if filters.status
        else None,
        (Hazard.status.is_in([Status.accepted.value, Status.assigned.value]))
        & (Hazard.deadline < today)
        if filters.overdue
        else None,
        (Hazard.reported_at >= _start_of(filters.since)) if filters.since else None,
        (Hazard.reported_at < _start_of(filters.until + timedelta(days=1)))
        if filters.until
        else None,
        ((Hazard.reporter_id == viewer.person_id) | (Hazard.assignee_id == viewer.person_id))
        if filters.mine
        else None,
        (Hazard.supervised_level != "") if filters.supervised else None,
        Hazard.department_id.is_not_null() if filters.transferred else None,
        (Hazard.status == Status.closed.value) & (Hazard.recheck_due <= today)
        if filters.recheck
        else None,
        (Hazard.code == filters.q.upper()) | Hazard.address.like(f"%{filters.q}%")
        if filters.q
        else None,
    )


ZONE = localtime.ZONE


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, ZONE).astimezone(UTC)


def today_local(now: datetime | None = None) -> date:
    return localtime.today(now)


@dataclass(frozen=True)
class Waiting:
    """A kind of job waiting for the viewer among hazards (the home's 今日 list)."""

    label: str
    count: int
    #: the list that shows them
    url: str


async def waiting_for(viewer: Viewer) -> list[Waiting]:
    """What needs the viewer now, each with its count and its list, only where there is
    something: staff triage new reports, verify rectifications and chase overdue ones; the
    person a hazard is assigned to rectifies it."""
    today = today_local()
    jobs: list[tuple[str, Combinable | None, str]] = []
    verify = (
        N_("Rectified, to verify"),
        where_of(viewer, Filters(status="rectified"), today),
        "/hazards?status=rectified",
    )
    if viewer.kinds & STAFF:
        jobs += [
            (
                N_("New reports to triage"),
                where_of(viewer, Filters(status="reported"), today),
                "/hazards?status=reported",
            ),
            verify,
            (N_("Overdue"), where_of(viewer, Filters(overdue=True), today), "/hazards?overdue=1"),
        ]
    if viewer.scope.department_ids:  # a department's staff: what was transferred to them
        jobs.append(
            (
                N_("Transferred to my department, to accept"),
                where_of(viewer, Filters(status="transferred"), today),
                "/hazards?status=transferred",
            )
        )
        if not viewer.kinds & STAFF:
            jobs.append(verify)
    jobs.append(
        (
            N_("Re-checks due (回头看)"),
            where_of(viewer, Filters(recheck=True), today),
            "/hazards?recheck=1",
        )
    )
    mine = (Hazard.status == Status.assigned.value) & (Hazard.assignee_id == viewer.person_id)
    jobs.append(
        (
            N_("Assigned to me, to rectify"),
            all_of(_visible(viewer), mine),
            "/hazards?status=assigned&mine=1",
        )
    )
    found = []
    for label, where, url in jobs:
        count = await (Hazard.count().where(where) if where is not None else Hazard.count())
        if count:
            found.append(Waiting(gettext(label), count, url))
    return found


#: a ledger counts its rows up to this many ("10000+" beyond): a year of a city's history is
#: not counted again on every page
COUNT_CAP = 10_000

Cursor = tuple[datetime, uuid.UUID]


async def ledger(
    viewer: Viewer, filters: Filters, *, page: int = 1, after: str = "", per_page: int = PER_PAGE
) -> Page[HazardRecord]:
    """A page of the ledger, newest first. "Next" carries a keyset cursor (`after`), so a
    deep page costs what the first does; a page number alone (a shared link, "previous")
    is read by offset, no deeper than the count's cap."""
    names = await category_names()
    where = where_of(viewer, filters, today_local())
    cursor = _cursor(after)
    number = max(1, min(page, COUNT_CAP // per_page))
    query = Hazard.select().order_by(Hazard.reported_at, Hazard.id, ascending=False)
    page_where = all_of(where, _older_than(cursor))
    if page_where is not None:
        query = query.where(page_where)
    if cursor is None:
        query = query.offset((number - 1) * per_page)
    rows = await query.limit(per_page)
    total = await capped_count(where, COUNT_CAP)
    return Page(
        [HazardRecord.from_row(r, names) for r in rows],
        number,
        per_page,
        max(total, (number - 1) * per_page + len(rows)),
        capped=total >= COUNT_CAP,
        after=f"{rows[-1]['reported_at'].isoformat()}~{rows[-1]['id']}"
        if len(rows) == per_page
        else "",
    )


async def capped_count(where: Combinable | None, cap: int) -> int:
    """How many hazards match, counted no further than `cap`."""
    inner = Hazard.select(Hazard.id).limit(cap)
    if where is not None:
        inner = inner.where(where)
    rows = await Hazard.raw("SELECT COUNT(*) AS n FROM ({}) AS capped", inner.querystrings[0])
    return int(rows[0]["n"])


def _cursor(after: str) -> Cursor | None:
    """ "2026-12-05T08:00:00+00:00~<uuid>" (what `ledger` hands out); anything else: none."""
    when, _, record_id = after.partition("~")
    try:
        return datetime.fromisoformat(when), uuid.UUID(record_id)
    except ValueError:
        return None


def _older_than(cursor: Cursor | None) -> Combinable | None:
    if cursor is None:
        return None
    return (Hazard.reported_at < cursor[0]) | (
        (Hazard.reported_at == cursor[0]) & (Hazard.id < cursor[1])
    )


async def ledger_batches(
    viewer: Viewer, filters: Filters, batch: int = 2000
) -> AsyncIterator[list[HazardRecord]]:
    """Every row of a ledger, newest first, in batches by keyset (memory stays flat)."""
    names = await category_names()
    where = where_of(viewer, filters, today_local())
    cursor: Cursor | None = None
    while True:
        query = Hazard.select().order_by(Hazard.reported_at, Hazard.id, ascending=False)
        page_where = all_of(where, _older_than(cursor))
        if page_where is not None:
            query = query.where(page_where)
        rows = await query.limit(batch)
        if not rows:
            return
        yield [HazardRecord.from_row(r, names) for r in rows]
        cursor = (rows[-1]["reported_at"], rows[-1]["id"])
        if len(rows) < batch:
            return


def _visible(viewer: Viewer) -> Combinable | None:
    """Hazards the viewer sees: in their areas, at their places, or assigned to them."""
    return viewer.scope.where(
        Hazard.area_path,
        place_column=Hazard.place_id,
        assignee_column=Hazard.assignee_id,
        department_column=Hazard.department_id,
    )


async def get(viewer: Viewer, hazard_id: uuid.UUID) -> HazardRecord:
    where = all_of(Hazard.id == hazard_id, _visible(viewer))
    row = await Hazard.select().where(where).first()
    if row is None:
        raise NotFound(HAZARD_NOT_FOUND)
    return HazardRecord.from_row(row, await category_names())


async def by_code(viewer: Viewer, code: str) -> uuid.UUID | None:
    """The id of the hazard with this number, if the viewer sees it."""
    where = all_of(Hazard.code == code[:24], _visible(viewer))
    row = await Hazard.select(Hazard.id).where(where).first()
    return row["id"] if row else None


@dataclass(frozen=True)
class HazardOutcome:
    """Where a hazard ended up, for someone outside who follows it (a tip-off's reporter):
    a merged hazard's outcome is the one it was merged into."""

    id: uuid.UUID
    code: str
    status: Status
    closed_at: datetime | None


#: merges followed at most (a duplicate of a duplicate of ...)
MAX_MERGE_STEPS = 10


async def report(viewer: Viewer, mutation: dict[str, Any]) -> Result:
    """A new hazard: the op "report" as a phone's outbox or the report form makes it (an
    envelope: `syncing.forms.envelope`). Who may report where is the adapter's `refuse`."""
    if mutation.get("op") != "report" or mutation.get("entity") != "hazard":
        raise DomainError(N_("This action is not known."))
    return await syncing.submit(mutation, viewer)


async def act(viewer: Viewer, hazard_id: uuid.UUID, mutation: dict[str, Any]) -> Result:
    """Any action on a hazard (accept, assign, rectify, verify…), as the mutation of its op;
    the policy (`policy.OPS`) and the adapter judge it, scope included, on the hazard as
    stored (a page reads the hazard through `get` first, for its 404)."""
    op = mutation.get("op")
    if op not in OPS or op == "report" or mutation.get("record_id") != str(hazard_id):
        raise NotFound()
    return await syncing.submit(mutation, viewer)


async def outcomes(hazard_ids: list[Any]) -> dict[uuid.UUID, HazardOutcome]:
    """Each hazard's outcome, following merges: one query per step along the chains for
    all of them together (a tip-off list, an Open311 page of a thousand requests)."""
    found: dict[uuid.UUID, HazardOutcome] = {}
    #: hazard to look at -> the hazards whose outcome it is
    looking: dict[uuid.UUID, set[uuid.UUID]] = {}
    for start in {h for h in hazard_ids if h}:
        looking.setdefault(start, set()).add(start)
    for _step in range(MAX_MERGE_STEPS):  # a chain is a few links; a cycle must not spin
        if not looking:
            break
        rows = await Hazard.select(
            Hazard.id, Hazard.code, Hazard.status, Hazard.closed_at, Hazard.merged_into
        ).where(Hazard.id.is_in(list(looking)))
        following: dict[uuid.UUID, set[uuid.UUID]] = {}
        for row in rows:
            starts = looking[row["id"]]
            target = row["merged_into"]
            if row["status"] == Status.merged.value and target:
                following.setdefault(target, set()).update(starts)
                continue
            outcome = HazardOutcome(row["id"], row["code"], Status(row["status"]), row["closed_at"])
            found.update(dict.fromkeys(starts, outcome))
        looking = following
    return found


async def timeline(hazard_id: uuid.UUID) -> list[EventRecord]:
    rows = (
        await HazardEvent.select()
        .where(HazardEvent.hazard_id == hazard_id)
        .order_by(HazardEvent.seq)
        .order_by(HazardEvent.id)
    )
    return [EventRecord.from_row(r) for r in rows]


async def nearby(
    viewer: Viewer, category: str, lat: float, lng: float, radius_m: float, limit: int = 5
) -> list[tuple[HazardRecord, int]]:
    """Open hazards of the same category within `radius_m`, nearest first: before a grid
    member files a duplicate, "是这一条吗?"."""
    dlat = radius_m / 111_320
    dlng = radius_m / (111_320 * max(0.01, math.cos(math.radians(lat))))
    where = all_of(
        where_of(viewer, Filters(category=category, status="open"), today_local()),
        Hazard.lat.is_not_null(),
        (Hazard.lat >= lat - dlat) & (Hazard.lat <= lat + dlat),
        (Hazard.lng >= lng - dlng) & (Hazard.lng <= lng + dlng),
    )
    rows = await Hazard.select().where(where).limit(200)
    names = await category_names()
    found = [(r, round(distance_m(lat, lng, r["lat"], r["lng"]))) for r in rows]
    close = sorted((pair for pair in found if pair[1] <= radius_m), key=lambda pair: pair[1])
    return [(HazardRecord.from_row(r, names), d) for r, d in close[:limit]]


async def notices(viewer: Viewer, limit: int = 50) -> list[dict[str, Any]]:
    rows = (
        await HazardNotice.select(
            HazardNotice.all_columns(),
        )
        .where(HazardNotice.person_id == viewer.person_id)
        .order_by(HazardNotice.created_at, ascending=False)
        .limit(limit)
    )
    ids = list({r["hazard_id"] for r in rows})
    codes = {
        h["id"]: h
        for h in (
            await Hazard.select(Hazard.id, Hazard.code, Hazard.address, Hazard.deadline).where(
                Hazard.id.is_in(ids)
            )
            if ids
            else []
        )
    }
    return [{**r, "hazard": codes.get(r["hazard_id"])} for r in rows]


async def unread_notices(viewer: Viewer) -> int:
    return await HazardNotice.count().where(
        (HazardNotice.person_id == viewer.person_id) & HazardNotice.read.eq(False)
    )


async def mark_read(viewer: Viewer) -> None:
    """The inbox was seen: written only when something was unread (a page view is a read)."""
    unread = (HazardNotice.person_id == viewer.person_id) & HazardNotice.read.eq(False)
    if not await HazardNotice.exists().where(unread):
        return
    async with db.current().write():
        await HazardNotice.update({HazardNotice.read: True}).where(unread)


CATEGORY_CODE = re.compile(r"^[a-z][a-z_]{0,18}(\.[a-z][a-z_]{0,18})?$")


async def add_category(
    actor: Viewer, code: str, name: str, name_en: str = "", parent: str = ""
) -> Category:
    """A new category (staff's own list grows with the field); the code never changes."""
    code, name, name_en = code.strip().lower(), name.strip()[:60], name_en.strip()[:80]
    if parent:
        code = f"{parent}.{code.split('.')[-1]}"
    if not CATEGORY_CODE.match(code) or not name:
        raise DomainError(N_("A category needs a code of lowercase letters and a name."))
    if parent and not await HazardCategory.exists().where(HazardCategory.code == parent):
        raise DomainError(N_("The parent category does not exist."))
    database = db.current()
    async with database.write():
        if await HazardCategory.exists().where(HazardCategory.code == code):
            raise DomainError(N_("A category with this code exists already."))
        position = await HazardCategory.count().where(HazardCategory.parent == parent)
        await HazardCategory.insert(
            HazardCategory(code=code, name=name, name_en=name_en, parent=parent, position=position)
        )
        await record_event(
            "hazard_category.add",
            entity="hazard_category",
            record_id=code,
            actor_id=actor.person_id,
            detail={"name": name, "parent": parent},
        )
    return Category(code, name, name_en, parent, True)


async def set_category_active(actor: Viewer, code: str, active: bool) -> None:
    """Retire a category (or bring it back): old hazards keep it, new reports cannot pick it."""
    database = db.current()
    async with database.write():
        if not await HazardCategory.exists().where(HazardCategory.code == code):
            raise NotFound(N_("This category does not exist."))
        await HazardCategory.update({HazardCategory.active: active}).where(
            HazardCategory.code == code
        )
        await record_event(
            "hazard_category.active" if active else "hazard_category.retire",
            entity="hazard_category",
            record_id=code,
            actor_id=actor.person_id,
        )


async def published_notices(limit: int = 200) -> list[dict[str, Any]]:
    """Supervision notices published by today (公开挂牌督办): number, category, address,
    the time limit, and whether delisted; nothing about the people involved."""
    today = today_local().isoformat()
    rows = (
        await Hazard.select(
            Hazard.id,
            Hazard.supervision_no,
            Hazard.supervision,
            Hazard.category,
            Hazard.address,
            Hazard.place_name,
            Hazard.status,
            Hazard.delisted_on,
        )
        .where(Hazard.supervision_no != "")
        .order_by(Hazard.reported_at, ascending=False)
        .limit(limit * 2)
    )
    names = await category_names()
    found = []
    for row in rows:
        supervision = as_json(row["supervision"]) or {}
        published = supervision.get("published_on") or ""
        if not published or published > today:
            continue
        found.append(
            {
                "number": row["supervision_no"],
                "category": names.get(row["category"], row["category"]),
                "where": row["place_name"] or row["address"],
                "time_limit": supervision.get("deadline", ""),
                "published_on": published,
                "delisted_on": row["delisted_on"],
            }
        )
    found.sort(key=lambda n: n["published_on"], reverse=True)
    return found[:limit]
