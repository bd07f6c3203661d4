"""Changing the directory: areas, places, people and posts. Every change leaves a trace."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from server import db
from server.audit.service import record_event
from server.directory import rules
from server.directory.kinds import Level, PlaceKind, PostKind, RiskGrade
from server.directory.records import AreaRecord, PersonRecord, PlaceRecord, PostRecord
from server.directory.tables import Area, Person, Place, Post
from server.errors import DomainError, NotFound, StateConflict
from server.i18n import N_


def _raise(problem: rules.Problem | None) -> None:
    if problem is not None:
        message, params = problem
        raise DomainError(message, **params)


def new_qr_token() -> str:
    """128 random bits, URL-safe: printed as a QR code, never guessable."""
    return secrets.token_urlsafe(16)


async def create_area(
    *,
    code: str,
    name: str,
    level: Level,
    parent: AreaRecord | None,
    polygon: dict[str, Any] | None = None,
    center: tuple[float, float] | None = None,
    actor_id: uuid.UUID | None = None,
) -> AreaRecord:
    _raise(rules.check_name(name, 100))
    _raise(rules.check_parent_level(level, parent.level if parent else None))
    _raise(rules.check_area_code(code, level, parent.code if parent else None))
    path = f"{parent.path if parent else '/'}{code}/"
    async with db.current().write():
        if await Area.exists().where(Area.code == code):
            raise StateConflict(N_("An area with code %(code)s already exists"), code=code)
        area = Area(
            code=code,
            name=name,
            level=level.value,
            parent=parent.id if parent else None,
            path=path,
            polygon=polygon,
            center_lat=center[0] if center else None,
            center_lng=center[1] if center else None,
        )
        await area.save()
        await record_event(
            "area.create",
            entity="area",
            record_id=str(area.id),
            actor_id=actor_id,
            detail={"code": code},
        )
    return AreaRecord(
        area.id, code, name, level, path, area.parent, area.center_lat, area.center_lng
    )


async def create_place(
    *,
    code: str,
    name: str,
    kind: PlaceKind,
    grid: AreaRecord,
    address: str = "",
    position: tuple[float, float] | None = None,
    risk_grade: RiskGrade = RiskGrade.general,
    actor_id: uuid.UUID | None = None,
) -> PlaceRecord:
    _raise(rules.check_place_code(code))
    _raise(rules.check_name(name, 120))
    if grid.level is not Level.grid:
        raise DomainError(
            N_("A place belongs to a grid, not to a %(level)s"), level=grid.level.label
        )
    async with db.current().write():
        if await Place.exists().where(Place.code == code):
            raise StateConflict(N_("A place with code %(code)s already exists"), code=code)
        place = Place(
            code=code,
            name=name,
            kind=kind.value,
            grid=grid.id,
            area_path=grid.path,
            address=address,
            lat=position[0] if position else None,
            lng=position[1] if position else None,
            risk_grade=risk_grade.value,
            qr_token=new_qr_token(),
        )
        await place.save()
        await record_event(
            "place.create",
            entity="place",
            record_id=str(place.id),
            actor_id=actor_id,
            detail={"code": code},
        )
    return PlaceRecord(
        place.id,
        code,
        name,
        kind,
        grid.id,
        grid.name,
        grid.path,
        address,
        place.lat,
        place.lng,
        risk_grade,
        place.qr_token,
        True,
    )


async def update_place(
    place_id: uuid.UUID, *, actor_id: uuid.UUID | None = None, **fields: Any
) -> None:
    allowed = {"name", "kind", "address", "lat", "lng", "risk_grade", "active"}
    changes = {k: v for k, v in fields.items() if k in allowed}
    async with db.current().write():
        if not await Place.exists().where(Place.id == place_id):
            raise NotFound(N_("This place does not exist, or you cannot see it."))
        await Place.update({getattr(Place, k): v for k, v in changes.items()}).where(
            Place.id == place_id
        )
        await record_event(
            "place.update",
            entity="place",
            record_id=str(place_id),
            actor_id=actor_id,
            detail={k: str(v) for k, v in changes.items()},
        )


async def create_person(
    *, name: str, mobile: str, password_hash: str = "", actor_id: uuid.UUID | None = None
) -> PersonRecord:
    _raise(rules.check_name(name))
    _raise(rules.check_mobile(mobile))
    async with db.current().write():
        if await Person.exists().where(Person.mobile == mobile):
            raise StateConflict(N_("Mobile number %(mobile)s is already registered"), mobile=mobile)
        person = Person(name=name, mobile=mobile, password_hash=password_hash)
        await person.save()
        await record_event(
            "person.create", entity="person", record_id=str(person.id), actor_id=actor_id
        )
    return PersonRecord(person.id, name, mobile, True, bool(password_hash))


async def set_password_hash(
    person_id: uuid.UUID, password_hash: str, *, actor_id: uuid.UUID | None = None
) -> None:
    async with db.current().write():
        await Person.update({Person.password_hash: password_hash}).where(Person.id == person_id)
        await record_event(
            "person.password", entity="person", record_id=str(person_id), actor_id=actor_id
        )


async def set_active(person_id: uuid.UUID, active: bool, *, actor_id: uuid.UUID | None) -> None:
    async with db.current().write():
        await Person.update({Person.active: active}).where(Person.id == person_id)
        await record_event(
            "person.activate" if active else "person.deactivate",
            entity="person",
            record_id=str(person_id),
            actor_id=actor_id,
        )


async def add_post(
    *,
    person_id: uuid.UUID,
    kind: PostKind,
    area: AreaRecord | None = None,
    place: PlaceRecord | None = None,
    superior_id: uuid.UUID | None = None,
    title: str = "",
    department_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
) -> uuid.UUID:
    _raise(rules.check_post(kind, area.level if area else None, on_place=place is not None))
    if (kind is PostKind.department_staff) != (department_id is not None):
        raise DomainError(N_("A department-staff post names its department; no other post does."))
    area_path = place.area_path if place else area.path if area else ""
    async with db.current().write():
        post = Post(
            person=person_id,
            kind=kind.value,
            area=area.id if area and not place else None,
            place=place.id if place else None,
            area_path=area_path,
            superior=superior_id,
            title=title[:50],
            department=department_id,
        )
        await post.save()
        await record_event(
            "post.add",
            entity="post",
            record_id=str(post.id),
            actor_id=actor_id,
            detail={"person": str(person_id), "kind": kind},
        )
    return post.id


async def end_post(post_id: uuid.UUID, *, actor_id: uuid.UUID | None) -> None:
    async with db.current().write():
        await Post.update({Post.active: False}).where(Post.id == post_id)
        await record_event("post.end", entity="post", record_id=str(post_id), actor_id=actor_id)


async def superior_post_for(superior_person_id: uuid.UUID, below_path: str) -> PostRecord | None:
    """The superior's post closest above `below_path` (the longest covering path)."""
    from server.directory.service import posts_of

    covering = [
        p
        for p in await posts_of(superior_person_id)
        if p.area_path and below_path.startswith(p.area_path)
    ]
    return max(covering, key=lambda p: len(p.area_path), default=None)
