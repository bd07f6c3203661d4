"""Who holds which posts where: the people a call-up reaches (each once, with the holder of
their post's superior), how many that is, the duty officers over an area, and who near a
person could stand in for them. Other domains ask these questions here rather than reading
the directory's tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from server import localtime
from server.directory import rota
from server.directory.kinds import PostKind
from server.directory.scope import under
from server.directory.tables import Person, Post


@dataclass(frozen=True)
class Holder:
    """A person reached through one of their posts (the first by area)."""

    person_id: uuid.UUID
    post_id: uuid.UUID
    area_path: str
    superior_id: uuid.UUID | None
    place_id: uuid.UUID | None = None


def outermost(paths: list[str]) -> list[str]:
    kept: list[str] = []
    for path in sorted(set(paths), key=lambda p: (len(p), p)):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def _where(
    area_paths: list[str],
    kinds: list[str],
    own: Sequence[str] = (),
    places: Sequence[uuid.UUID] = (),
):
    """Posts of `kinds`: anywhere under `area_paths`, the areas `own` themselves (not
    what lies under them), and at `places`."""
    clause = None
    for path in outermost(area_paths):
        clause = (
            under(Post.area_path, path) if clause is None else clause | under(Post.area_path, path)
        )
    for extra in (
        (Post.area_path.is_in(list(own)) & Post.place.is_null()) if own else None,
        Post.place.is_in(list(places)) if places else None,
    ):
        if extra is not None:
            clause = extra if clause is None else clause | extra
    active = (
        Post.active.eq(True)
        & Post.kind.is_in(list(kinds))
        & Post.person.is_in(Person.select(Person.id).where(Person.active.eq(True)))
    )
    return active & clause if clause is not None else None


async def holders_in(
    area_paths: list[str],
    kinds: list[str],
    *,
    own: Sequence[str] = (),
    places: Sequence[uuid.UUID] = (),
) -> list[Holder]:
    """Each person once (their first post by area), with the holder of the post's superior:
    under `area_paths`, in the areas `own` themselves, at `places`."""
    where = _where(area_paths, kinds, own, places)
    if where is None or not kinds:
        return []
    rows = (
        await Post.select(
            Post.id,
            Post.person,
            Post.area_path,
            Post.place,
            Post.superior.person.as_alias("boss"),
        )
        .where(where)
        .order_by(Post.area_path)
    )
    found: dict[uuid.UUID, Holder] = {}
    for r in rows:
        if r["person"] not in found:
            boss = r["boss"] if r["boss"] != r["person"] else None
            found[r["person"]] = Holder(r["person"], r["id"], r["area_path"], boss, r["place"])
    return list(found.values())


async def count_holders(
    area_paths: list[str],
    kinds: list[str],
    *,
    own: Sequence[str] = (),
    places: Sequence[uuid.UUID] = (),
) -> int:
    """How many people hold one of `kinds` there (whom a call-up would reach)."""
    where = _where(area_paths, kinds, own, places)
    if where is None or not kinds:
        return 0
    rows = await Post.select(Post.person).where(where).distinct()
    return len(rows)


async def duty_officers_over(path: str, day: date | None = None) -> list[uuid.UUID]:
    """The duty officers of the nearest area above (or at) `path` that has any."""
    return (await duty_officers_for([path], day))[path]


async def duty_officers_for(
    paths: list[str], day: date | None = None
) -> dict[str, list[uuid.UUID]]:
    """For each path, the duty officers of the nearest area above (or at) it that has any:
    on `day` (today by default) the officer that area's rota names, else the holders of its
    duty-officer posts. Duty officers and rotas are few (city, counties, towns): all of
    them are read once."""
    rows = await Post.select(Post.person, Post.area_path).where(
        (Post.kind == PostKind.duty_officer.value) & Post.active.eq(True)
    )
    rostered = await rota.on_duty(day or localtime.today())
    found: dict[str, list[uuid.UUID]] = {}
    for path in paths:
        over = [r for r in rows if r["area_path"] and path.startswith(r["area_path"])]
        nearest = max((len(r["area_path"]) for r in over), default=0)
        on_rota = [p for p in rostered if path.startswith(p)]
        roster_at = max(on_rota, key=len, default="")
        if roster_at and len(roster_at) >= nearest:
            found[path] = [rostered[roster_at]]
            continue
        found[path] = list(
            dict.fromkeys(r["person"] for r in over if len(r["area_path"]) == nearest)
        )
    return found


async def stand_ins(
    path: str, kinds: list[str], *, besides: uuid.UUID, limit: int = 30
) -> list[dict[str, Any]]:
    """Active people (id, name, mobile) holding one of `kinds` under `path`, but `besides`,
    by name: who could stand in for a person."""
    posts = Post.select(Post.person).where(
        under(Post.area_path, path) & Post.kind.is_in(kinds) & Post.active.eq(True)
    )
    return (
        await Person.select(Person.id, Person.name, Person.mobile)
        .where(Person.id.is_in(posts) & Person.active.eq(True) & (Person.id != besides))
        .order_by(Person.name)
        .limit(limit)
    )
