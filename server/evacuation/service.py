"""Evacuations (转移): started from a warning, a call-up or by hand for danger zones; the
roster of households computed at the start and editable; the return home (返迁); closing.
(Marks are adapter.py, shelters shelters.py, the board board.py, escalation escalation.py.)"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.querystring import QueryString

from server import db, localtime
from server.auth.service import Viewer
from server.callups import service as callups
from server.callups import warnings
from server.callups.targets import levels_of
from server.db import as_json
from server.directory import service as directory
from server.directory.scope import under
from server.errors import DomainError, NotFound, StateConflict
from server.evacuation import planning, policy
from server.evacuation.kinds import EvacState, Mark
from server.evacuation.records import EvacRecord, RowRecord, ZoneRecord
from server.evacuation.tables import EvacEvent, EvacRow, Evacuation, Household, Shelter
from server.evacuation.trail import event, touch
from server.i18n import N_
from sync.batch import insert_rows

NOT_FOUND = N_("This evacuation does not exist, or you cannot see it.")
ROW_NOT_FOUND = N_("This household is not on a roster you answer for.")


@dataclass(frozen=True)
class Start:
    title: str
    zone_ids: list[uuid.UUID]
    warning_id: uuid.UUID | None = None
    callup_id: uuid.UUID | None = None
    drill: bool = False
    window_minutes: int = 30


@dataclass(frozen=True)
class Proposal:
    """What the start page offers: a title, and the viewer's zones with those the warning
    or call-up covers ticked."""

    title: str
    drill: bool
    zones: list[ZoneRecord]
    chosen: set[uuid.UUID]
    warning_id: uuid.UUID | None = None
    callup_id: uuid.UUID | None = None


async def proposal(
    viewer: Viewer, warning_id: uuid.UUID | None = None, callup_id: uuid.UUID | None = None
) -> Proposal:
    zones = await planning.zones_in(viewer.scope)
    title, drill, paths = "", False, []
    if warning_id is not None:
        w = await warnings.get(viewer, warning_id)
        title, drill, paths = w.headline, w.drill, [*w.area_paths, *w.reach_areas]
    elif callup_id is not None:
        c = await callups.get(viewer, callup_id)
        title, drill, paths = c.title, c.drill, list(c.area_paths)
    chosen = {z.id for z in zones if any(z.area_path.startswith(p) for p in paths)}
    return Proposal(title, drill, zones, chosen, warning_id, callup_id)


def check(viewer: Viewer, start: Start, zones: list[ZoneRecord]) -> str:
    """Why the start is refused (a message id), or ""."""
    if not start.title.strip() or len(start.title) > 120:
        return N_("Give the evacuation a title (at most 120 characters).")
    if not zones or len(zones) != len(set(start.zone_ids)):
        return N_("Choose at least one danger zone.")
    if not all(viewer.scope.covers_path(z.area_path) for z in zones):
        return N_("You can only start an evacuation in your own areas.")
    if not 1 <= start.window_minutes <= 1440:
        return N_("The window is between 1 and 1,440 minutes.")
    return ""


async def start(viewer: Viewer, s: Start, now: datetime | None = None) -> uuid.UUID:
    """The evacuation and its roster: every active household of the zones chosen, with its
    keeper as the post's holder is now; a special-needs household's clock starts now."""
    zones = list((await planning.zones_by_id(list(dict.fromkeys(s.zone_ids)))).values())
    if problem := check(viewer, s, zones):
        raise DomainError(problem)
    if busy := await _under_way([z.id for z in zones]):
        raise StateConflict(N_("%(zones)s: an evacuation is under way there already."), zones=busy)
    now = now or datetime.now(UTC)
    evacuation_id = uuid.uuid4()
    households = await Household.select().where(
        Household.zone_id.is_in([z.id for z in zones]) & Household.active.eq(True)
    )
    keepers = await directory.holders_of_posts(
        [h["keeper_post_id"] for h in households if h["keeper_post_id"]]
    )
    due = now + timedelta(minutes=s.window_minutes)
    rows = [_row(evacuation_id, h, keepers.get(h["keeper_post_id"]), due) for h in households]
    database = db.current()
    async with database.write():
        await database.serialize("evacuation_code")
        today = await Evacuation.count().where(Evacuation.started_at >= localtime.start_of_day(now))
        await Evacuation.insert(
            Evacuation(
                id=evacuation_id,
                code=localtime.day_number("ZY", today, now),
                title=s.title.strip()[:120],
                warning_id=s.warning_id,
                callup_id=s.callup_id,
                drill=s.drill,
                zone_ids=[str(z.id) for z in zones],
                area_paths=sorted({z.area_path for z in zones}),
                window_minutes=s.window_minutes,
                started_by=viewer.person_id,
                started_at=now,
            )
        )
        for at in range(0, len(rows), 1000):
            await insert_rows(EvacRow, rows[at : at + 1000])
        # the shelters planned for its zones open (a drill opens them too: it is practised)
        planned = list({s for z in zones for s in z.shelter_ids})
        if planned:
            await Shelter.update({Shelter.open: True}).where(Shelter.id.is_in(planned))
        await event(
            evacuation_id, None, "started", viewer.person_id, {"households": len(rows)}, now
        )
    return evacuation_id


def _row(
    evacuation_id: uuid.UUID,
    household: dict[str, Any],
    keeper_id: uuid.UUID | None,
    due: datetime,
) -> dict[str, Any]:
    town, village = levels_of(household["area_path"])
    return {
        "id": uuid.uuid4(),
        "evacuation_id": evacuation_id,
        "household_id": household["id"],
        "zone_id": household["zone_id"],
        "area_path": household["area_path"],
        "village_path": village,
        "town_path": town,
        "people": household["people"],
        "special": household["special"],
        "keeper_id": keeper_id,
        "next_at": due if household["special"] else None,
    }


async def _under_way(zone_ids: list[uuid.UUID]) -> str:
    """The names of these zones that an active evacuation covers already ("" when none): a
    household is on one active roster at a time (marks and check-ins find it by its code)."""
    active = await Evacuation.select(Evacuation.zone_ids).where(
        Evacuation.state == EvacState.active.value
    )
    taken = {uuid.UUID(str(z)) for row in active for z in as_json(row["zone_ids"]) or []}
    busy = [z for z in zone_ids if z in taken]
    names = await planning.zones_by_id(busy)
    return "、".join(names[z].name for z in busy if z in names)


async def load(evacuation_id: uuid.UUID) -> EvacRecord:
    row = await Evacuation.select().where(Evacuation.id == evacuation_id).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return EvacRecord.from_row(row)


async def get(viewer: Viewer, evacuation_id: uuid.UUID) -> EvacRecord:
    """An evacuation the viewer watches or has households on."""
    evacuation = await load(evacuation_id)
    if policy.can_watch(viewer, evacuation) or await _mine_where(viewer, evacuation_id):
        return evacuation
    raise NotFound(NOT_FOUND)


async def watchable(viewer: Viewer, evacuation_id: uuid.UUID) -> EvacRecord:
    evacuation = await load(evacuation_id)
    if not policy.can_watch(viewer, evacuation):
        raise NotFound(NOT_FOUND)
    return evacuation


def _answered_by(viewer: Viewer) -> Any:
    """The roster rows the viewer answers for, as a WHERE clause."""
    if viewer.scope.everything:
        return EvacRow.id.is_not_null()
    clause = EvacRow.keeper_id == viewer.person_id
    for prefix in policy.area_prefixes(viewer):
        clause = clause | under(EvacRow.area_path, prefix)
    return clause


async def _mine_where(viewer: Viewer, evacuation_id: uuid.UUID) -> bool:
    found = (
        await EvacRow.select(EvacRow.id)
        .where((EvacRow.evacuation_id == evacuation_id) & _answered_by(viewer))
        .first()
    )
    return found is not None


async def listing(viewer: Viewer, limit: int = 50) -> list[EvacRecord]:
    """Recent evacuations the viewer watches, newest first."""
    rows = await Evacuation.select().order_by(Evacuation.started_at, ascending=False).limit(500)
    found = [EvacRecord.from_row(r) for r in rows]
    return [e for e in found if policy.can_watch(viewer, e)][:limit]


async def under_way(viewer: Viewer) -> list[EvacRecord]:
    """Evacuations not closed that the viewer watches (the home of staff)."""
    rows = await Evacuation.select().where(Evacuation.state != EvacState.closed.value)
    return [e for e in map(EvacRecord.from_row, rows) if policy.can_watch(viewer, e)]


@dataclass(frozen=True)
class Task:
    """An evacuation seen from the field: how many of my households are still to mark."""

    evacuation: EvacRecord
    households: int
    unmarked: int
    special_unmarked: int


async def tasks(viewer: Viewer) -> list[Task]:
    """Active evacuations with households the viewer answers for (the home's first card):
    one grouped query over the rows, whatever the number of evacuations under way."""
    active = Evacuation.select(Evacuation.id).where(Evacuation.state == EvacState.active.value)
    counts = (
        await EvacRow.select(
            EvacRow.evacuation_id,
            QueryString("COUNT(*)", alias="households"),
            QueryString("SUM(CASE WHEN mark = '' THEN 1 ELSE 0 END)", alias="unmarked"),
            QueryString("SUM(CASE WHEN mark = '' AND special THEN 1 ELSE 0 END)", alias="special"),
        )
        .where(
            EvacRow.evacuation_id.is_in(active) & EvacRow.removed.eq(False) & _answered_by(viewer)
        )
        .group_by(EvacRow.evacuation_id)
    )
    if not counts:
        return []
    evacuations = await Evacuation.select().where(
        Evacuation.id.is_in([c["evacuation_id"] for c in counts])
    )
    by_id = {e["id"]: EvacRecord.from_row(e) for e in evacuations}
    return [
        Task(by_id[c["evacuation_id"]], c["households"], int(c["unmarked"] or 0),
             int(c["special"] or 0))
        for c in counts
        if c["evacuation_id"] in by_id
    ]  # fmt: skip


async def with_households(rows: list[dict[str, Any]]) -> list[RowRecord]:
    households = {
        h["id"]: h
        for h in await Household.select(
            Household.id, Household.code, Household.head_name, Household.mobile, Household.address
        ).where(Household.id.is_in([r["household_id"] for r in rows] or [uuid.uuid4()]))
    }
    out = []
    for r in rows:
        h = households.get(r["household_id"], {})
        out.append(
            RowRecord.from_row(
                {**r, **{k: h.get(k, "") for k in ("code", "head_name", "mobile", "address")}}
            )
        )
    return out


async def my_rows(viewer: Viewer, evacuation: EvacRecord) -> list[RowRecord]:
    """The households the viewer answers for: special needs first, unmarked first."""
    rows = await EvacRow.select().where(
        (EvacRow.evacuation_id == evacuation.id) & EvacRow.removed.eq(False) & _answered_by(viewer)
    )
    found = await with_households(rows)
    found.sort(key=lambda r: (bool(r.mark), not r.special, r.area_path, r.code))
    return found


async def row_for(viewer: Viewer, row_id: uuid.UUID) -> tuple[EvacRecord, RowRecord]:
    """A roster row the viewer answers for (404 otherwise: residents' data is theirs only)."""
    row = await EvacRow.select().where(EvacRow.id == row_id).first()
    if row is None or not policy.answers_for(viewer, row["area_path"], row["keeper_id"]):
        raise NotFound(ROW_NOT_FOUND)
    [record] = await with_households([row])
    return await load(row["evacuation_id"]), record


async def remove_row(viewer: Viewer, row_id: uuid.UUID, reason: str) -> uuid.UUID:
    """Staff take a household off the roster (moved away, empty house): kept, with why."""
    row = await EvacRow.select().where(EvacRow.id == row_id).first()
    if row is None:
        raise NotFound(ROW_NOT_FOUND)
    evacuation = await watchable(viewer, row["evacuation_id"])
    if not reason.strip():
        raise DomainError(N_("Say why the household is taken off the roster."))
    async with db.current().write():
        await EvacRow.update({EvacRow.removed: True, EvacRow.next_at: None}).where(
            EvacRow.id == row_id
        )
        await event(evacuation.id, row_id, "removed", viewer.person_id, {"reason": reason[:300]})
        await touch(evacuation.id)
    return evacuation.id


async def begin_return(viewer: Viewer | None, evacuation_id: uuid.UUID) -> None:
    """The danger is over (the warning lifted, or staff say so): people go home (返迁);
    escalation stops; shelters check their people out."""
    evacuation = await (watchable(viewer, evacuation_id) if viewer else load(evacuation_id))
    if evacuation.state is not EvacState.active:
        raise StateConflict(N_("This evacuation is not under way."))
    now = datetime.now(UTC)
    async with db.current().write():
        await Evacuation.update(
            {Evacuation.state: EvacState.returning.value, Evacuation.returning_at: now}
        ).where(Evacuation.id == evacuation_id)
        await EvacRow.update({EvacRow.next_at: None}).where(
            (EvacRow.evacuation_id == evacuation_id) & EvacRow.next_at.is_not_null()
        )
        await event(evacuation_id, None, "returning", viewer.person_id if viewer else None)
        await touch(evacuation_id)


async def close(viewer: Viewer, evacuation_id: uuid.UUID) -> None:
    evacuation = await watchable(viewer, evacuation_id)
    if evacuation.state is EvacState.closed:
        raise StateConflict(N_("This evacuation is closed already."))
    now = datetime.now(UTC)
    async with db.current().write():
        await Evacuation.update(
            {Evacuation.state: EvacState.closed.value, Evacuation.closed_at: now}
        ).where(Evacuation.id == evacuation_id)
        await EvacRow.update({EvacRow.next_at: None}).where(EvacRow.evacuation_id == evacuation_id)
        await event(evacuation_id, None, "closed", viewer.person_id)
        await touch(evacuation_id)


async def lifted_warnings() -> int:
    """Evacuations started from a warning that has since been lifted (解除: a CAP Cancel of its
    chain, or staff lifting it) turn to the return home by themselves (run by the worker with
    escalation). A warning past its valid_to is not lifted: people stay until told."""
    active = await Evacuation.select(Evacuation.id, Evacuation.warning_id).where(
        (Evacuation.state == EvacState.active.value) & Evacuation.warning_id.is_not_null()
    )
    lifted = await warnings.lifted([row["warning_id"] for row in active])
    turned = [row["id"] for row in active if row["warning_id"] in lifted]
    for evacuation_id in turned:
        await begin_return(None, evacuation_id)
    return len(turned)


async def trail_of(row_id: uuid.UUID) -> list[dict[str, Any]]:
    """A household's trail in this evacuation, oldest first: every mark (the ones that lost
    too), check-in and check-out, each escalation, with who did it."""
    events = await EvacEvent.select().where(EvacEvent.row_id == row_id).order_by(EvacEvent.at)
    names = await directory.person_names([e["actor_id"] for e in events if e["actor_id"]])
    found = []
    for e in events:
        detail = as_json(e["detail"]) or {}
        mark = detail.get("mark", "")
        label = Mark(mark).label if mark in Mark.__members__ else ""
        found.append(
            {**e, "detail": detail, "actor": names.get(e["actor_id"], ""), "mark_label": label}
        )
    return found
