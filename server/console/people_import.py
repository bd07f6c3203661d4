"""Planning a people import: one row per post; a person may appear on several rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from server.auth.passwords import hash_password, password_problem, verify_password
from server.console.importer import Report, Step, report_all
from server.directory import admin, rules
from server.directory.kinds import PostKind
from server.directory.service import (
    area_by_code,
    password_hash_of,
    person_by_mobile,
    place_by_code,
    posts_of,
)
from server.i18n import N_


@dataclass
class _Planned:
    """A post the file adds, enough to judge superiors named further down."""

    kind: PostKind
    area_path: str


async def plan_people(rows: list[tuple[int, dict[str, str]]], report: Report) -> list[Step]:
    names: dict[str, str] = {}
    passwords: dict[str, str] = {}
    planned: dict[str, list[_Planned]] = {}
    steps: list[Step] = []
    for line, row in rows:
        mobile, name = row["mobile"].replace(" ", ""), row["name"]
        kind, kind_problem = rules.parse_choice(row["post"], rules.POST_ALIASES, rules.UNKNOWN_POST)
        problems = [rules.check_name(name), rules.check_mobile(mobile), kind_problem]
        if mobile in names and names[mobile] != name:
            problems.append(
                (N_("Mobile number %(mobile)s is given to two names"), {"mobile": mobile})
            )
        password = row.get("password", "")
        if password and password_problem(password):
            problems.append((password_problem(password), {}))
        area = await area_by_code(row["area_code"]) if row.get("area_code") else None
        place = await place_by_code(row["place_code"]) if row.get("place_code") else None
        if row.get("area_code") and area is None:
            problems.append((N_("No area has the code %(code)s"), {"code": row["area_code"]}))
        if row.get("place_code") and place is None:
            problems.append((N_("No place has the code %(code)s"), {"code": row["place_code"]}))
        if kind and not any(problems):
            problems.append(
                rules.check_post(kind, area.level if area else None, on_place=place is not None)
            )
        path = place.area_path if place else area.path if area else ""
        superior = row.get("superior_mobile", "").replace(" ", "")
        if superior and not any(problems):
            problems.append(await _check_superior(superior, path, planned))
        if report_all(report, line, problems):
            continue
        names[mobile] = name
        planned.setdefault(mobile, []).append(_Planned(kind, path))
        if await _holds(mobile, name, kind, area, place, password):
            report.skipped += 1  # the same person in the same post: left as it is
            continue
        if password:
            passwords[mobile] = password
        steps.append(_post_step(mobile, name, kind, area, place, superior, row.get("title", "")))
        report.created += 1
    if report.errors or not steps:
        return []
    # Hashing is slow: done now, before the import's transaction opens.
    hashed = {mobile: await hash_password(pw) for mobile, pw in passwords.items()}
    return [*steps, _password_step(hashed)]


async def _holds(mobile: str, name: str, kind: PostKind, area, place, password: str) -> bool:  # type: ignore[no-untyped-def]
    """Whether the person is registered under this name, with this password if the file
    gives one, and holds this post already: a row that would change nothing."""
    person = await person_by_mobile(mobile)
    if person is None or person.name != name:
        return False
    if password:
        stored = await password_hash_of(person.id)
        if not stored or not await verify_password(stored, password):
            return False
    area_id, place_id = (area.id if area else None), (place.id if place else None)
    return any(
        p.kind is kind and p.area_id == area_id and p.place_id == place_id
        for p in await posts_of(person.id)
    )


async def _check_superior(
    mobile: str, path: str, planned: dict[str, list[_Planned]]
) -> rules.Problem | None:
    paths = [p.area_path for p in planned.get(mobile, [])]
    person = await person_by_mobile(mobile)
    if person is not None:
        paths += [p.area_path for p in await posts_of(person.id)]
    if not any(p and path.startswith(p) for p in paths):
        return N_("Superior %(mobile)s holds no post above this one (list them first)"), {
            "mobile": mobile
        }
    return None


async def _person_id(mobile: str, name: str) -> uuid.UUID:
    person = await person_by_mobile(mobile)
    if person is None:
        person = await admin.create_person(name=name, mobile=mobile)
    return person.id


def _post_step(
    mobile: str, name: str, kind: PostKind, area: object, place: object, superior: str, title: str
) -> Step:
    async def step() -> None:
        person_id = await _person_id(mobile, name)
        superior_id = None
        if superior:
            boss = await person_by_mobile(superior)
            path = place.area_path if place else area.path  # type: ignore[union-attr]
            post = await admin.superior_post_for(boss.id, path) if boss else None
            superior_id = post.id if post else None
        already = [
            p
            for p in await posts_of(person_id)
            if p.kind is kind
            and p.area_id == (None if place else area.id)  # type: ignore[union-attr]
            and p.place_id == (place.id if place else None)
        ]  # type: ignore[union-attr]
        if not already:
            await admin.add_post(
                person_id=person_id,
                kind=kind,
                area=area,
                place=place,
                superior_id=superior_id,
                title=title,
            )  # type: ignore[arg-type]

    return step


def _password_step(hashed: dict[str, str]) -> Step:
    async def step() -> None:
        for mobile, value in hashed.items():
            person = await person_by_mobile(mobile)
            if person:
                await admin.set_password_hash(person.id, value)

    return step
