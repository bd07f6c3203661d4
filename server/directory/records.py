"""What the directory service hands out: plain frozen records, never table rows."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from piccolo.columns.combination import Combinable
from piccolo.query.methods.count import Count
from piccolo.query.methods.select import Select

from server.directory.kinds import Level, PlaceKind, PostKind, RiskGrade

T = TypeVar("T")


@dataclass(frozen=True)
class AreaRecord:
    id: uuid.UUID
    code: str
    name: str
    level: Level
    path: str
    parent_id: uuid.UUID | None
    center_lat: float | None = None
    center_lng: float | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AreaRecord:
        return cls(
            id=row["id"],
            code=row["code"],
            name=row["name"],
            level=Level(row["level"]),
            path=row["path"],
            parent_id=row["parent"],
            center_lat=row["center_lat"],
            center_lng=row["center_lng"],
        )


@dataclass(frozen=True)
class PlaceRecord:
    id: uuid.UUID
    code: str
    name: str
    kind: PlaceKind
    grid_id: uuid.UUID
    grid_name: str
    area_path: str
    address: str
    lat: float | None
    lng: float | None
    risk_grade: RiskGrade
    qr_token: str
    active: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PlaceRecord:
        return cls(
            id=row["id"],
            code=row["code"],
            name=row["name"],
            kind=PlaceKind(row["kind"]),
            grid_id=row["grid"],
            grid_name=row.get("grid_name") or "",
            area_path=row["area_path"],
            address=row["address"],
            lat=row["lat"],
            lng=row["lng"],
            risk_grade=RiskGrade(row["risk_grade"]),
            qr_token=row["qr_token"],
            active=row["active"],
        )


@dataclass(frozen=True)
class PersonRecord:
    id: uuid.UUID
    name: str
    mobile: str
    active: bool
    has_password: bool = False

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PersonRecord:
        return cls(
            id=row["id"],
            name=row["name"],
            mobile=row["mobile"],
            active=row["active"],
            has_password=bool(row.get("password_hash")),
        )


@dataclass(frozen=True)
class PostRecord:
    id: uuid.UUID
    person_id: uuid.UUID
    kind: PostKind
    area_id: uuid.UUID | None
    area_name: str
    place_id: uuid.UUID | None
    place_name: str
    area_path: str
    superior_id: uuid.UUID | None
    title: str
    active: bool
    department_id: uuid.UUID | None = None
    department_name: str = ""

    @property
    def where(self) -> str:
        return self.department_name or self.place_name or self.area_name

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PostRecord:
        return cls(
            id=row["id"],
            person_id=row["person"],
            kind=PostKind(row["kind"]),
            area_id=row["area"],
            area_name=row.get("area_name") or "",
            place_id=row["place"],
            place_name=row.get("place_name") or "",
            area_path=row["area_path"],
            superior_id=row["superior"],
            title=row["title"],
            active=row["active"],
            department_id=row.get("department"),
            department_name=row.get("department_name") or "",
        )


@dataclass(frozen=True)
class DepartmentRecord:
    id: uuid.UUID
    name: str
    area_path: str
    sectors: tuple[str, ...]
    active: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> DepartmentRecord:
        sectors = row["sectors"]
        if isinstance(sectors, str):
            sectors = json.loads(sectors or "[]")
        return cls(row["id"], row["name"], row["area_path"], tuple(sectors), row["active"])


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    per_page: int
    #: at most the cap of a capped count (`capped` then says there are more)
    total: int
    capped: bool = False
    #: where the next page starts (a keyset cursor), when the list pages by keyset
    after: str = ""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return bool(self.after) or self.number < self.pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


async def paginate(
    query: Select,
    count: Count,
    where: Combinable | None,
    page: int,
    per_page: int,
    from_row: Callable[[dict[str, Any]], T],
) -> Page[T]:
    """One page of a query and the total it is a page of."""
    if where is not None:
        query, count = query.where(where), count.where(where)
    page = max(1, page)
    rows = await query.limit(per_page).offset((page - 1) * per_page)
    return Page([from_row(r) for r in rows], page, per_page, await count)
