"""Who a call-up reaches: the holders of the chosen post kinds in the chosen areas, with
the superior each answers to, and the duty officers over them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from server.directory.kinds import FLOOD_POSTS, PostKind
from server.directory.scope import under
from server.directory.tables import Person, Post

#: what a call-up targets unless the issuer chooses otherwise
DEFAULT_KINDS = tuple(sorted(k.value for k in FLOOD_POSTS))
CHOOSABLE = (
    PostKind.flood_admin,
    PostKind.flood_technical,
    PostKind.flood_guarantor,
    PostKind.grid_member,
    PostKind.station_staff,
)


@dataclass(frozen=True)
class Candidate:
    person_id: uuid.UUID
    post_id: uuid.UUID
    area_path: str
    superior_id: uuid.UUID | None


def levels_of(path: str) -> tuple[str, str]:
    """The town and village paths above (or at) an area path:
    /city/district/town/village/grid/ -> (/city/district/town/, /city/district/town/village/)."""
    parts = path.strip("/").split("/")
    town = "/" + "/".join(parts[:3]) + "/" if len(parts) >= 3 else ""
    village = "/" + "/".join(parts[:4]) + "/" if len(parts) >= 4 else ""
    return town, village


def outermost(paths: list[str]) -> list[str]:
    kept: list[str] = []
    for path in sorted(set(paths), key=lambda p: (len(p), p)):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def _where(area_paths: list[str], kinds: list[str]):
    clause = None
    for path in outermost(area_paths):
        clause = (
            under(Post.area_path, path) if clause is None else clause | under(Post.area_path, path)
        )
    active = (
        Post.active.eq(True)
        & Post.kind.is_in(list(kinds))
        & Post.person.is_in(Person.select(Person.id).where(Person.active.eq(True)))
    )
    return active & clause if clause is not None else None


async def compute(area_paths: list[str], kinds: list[str]) -> list[Candidate]:
    """Each person once (their first post by area), with the holder of the post's superior."""
    where = _where(area_paths, kinds)
    if where is None or not kinds:
        return []
    rows = (
        await Post.select(
            Post.id, Post.person, Post.area_path, Post.superior.person.as_alias("boss")
        )
        .where(where)
        .order_by(Post.area_path)
    )
    found: dict[uuid.UUID, Candidate] = {}
    for r in rows:
        if r["person"] not in found:
            boss = r["boss"] if r["boss"] != r["person"] else None
            found[r["person"]] = Candidate(r["person"], r["id"], r["area_path"], boss)
    return list(found.values())


async def count(area_paths: list[str], kinds: list[str]) -> int:
    """How many people a call-up to these areas and kinds would reach."""
    where = _where(area_paths, kinds)
    if where is None or not kinds:
        return 0
    rows = await Post.select(Post.person).where(where).distinct()
    return len(rows)


async def duty_officers_over(path: str) -> list[uuid.UUID]:
    """The duty officers of the nearest area above (or at) `path` that has any."""
    return (await duty_officers_for([path]))[path]


async def duty_officers_for(paths: list[str]) -> dict[str, list[uuid.UUID]]:
    """For each path, the duty officers of the nearest area above (or at) it that has any:
    duty officers are few (city, districts, towns), so all of them are read once."""
    rows = await Post.select(Post.person, Post.area_path).where(
        (Post.kind == PostKind.duty_officer.value) & Post.active.eq(True)
    )
    found: dict[str, list[uuid.UUID]] = {}
    for path in paths:
        over = [r for r in rows if r["area_path"] and path.startswith(r["area_path"])]
        nearest = max((len(r["area_path"]) for r in over), default=0)
        found[path] = list(
            dict.fromkeys(r["person"] for r in over if len(r["area_path"]) == nearest)
        )
    return found
