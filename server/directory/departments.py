"""Responsible departments (行业主管部门): which ones a case in an area can be transferred
to, which one regulates a hazard's sector (三管三必须), and who works in each. A sector no
department regulates stays with the town (街道/乡镇), as Qingdao's rule has it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from server import db
from server.audit.service import record_event
from server.directory.kinds import PostKind
from server.directory.records import DepartmentRecord
from server.directory.tables import Area, Department, Person, Post
from server.errors import DomainError, NotFound
from server.i18n import N_

DEPARTMENT_NOT_FOUND = N_("This department does not exist.")


async def create_department(
    *, name: str, area_code: str, sectors: Sequence[str] = (), actor_id: uuid.UUID | None = None
) -> DepartmentRecord:
    name = name.strip()[:60]
    if len(name) < 2:
        raise DomainError(N_("Name the department (2 to 60 characters)."))
    area = await Area.select(Area.path).where(Area.code == area_code.strip()).first()
    if area is None:
        raise DomainError(N_("No area has that code."))
    sectors = sorted({s.strip() for s in sectors if s.strip()})
    async with db.current().write():
        if await Department.exists().where(
            (Department.name == name) & (Department.area_path == area["path"])
        ):
            raise DomainError(N_("This area has a department of that name already."))
        row = Department(name=name, area_path=area["path"], sectors=sectors)
        await row.save()
        await record_event(
            "department.create",
            entity="department",
            record_id=str(row.id),
            actor_id=actor_id,
            detail={"name": name, "sectors": sectors},
        )
    return DepartmentRecord(row.id, name, area["path"], tuple(sectors), True)


async def all_departments() -> list[DepartmentRecord]:
    rows = await Department.select().order_by(Department.area_path).order_by(Department.name)
    return [DepartmentRecord.from_row(r) for r in rows]


async def get_department(department_id: uuid.UUID) -> DepartmentRecord:
    row = await Department.select().where(Department.id == department_id).first()
    if row is None:
        raise NotFound(DEPARTMENT_NOT_FOUND)
    return DepartmentRecord.from_row(row)


async def departments_over(path: str) -> list[DepartmentRecord]:
    """The active departments a case at `path` may go to: those of the areas above it (the
    town's, the county's, the city's), the nearest first."""
    rows = await Department.select().where(Department.active.eq(True))
    found = [
        DepartmentRecord.from_row(r)
        for r in rows
        if r["area_path"] and path.startswith(r["area_path"])
    ]
    return sorted(found, key=lambda d: (-len(d.area_path), d.name))


def responsible(departments: list[DepartmentRecord], category: str) -> DepartmentRecord | None:
    """The nearest department whose sectors cover the category (its top-level code), or
    None: then no department regulates it and the town keeps it."""
    top = category.split(".")[0]
    return next((d for d in departments if top in d.sectors), None)


async def staff_of(department_id: uuid.UUID) -> list[uuid.UUID]:
    """The active people holding a post in the department."""
    rows = await Post.select(Post.person).where(
        (Post.department == department_id)
        & Post.active.eq(True)
        & (Post.kind == PostKind.department_staff.value)
        & Post.person.is_in(Person.select(Person.id).where(Person.active.eq(True)))
    )
    return list(dict.fromkeys(r["person"] for r in rows))


async def names_of(department_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not department_ids:
        return {}
    rows = await Department.select(Department.id, Department.name).where(
        Department.id.is_in(list(department_ids))
    )
    return {r["id"]: r["name"] for r in rows}
