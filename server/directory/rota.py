"""Duty rotas (值班表): per city, county or town and day, the leader in charge (带班领导) and
the duty officer (值班员) on 24-hour duty (Jieshou's 24小时领导带班值班制度). A month is
filled slot by slot, two days swap (调班), an empty slot is flagged before and through the
flood season, and escalation reaches the day's rostered officer (`on_duty`)."""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from server import db
from server.audit.service import record_event
from server.directory.kinds import Level, PostKind
from server.directory.records import AreaRecord
from server.directory.scope import Scope
from server.directory.service import home_areas
from server.directory.tables import Area, DutySlot, Person, Post
from server.errors import DomainError
from server.i18n import N_

#: the flood season (汛期) the rota must be full for: Zhejiang's 梅汛期 opens 15 April, the
#: typhoon season closes 15 October; empty slots are flagged from a month before
FLOOD_SEASON = ((4, 15), (10, 15))
WARN_BEFORE = timedelta(days=30)
#: who may stand a duty day: the area's own staff, duty officers and flood chiefs
ON_ROTA = (
    PostKind.station_staff,
    PostKind.bureau_staff,
    PostKind.duty_officer,
    PostKind.flood_admin,
    PostKind.admin,
)
ROTA_LEVELS = (Level.city, Level.district, Level.town)


@dataclass(frozen=True)
class Slot:
    day: date
    leader_id: uuid.UUID | None
    leader: str
    officer_id: uuid.UUID | None
    officer: str

    @property
    def empty(self) -> bool:
        return self.officer_id is None


async def areas_of(scope: Scope) -> list[AreaRecord]:
    """The cities, counties and towns whose rota a person keeps (at the top of their
    scope)."""
    return [a for a in await home_areas(scope) if a.level in ROTA_LEVELS]


def _key(area_path: str, day: date) -> str:
    return f"{area_path}|{day.isoformat()}"


def month_days(first: date) -> list[date]:
    count = calendar.monthrange(first.year, first.month)[1]
    return [first.replace(day=d) for d in range(1, count + 1)]


async def month(area_path: str, first: date) -> list[Slot]:
    """Every day of the month with its slot (empty days too), with the people's names."""
    days = month_days(first)
    rows = await DutySlot.select().where(
        (DutySlot.area_path == area_path)
        & (DutySlot.day >= days[0].isoformat())
        & (DutySlot.day <= days[-1].isoformat())
    )
    by_day = {r["day"]: r for r in rows}
    ids = {p for r in rows for p in (r["leader_id"], r["officer_id"]) if p}
    names = {
        r["id"]: r["name"]
        for r in (
            await Person.select(Person.id, Person.name).where(Person.id.is_in(list(ids)))
            if ids
            else []
        )
    }
    slots = []
    for day in days:
        r = by_day.get(day.isoformat(), {})
        leader, officer = r.get("leader_id"), r.get("officer_id")
        slots.append(Slot(day, leader, names.get(leader, ""), officer, names.get(officer, "")))
    return slots


async def candidates(area_path: str) -> list[dict]:
    """The people who may stand a duty day for the area: holders of a rota post there."""
    posts = Post.select(Post.person).where(
        (Post.area_path == area_path)
        & Post.kind.is_in([k.value for k in ON_ROTA])
        & Post.active.eq(True)
        & Post.place.is_null()
    )
    return (
        await Person.select(Person.id, Person.name, Person.mobile)
        .where(Person.id.is_in(posts) & Person.active.eq(True))
        .order_by(Person.name)
    )


async def check_area(scope: Scope, area_path: str) -> str:
    """The area's name, if it keeps a rota and the scope covers it."""
    row = await Area.select(Area.name, Area.level).where(Area.path == area_path).first()
    if row is None or row["level"] not in ROTA_LEVELS or not scope.covers_path(area_path):
        raise DomainError(N_("Choose a city, county or town of yours."))
    return row["name"]


async def set_slot(
    scope: Scope,
    actor_id: uuid.UUID,
    area_path: str,
    day: date,
    leader_id: uuid.UUID | None,
    officer_id: uuid.UUID | None,
) -> None:
    """Fill (or empty) one day: the people must be on the area's rota list."""
    await check_area(scope, area_path)
    allowed = {r["id"] for r in await candidates(area_path)}
    if any(p is not None and p not in allowed for p in (leader_id, officer_id)):
        raise DomainError(N_("Choose people who hold a post in this area."))
    async with db.current().write():
        await put(area_path, day, leader_id, officer_id, actor_id)
        await record_event(
            "rota.set",
            entity="duty_slot",
            record_id=_key(area_path, day),
            actor_id=actor_id,
            detail={"leader": str(leader_id or ""), "officer": str(officer_id or "")},
        )


async def put(
    area_path: str,
    day: date,
    leader_id: uuid.UUID | None,
    officer_id: uuid.UUID | None,
    actor_id: uuid.UUID,
) -> None:
    """Write one day's slot (checked by the caller; the demo loads a rota through it)."""
    key = _key(area_path, day)
    values = {
        DutySlot.leader_id: leader_id,
        DutySlot.officer_id: officer_id,
        DutySlot.updated_by: actor_id,
    }
    if await DutySlot.exists().where(DutySlot.key == key):
        await DutySlot.update(values).where(DutySlot.key == key)
    else:
        await DutySlot.insert(
            DutySlot(
                key=key,
                area_path=area_path,
                day=day.isoformat(),
                leader_id=leader_id,
                officer_id=officer_id,
                updated_by=actor_id,
            )
        )


async def swap(
    scope: Scope, actor_id: uuid.UUID, area_path: str, first: date, second: date
) -> None:
    """调班: the two days exchange their leader and officer, in one write."""
    await check_area(scope, area_path)
    if first == second:
        raise DomainError(N_("Choose two different days to swap."))
    async with db.current().write():
        slots = {
            r["day"]: r
            for r in await DutySlot.select().where(
                DutySlot.key.is_in([_key(area_path, first), _key(area_path, second)])
            )
        }
        a, b = slots.get(first.isoformat(), {}), slots.get(second.isoformat(), {})
        await put(area_path, first, b.get("leader_id"), b.get("officer_id"), actor_id)
        await put(area_path, second, a.get("leader_id"), a.get("officer_id"), actor_id)
        await record_event(
            "rota.swap",
            entity="duty_slot",
            record_id=_key(area_path, first),
            actor_id=actor_id,
            detail={"with": second.isoformat()},
        )


def season_around(today: date) -> tuple[date, date] | None:
    """The flood season being prepared for or under way: from WARN_BEFORE ahead of its
    start to its end; None out of it."""
    (sm, sd), (em, ed) = FLOOD_SEASON
    start, end = date(today.year, sm, sd), date(today.year, em, ed)
    return (start, end) if start - WARN_BEFORE <= today <= end else None


async def empty_ahead(area_paths: list[str], today: date) -> dict[str, list[date]]:
    """For each area, the days from today to a month ahead, within the flood season, with
    no officer rostered: flagged before the season and through it."""
    season = season_around(today)
    if season is None or not area_paths:
        return {}
    first = max(today, season[0])
    last = min(today + WARN_BEFORE, season[1])
    if first > last:
        return {}
    filled = await DutySlot.select(DutySlot.area_path, DutySlot.day).where(
        DutySlot.area_path.is_in(area_paths)
        & (DutySlot.day >= first.isoformat())
        & (DutySlot.day <= last.isoformat())
        & DutySlot.officer_id.is_not_null()
    )
    have = {(r["area_path"], r["day"]) for r in filled}
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    found = {path: [d for d in days if (path, d.isoformat()) not in have] for path in area_paths}
    return {path: empty for path, empty in found.items() if empty}


async def on_duty(day: date) -> dict[str, uuid.UUID]:
    """The officer rostered for `day` in each area that has one."""
    rows = await DutySlot.select(DutySlot.area_path, DutySlot.officer_id).where(
        (DutySlot.day == day.isoformat()) & DutySlot.officer_id.is_not_null()
    )
    if not rows:
        return {}
    active = {
        r["id"]
        for r in await Person.select(Person.id).where(
            Person.id.is_in([r["officer_id"] for r in rows]) & Person.active.eq(True)
        )
    }
    return {r["area_path"]: r["officer_id"] for r in rows if r["officer_id"] in active}
