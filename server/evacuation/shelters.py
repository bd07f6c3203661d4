"""Shelters during an evacuation: check-in and check-out by the manager's phone (from the
list of those on their way, or a typed or scanned household code), occupancy against
capacity, and the next planned shelter when one is full."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.querystring import QueryString

from server import db
from server.auth.access import ON_DUTY, STAFF
from server.auth.service import Viewer
from server.errors import DomainError, NotFound, StateConflict
from server.evacuation import planning
from server.evacuation.kinds import EvacState, Mark
from server.evacuation.records import RowRecord, ShelterRecord
from server.evacuation.service import with_households
from server.evacuation.tables import EvacRow, Evacuation, Household, Shelter
from server.evacuation.trail import event, touch
from server.i18n import N_

NOT_FOUND = N_("This shelter does not exist, or it is not yours.")
_INSIDE = EvacRow.checked_in_at.is_not_null() & EvacRow.checked_out_at.is_null()


async def occupancy(shelter_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """People inside each shelter now (the head count at check-in, else the household's)."""
    if not shelter_ids:
        return {}
    rows = (
        await EvacRow.select(
            EvacRow.checkin_shelter_id,
            QueryString("SUM(COALESCE(checkin_heads, people))", alias="inside"),
        )
        .where(EvacRow.checkin_shelter_id.is_in(shelter_ids) & _INSIDE)
        .group_by(EvacRow.checkin_shelter_id)
    )
    return {r["checkin_shelter_id"]: int(r["inside"] or 0) for r in rows}


async def with_occupancy(rows: list[dict[str, Any]]) -> list[ShelterRecord]:
    inside = await occupancy([r["id"] for r in rows])
    return [ShelterRecord.from_row(r, inside.get(r["id"], 0)) for r in rows]


def can_manage(viewer: Viewer, shelter: dict[str, Any]) -> bool:
    return shelter["manager_id"] == viewer.person_id or (
        bool(viewer.kinds & ON_DUTY) and viewer.scope.covers_path(shelter["area_path"])
    )


async def mine(viewer: Viewer) -> list[ShelterRecord]:
    """The shelters the viewer manages (the home's card for a shelter's manager)."""
    rows = await Shelter.select().where(Shelter.manager_id == viewer.person_id)
    return await with_occupancy(rows)


async def get(viewer: Viewer, shelter_id: uuid.UUID) -> ShelterRecord:
    row = await Shelter.select().where(Shelter.id == shelter_id).first()
    if row is None or not can_manage(viewer, row):
        raise NotFound(NOT_FOUND)
    [shelter] = await with_occupancy([row])
    return shelter


@dataclass(frozen=True)
class Door:
    """The shelter's page: who is inside, who is on the way, and where to send the next
    people when it is full."""

    shelter: ShelterRecord
    inside: list[RowRecord]
    coming: list[RowRecord]
    next_shelter: ShelterRecord | None


async def door(shelter: ShelterRecord) -> Door:
    live = Evacuation.select(Evacuation.id).where(Evacuation.state != EvacState.closed.value)
    inside = await EvacRow.select().where(
        (EvacRow.checkin_shelter_id == shelter.id) & _INSIDE & EvacRow.evacuation_id.is_in(live)
    )
    coming = await EvacRow.select().where(
        (EvacRow.shelter_id == shelter.id)
        & EvacRow.checked_in_at.is_null()
        & (EvacRow.mark == Mark.moved.value)
        & EvacRow.evacuation_id.is_in(live)
    )
    zone_ids = list({r["zone_id"] for r in [*inside, *coming]})
    return Door(
        shelter,
        await with_households(inside),
        await with_households(coming),
        await next_shelter(shelter, zone_ids) if shelter.full else None,
    )


async def next_shelter(full: ShelterRecord, zone_ids: list[uuid.UUID]) -> ShelterRecord | None:
    """The next shelter planned for these zones that has room (first choice first)."""
    planned: list[uuid.UUID] = []
    for zone in (await planning.zones_by_id(zone_ids)).values():
        planned += [s for s in zone.shelter_ids if s != full.id and s not in planned]
    if not planned:
        return None
    found = await Shelter.select().where(Shelter.id.is_in(planned) & Shelter.open.eq(True))
    rows = {r["id"]: r for r in found}
    for shelter in await with_occupancy([rows[s] for s in planned if s in rows]):
        if not shelter.full:
            return shelter
    return None


async def _row_by_code(code: str) -> dict[str, Any]:
    household = (
        await Household.select(Household.id).where(Household.code == code.strip().upper()).first()
    )
    if household is None:
        raise DomainError(N_("No household has this code."))
    active = Evacuation.select(Evacuation.id).where(Evacuation.state == EvacState.active.value)
    row = (
        await EvacRow.select()
        .where(
            (EvacRow.household_id == household["id"])
            & EvacRow.evacuation_id.is_in(active)
            & EvacRow.removed.eq(False)
        )
        .first()
    )
    if row is None:
        raise DomainError(N_("This household is not on the roster of an evacuation under way."))
    return row


async def check_in(
    viewer: Viewer, shelter_id: uuid.UUID, code: str, heads: int | None
) -> ShelterRecord:
    """A household arrives: it is inside this shelter (and, if nobody had marked it moved
    here, the check-in marks it so: arriving is the proof; a shelter not open yet opens: people
    are in it). Returns the shelter after."""
    shelter = await get(viewer, shelter_id)
    row = await _row_by_code(code)
    if row["checked_in_at"] is not None and row["checked_out_at"] is None:
        raise StateConflict(N_("This household is checked in already."))
    if heads is not None and not 0 < heads <= 200:
        raise DomainError(N_("The head count is between 1 and 200."))
    now = datetime.now(UTC)
    values: dict[Any, Any] = {
        EvacRow.checkin_shelter_id: shelter.id,
        EvacRow.checkin_heads: heads or row["heads"] or row["people"],
        EvacRow.checked_in_at: now,
        EvacRow.checked_out_at: None,
    }
    if row["mark"] != Mark.moved.value or row["shelter_id"] != shelter.id:
        values.update(
            {
                EvacRow.mark: Mark.moved.value,
                EvacRow.destination: "shelter",
                EvacRow.shelter_id: shelter.id,
                EvacRow.marked_at: now,
                EvacRow.marked_by: viewer.person_id,
                EvacRow.next_at: None,
            }
        )
    async with db.current().write():
        await EvacRow.update(values).where(EvacRow.id == row["id"])
        if not shelter.open:
            await Shelter.update({Shelter.open: True}).where(Shelter.id == shelter.id)
        detail = {"shelter": shelter.name, "heads": values[EvacRow.checkin_heads]}
        await event(row["evacuation_id"], row["id"], "checkin", viewer.person_id, detail, now)
        await touch(row["evacuation_id"])
    return await get(viewer, shelter_id)


async def check_out(viewer: Viewer, shelter_id: uuid.UUID, row_id: uuid.UUID) -> None:
    """A household leaves (home when the danger is over, or elsewhere)."""
    shelter = await get(viewer, shelter_id)
    row = await EvacRow.select().where(EvacRow.id == row_id).first()
    if row is None or row["checkin_shelter_id"] != shelter.id or row["checked_out_at"]:
        raise StateConflict(N_("This household is not checked in here."))
    now = datetime.now(UTC)
    async with db.current().write():
        await EvacRow.update({EvacRow.checked_out_at: now}).where(EvacRow.id == row_id)
        await event(row["evacuation_id"], row_id, "checkout", viewer.person_id, {}, now)
        await touch(row["evacuation_id"])


@dataclass(frozen=True)
class ShelterEdit:
    """What staff change on a shelter's page (its code, level and area stay: a new file)."""

    name: str
    capacity: int
    manager_id: uuid.UUID | None
    address: str
    facilities: str
    appraised_on: str
    open: bool


def can_plan(viewer: Viewer, shelter: ShelterRecord) -> bool:
    """Station and bureau staff over the shelter's area (its manager runs the door only)."""
    return bool(viewer.kinds & STAFF) and viewer.scope.covers_path(shelter.area_path)


async def update(viewer: Viewer, shelter_id: uuid.UUID, edit: ShelterEdit) -> None:
    shelter = await get(viewer, shelter_id)
    if not can_plan(viewer, shelter):
        raise NotFound(NOT_FOUND)
    if not edit.open and shelter.inside:
        raise StateConflict(
            N_("%(n)s people are inside: check them out before closing the shelter."),
            n=shelter.inside,
        )
    async with db.current().write():
        await planning.set_fields(Shelter, shelter_id, **dataclasses.asdict(edit))
