"""What is planned before the flood season: danger zones, their households and residents,
shelters and which zones go to which shelter. (The evacuation itself is service.py.)"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from piccolo.querystring import QueryString
from piccolo.table import Table

from server import db
from server.directory.records import AreaRecord
from server.directory.scope import Scope, under
from server.directory.service import contacts, holders_of_posts
from server.errors import NotFound
from server.evacuation.kinds import Need, ShelterLevel, ZoneKind
from server.evacuation.records import ZoneRecord
from server.evacuation.tables import DangerZone, Household, Resident, Shelter
from server.i18n import N_
from sync.batch import insert_rows


@dataclass(frozen=True)
class ResidentIn:
    name: str
    need: Need | None = None
    mobile: str = ""
    note: str = ""


@dataclass(frozen=True)
class HouseholdIn:
    code: str
    zone_id: uuid.UUID
    area_path: str
    head_name: str
    people: int
    mobile: str = ""
    address: str = ""
    keeper_post_id: uuid.UUID | None = None
    residents: list[ResidentIn] = field(default_factory=list)


async def create_zone(
    code: str,
    name: str,
    kind: ZoneKind,
    village: AreaRecord,
    shelter_ids: list[uuid.UUID],
    polygon: dict | None = None,
    note: str = "",
) -> uuid.UUID:
    zone_id = uuid.uuid4()
    async with db.current().write():
        await DangerZone.insert(
            DangerZone(
                id=zone_id,
                code=code,
                name=name,
                kind=kind.value,
                area_path=village.path,
                polygon=polygon,
                shelter_ids=[str(s) for s in shelter_ids],
                note=note,
            )
        )
    return zone_id


async def create_shelter(
    code: str,
    name: str,
    level: ShelterLevel,
    area: AreaRecord,
    capacity: int,
    *,
    manager_id: uuid.UUID | None = None,
    address: str = "",
    facilities: str = "",
    appraised_on: str = "",
    position: tuple[float, float] | None = None,
) -> uuid.UUID:
    shelter_id = uuid.uuid4()
    lat, lng = position or (area.center_lat, area.center_lng)
    async with db.current().write():
        await Shelter.insert(
            Shelter(
                id=shelter_id,
                code=code,
                name=name,
                level=level.value,
                area_path=area.path,
                capacity=capacity,
                manager_id=manager_id,
                address=address,
                facilities=facilities,
                appraised_on=appraised_on,
                lat=lat,
                lng=lng,
            )
        )
    return shelter_id


async def create_households(households: list[HouseholdIn]) -> list[uuid.UUID]:
    """Households with their named residents, in one transaction."""
    rows: list[dict[str, Any]] = []
    residents: list[dict[str, Any]] = []
    for h in households:
        household_id = uuid.uuid4()
        rows.append(
            {
                "id": household_id,
                "code": h.code,
                "zone_id": h.zone_id,
                "area_path": h.area_path,
                "head_name": h.head_name,
                "mobile": h.mobile,
                "address": h.address,
                "people": h.people,
                "special": any(r.need for r in h.residents),
                "keeper_post_id": h.keeper_post_id,
                "active": True,
            }
        )
        residents += [_resident(household_id, r) for r in h.residents]
    async with db.current().write():
        for at in range(0, len(rows), 1000):
            await insert_rows(Household, rows[at : at + 1000])
        for at in range(0, len(residents), 1000):
            await insert_rows(Resident, residents[at : at + 1000])
    return [r["id"] for r in rows]


async def zones_in(scope: Scope, *, inactive: bool = False) -> list[ZoneRecord]:
    """The zones of the viewer's areas by code: active ones (the inactive too, if asked)."""
    query = DangerZone.select().order_by(DangerZone.code)
    if not inactive:
        query = query.where(DangerZone.active.eq(True))
    if where := scope.where(DangerZone.area_path):
        query = query.where(where)
    return [ZoneRecord.from_row(r) for r in await query]


async def zones_under(paths: list[str]) -> list[ZoneRecord]:
    """Active zones in any of these areas' subtrees."""
    if not paths:
        return []
    clause = under(DangerZone.area_path, paths[0])
    for path in paths[1:]:
        clause = clause | under(DangerZone.area_path, path)
    rows = await DangerZone.select().where(clause & DangerZone.active.eq(True))
    return [ZoneRecord.from_row(r) for r in rows]


async def household_counts(zone_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    """Zone -> (households, of them with special-needs people), active ones, one query."""
    if not zone_ids:
        return {}
    rows = await (
        Household.select(
            Household.zone_id,
            QueryString("COUNT(*)", alias="households"),
            QueryString("SUM(CASE WHEN special THEN 1 ELSE 0 END)", alias="special"),
        )
        .where(Household.zone_id.is_in(zone_ids) & Household.active.eq(True))
        .group_by(Household.zone_id)
    )
    return {r["zone_id"]: (r["households"], int(r["special"] or 0)) for r in rows}


async def zones_by_id(zone_ids: list[uuid.UUID]) -> dict[uuid.UUID, ZoneRecord]:
    if not zone_ids:
        return {}
    rows = await DangerZone.select().where(DangerZone.id.is_in(zone_ids))
    return {r["id"]: ZoneRecord.from_row(r) for r in rows}


async def shelters_by_id(shelter_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    if not shelter_ids:
        return {}
    rows = await Shelter.select().where(Shelter.id.is_in(list(set(shelter_ids))))
    return {r["id"]: r for r in rows}


async def shelter_rows_in(scope: Scope) -> list[dict[str, Any]]:
    query = Shelter.select().order_by(Shelter.area_path, Shelter.code)
    if where := scope.where(Shelter.area_path):
        query = query.where(where)
    return await query


async def residents_of(household_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    found: dict[uuid.UUID, list[dict[str, Any]]] = {h: [] for h in household_ids}
    for at in range(0, len(household_ids), 500):
        chunk = household_ids[at : at + 500]
        for r in await Resident.select().where(Resident.household_id.is_in(chunk)):
            found[r["household_id"]].append(r)
    for people in found.values():
        people.sort(key=lambda r: (r["need"] == "", r["name"]))
        for r in people:
            r["need_label"] = Need(r["need"]).label if r["need"] in Need.__members__ else ""
    return found


@dataclass(frozen=True)
class Card:
    """A household's 转移明白卡: where they go and who comes for them, and the code the
    shelter's door scans."""

    id: uuid.UUID
    code: str
    head_name: str
    people: int
    address: str
    special: bool
    keeper: tuple[str, str] | None  # (name, mobile)
    active: bool = True


async def cards_of(zone: ZoneRecord, *, inactive: bool = False) -> list[Card]:
    """The zone's active households (and the inactive ones after them, if asked) by code,
    each with its keeper's name and mobile."""
    query = Household.select().where(Household.zone_id == zone.id)
    if not inactive:
        query = query.where(Household.active.eq(True))
    households = await query.order_by(Household.active, ascending=False).order_by(Household.code)
    holders = await holders_of_posts(
        [h["keeper_post_id"] for h in households if h["keeper_post_id"]]
    )
    people = await contacts(list(holders.values()))
    return [
        Card(
            h["id"], h["code"], h["head_name"], h["people"], h["address"], h["special"],
            people.get(holders.get(h["keeper_post_id"])), h["active"],  # type: ignore[arg-type]
        )
        for h in households
    ]  # fmt: skip


async def zone_in(scope: Scope, zone_id: uuid.UUID) -> ZoneRecord:
    """A zone of the viewer's areas (NotFound otherwise)."""
    row = await DangerZone.select().where(DangerZone.id == zone_id).first()
    if row is None or not scope.covers_path(row["area_path"]):
        raise NotFound(N_("This danger zone is not one of yours."))
    return ZoneRecord.from_row(row)


async def set_fields(table: type[Table], row_id: uuid.UUID, **values: Any) -> None:
    """A plan's row by id, the named columns set (in the caller's transaction)."""
    await table.update({getattr(table, k): v for k, v in values.items()}).where(
        table._meta.primary_key == row_id
    )


async def household_in(scope: Scope, household_id: uuid.UUID) -> dict[str, Any]:
    """A household of the viewer's areas, with its residents (NotFound otherwise)."""
    row = await Household.select().where(Household.id == household_id).first()
    if row is None or not scope.covers_path(row["area_path"]):
        raise NotFound(N_("This household is not one of yours."))
    row["residents"] = (await residents_of([household_id]))[household_id]
    return row


async def update_household(household_id: uuid.UUID, h: HouseholdIn, *, active: bool) -> None:
    """Its fields and residents as the form gives them (its code, zone and grid stay)."""
    async with db.current().write():
        await set_fields(
            Household, household_id, head_name=h.head_name, people=h.people, mobile=h.mobile,
            address=h.address, keeper_post_id=h.keeper_post_id,
            special=any(r.need for r in h.residents), active=active,
        )  # fmt: skip
        await Resident.delete().where(Resident.household_id == household_id)
        await insert_rows(Resident, [_resident(household_id, r) for r in h.residents])


def _resident(household_id: uuid.UUID, r: ResidentIn) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "household_id": household_id,
        "name": r.name,
        "mobile": r.mobile,
        "need": r.need.value if r.need else "",
        "note": r.note,
    }


async def update_zone(
    zone_id: uuid.UUID, name: str, kind: ZoneKind, shelter_ids: list[uuid.UUID], *, active: bool
) -> None:
    async with db.current().write():
        await set_fields(
            DangerZone, zone_id, name=name, kind=kind.value,
            shelter_ids=[str(s) for s in shelter_ids], active=active,
        )  # fmt: skip
