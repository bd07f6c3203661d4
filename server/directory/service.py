"""Reading the directory, always through a Scope: what is outside it does not exist (404)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from piccolo.columns.combination import Combinable

from server.db import as_json
from server.directory.kinds import FLOOD_POSTS, Level, PlaceKind, PostKind
from server.directory.records import (
    AreaRecord,
    Page,
    PersonRecord,
    PlaceRecord,
    PostRecord,
    paginate,
)
from server.directory.scope import Scope, all_of, contains, under
from server.directory.tables import Area, Person, Place, Post
from server.errors import NotFound
from server.geo import inside_polygon
from server.i18n import N_

PER_PAGE = 50
#: posts that see the whole city whatever area they are attached to
_EVERYTHING = {PostKind.admin}

AREA_NOT_FOUND = N_("This area does not exist, or you cannot see it.")
PLACE_NOT_FOUND = N_("This place does not exist, or you cannot see it.")
PERSON_NOT_FOUND = N_("This person does not exist, or you cannot see them.")


_POST_COLUMNS = (
    Post.all_columns(),
    Post.area.name.as_alias("area_name"),
    Post.place.name.as_alias("place_name"),
    Post.department.name.as_alias("department_name"),
)
_PLACE_COLUMNS = (Place.all_columns(), Place.grid.name.as_alias("grid_name"))


async def posts_of(person_id: uuid.UUID, *, active_only: bool = True) -> list[PostRecord]:
    query = Post.select(*_POST_COLUMNS).where(Post.person == person_id).order_by(Post.kind)
    if active_only:
        query = query.where(Post.active.eq(True))
    return [PostRecord.from_row(r) for r in await query]


def scope_for(person_id: uuid.UUID, posts: list[PostRecord]) -> Scope:
    """The subtrees and places a person's *current* posts cover."""
    active = [p for p in posts if p.active]
    return Scope.of(
        person_id,
        # a department's staff see what is transferred to their department, not every
        # hazard of the area their department belongs to
        prefixes=[
            p.area_path
            for p in active
            if p.place_id is None and p.area_path and p.department_id is None
        ],
        place_ids=[p.place_id for p in active if p.place_id is not None],
        everything=any(p.kind in _EVERYTHING for p in active),
        department_ids=[p.department_id for p in active if p.department_id is not None],
    )


async def get_area(scope: Scope, area_id: uuid.UUID) -> AreaRecord:
    row = await Area.select().where(Area.id == area_id).first()
    if row is None or not (scope.covers_path(row["path"]) or scope.sees_ancestor(row["path"])):
        raise NotFound(AREA_NOT_FOUND)
    return AreaRecord.from_row(row)


async def area_by_code(code: str) -> AreaRecord | None:
    row = await Area.select().where(Area.code == code).first()
    return AreaRecord.from_row(row) if row else None


async def children(scope: Scope, area: AreaRecord) -> list[AreaRecord]:
    rows = await Area.select().where(Area.parent == area.id).order_by(Area.code)
    return [
        AreaRecord.from_row(r)
        for r in rows
        if scope.covers_path(r["path"]) or scope.sees_ancestor(r["path"])
    ]


async def ancestors(area: AreaRecord) -> list[AreaRecord]:
    """From the city down to the area's parent, for breadcrumbs."""
    parts = area.path.strip("/").split("/")[:-1]
    if not parts:
        return []
    rows = await Area.select().where(Area.code.is_in(parts))
    by_code = {r["code"]: AreaRecord.from_row(r) for r in rows}
    return [by_code[c] for c in parts if c in by_code]


async def top_areas() -> list[AreaRecord]:
    rows = await Area.select().where(Area.parent.is_null()).order_by(Area.code)
    return [AreaRecord.from_row(r) for r in rows]


async def home_areas(scope: Scope) -> list[AreaRecord]:
    """The areas at the top of what a person covers (their grid, their town, the city)."""
    if scope.everything:
        return await top_areas()
    if scope.prefixes:
        rows = await Area.select().where(Area.path.is_in(list(scope.prefixes)))
    else:
        rows = []
    return [AreaRecord.from_row(r) for r in rows]


async def home_places(scope: Scope) -> list[PlaceRecord]:
    """The single places a person's posts cover (a dyke section, a reservoir), by name."""
    if not scope.place_ids:
        return []
    rows = await (
        Place.select()
        .where(Place.id.is_in(list(scope.place_ids)))
        .order_by(Place.risk_grade, Place.name)
    )
    return [PlaceRecord.from_row(r) for r in rows]


async def list_places(
    scope: Scope,
    *,
    within: AreaRecord | None = None,
    kind: PlaceKind | None = None,
    q: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[PlaceRecord]:
    where = all_of(
        scope.where(Place.area_path, place_column=Place.id),
        under(Place.area_path, within.path) if within else None,
        Place.kind == kind.value if kind else None,
        (contains(Place.name, q) | contains(Place.code, q)) if q else None,
    )
    query = Place.select(*_PLACE_COLUMNS).order_by(Place.risk_grade, Place.code)
    return await paginate(query, Place.count(), where, page, per_page, PlaceRecord.from_row)


async def places_under(scope: Scope, area: AreaRecord) -> list[PlaceRecord]:
    """Every place in an area's subtree that the scope sees, by code (no pagination)."""
    where = all_of(
        scope.where(Place.area_path, place_column=Place.id), under(Place.area_path, area.path)
    )
    rows = await Place.select(*_PLACE_COLUMNS).where(where).order_by(Place.risk_grade, Place.code)
    return [PlaceRecord.from_row(r) for r in rows]


async def get_place(scope: Scope, place_id: uuid.UUID) -> PlaceRecord:
    return await _one_place(scope, Place.id == place_id)


async def place_by_token(scope: Scope, token: str) -> PlaceRecord:
    return await _one_place(scope, Place.qr_token == token)


async def public_place(token: str) -> PlaceRecord | None:
    """A place by the token its plate carries, for anyone who scans it (no scope: the plate
    is on the dyke for all to read)."""
    row = (
        await Place.select(*_PLACE_COLUMNS)
        .where((Place.qr_token == token[:64]) & Place.active.eq(True))
        .first()
    )
    return PlaceRecord.from_row(row) if row else None


@dataclass(frozen=True)
class Published:
    """A flood-duty person as the plate publishes them (公示): post, title, name, number."""

    post: str
    title: str
    name: str
    mobile: str


async def published_persons(place: PlaceRecord) -> list[Published]:
    """Who answers for a place, as Shaoxing publishes it (调整公布): the flood-duty posts
    at the place itself, then those of the village and town around it, nearest first."""
    around = _prefixes(place.area_path)
    rows = await Post.select(
        Post.kind,
        Post.title,
        Post.area_path,
        Post.place,
        Post.person.name.as_alias("name"),
        Post.person.mobile.as_alias("mobile"),
    ).where(
        Post.active.eq(True)
        & Post.kind.is_in([k.value for k in FLOOD_POSTS])
        & Post.person.active.eq(True)
        & ((Post.place == place.id) | (Post.place.is_null() & Post.area_path.is_in(around or [""])))
    )
    nearest = sorted(
        rows, key=lambda r: (r["place"] is None, -len(r["area_path"]), r["kind"], r["name"])
    )
    return [
        Published(PostKind(r["kind"]).label, r["title"], r["name"], r["mobile"]) for r in nearest
    ]


async def _one_place(scope: Scope, match: Combinable) -> PlaceRecord:
    where = all_of(match, scope.where(Place.area_path, place_column=Place.id))
    row = await Place.select(*_PLACE_COLUMNS).where(where).first()
    if row is None:
        raise NotFound(PLACE_NOT_FOUND)
    return PlaceRecord.from_row(row)


def _people_where(scope: Scope) -> Combinable | None:
    post_scope = scope.where(Post.area_path, place_column=Post.place)
    if post_scope is None:
        return None
    visible = Person.id.is_in(Post.select(Post.person).where(post_scope & Post.active.eq(True)))
    return visible | (Person.id == scope.person_id) if scope.person_id else visible


async def list_people(
    scope: Scope, *, q: str = "", page: int = 1, per_page: int = PER_PAGE
) -> Page[PersonRecord]:
    where = all_of(
        _people_where(scope),
        (contains(Person.name, q) | contains(Person.mobile, q)) if q else None,
    )
    query = Person.select().order_by(Person.name)
    return await paginate(query, Person.count(), where, page, per_page, PersonRecord.from_row)


async def get_person(scope: Scope, person_id: uuid.UUID) -> PersonRecord:
    row = await Person.select().where(all_of(Person.id == person_id, _people_where(scope))).first()
    if row is None:
        raise NotFound(PERSON_NOT_FOUND)
    return PersonRecord.from_row(row)


async def people_of_area(scope: Scope, area: AreaRecord) -> list[tuple[PersonRecord, PostRecord]]:
    """Who holds a post exactly at this area or at one of its places (scoped)."""
    where = all_of(
        (Post.area == area.id) | (Post.place.grid == area.id),
        Post.active.eq(True),
        scope.where(Post.area_path, place_column=Post.place),
    )
    rows = await Post.select(*_POST_COLUMNS).where(where).order_by(Post.kind)
    posts = [PostRecord.from_row(r) for r in rows]
    if not posts:
        return []
    people = await Person.select().where(Person.id.is_in([p.person_id for p in posts]))
    by_id = {r["id"]: PersonRecord.from_row(r) for r in people}
    return [(by_id[p.person_id], p) for p in posts if p.person_id in by_id]


async def names_in_scope(scope: Scope, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of those of `person_ids` the scope sees (others are left out)."""
    if not person_ids:
        return {}
    where = all_of(Person.id.is_in(list(set(person_ids))), _people_where(scope))
    rows = await Person.select(Person.id, Person.name).where(where)
    return {r["id"]: r["name"] for r in rows}


async def mobiles_of(person_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Mobile numbers of active people, for texts and calls."""
    rows = await Person.select(Person.id, Person.mobile).where(
        Person.id.is_in(list(set(person_ids))) & Person.active.eq(True)
    )
    return {r["id"]: r["mobile"] for r in rows}


async def contacts(person_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    """(name, mobile) of each of these people, active or not (a call-up's list shows who was
    called even after they left)."""
    wanted = list(set(person_ids))
    found: dict[uuid.UUID, tuple[str, str]] = {}
    for at in range(0, len(wanted), 500):
        rows = await Person.select(Person.id, Person.name, Person.mobile).where(
            Person.id.is_in(wanted[at : at + 500])
        )
        found.update({r["id"]: (r["name"], r["mobile"]) for r in rows})
    return found


async def credentials(mobile: str) -> tuple[uuid.UUID, str, bool] | None:
    """(person id, password hash, active) of whoever has this mobile number, for login."""
    row = (
        await Person.select(Person.id, Person.password_hash, Person.active)
        .where(Person.mobile == mobile)
        .first()
    )
    return (row["id"], row["password_hash"], row["active"]) if row else None


def code_forms(code: str) -> list[str]:
    """An administrative division code in every form it is written: the statistical code
    of 12 digits pads a town (9) and a county (6) with zeros (339922002000 is the town
    339922002, 339922000000 the county 339922); senders use any of them, and so may our
    own imported areas."""
    short = code
    while len(short) > 6 and short.endswith("000"):
        short = short[:-3]
    forms = [short + "0" * (width - len(short)) for width in (6, 9, 12) if width >= len(short)]
    return forms or [code]


async def area_paths_by_code(codes: list[str]) -> list[str]:
    forms = sorted({f for c in codes for f in code_forms(c)})
    rows = await Area.select(Area.path).where(Area.code.is_in(forms)) if forms else []
    return [r["path"] for r in rows]


async def unknown_codes(codes: list[str]) -> list[str]:
    """Those of `codes` that name none of our areas, in any form."""
    rows = await Area.select(Area.code).where(
        Area.code.is_in(sorted({f for c in codes for f in code_forms(c)}) or [""])
    )
    known = {f for r in rows for f in code_forms(r["code"])}
    return [c for c in codes if not set(code_forms(c)) & known]


async def area_shapes() -> list[tuple[str, dict]]:
    """(path, GeoJSON boundary) of every area whose boundary is known."""
    rows = await Area.select(Area.path, Area.polygon).where(Area.polygon.is_not_null())
    return [(r["path"], as_json(r["polygon"])) for r in rows if r["polygon"]]


async def place_locations() -> list[tuple[uuid.UUID, str, float | None, float | None]]:
    """(id, grid path, latitude, longitude) of every active place."""
    rows = await Place.select(Place.id, Place.area_path, Place.lat, Place.lng).where(
        Place.active.eq(True)
    )
    return [(r["id"], r["area_path"], r["lat"], r["lng"]) for r in rows]


async def place_grids(place_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The grid path of each place."""
    if not place_ids:
        return {}
    rows = await Place.select(Place.id, Place.area_path).where(Place.id.is_in(place_ids))
    return {r["id"]: r["area_path"] for r in rows}


async def area_by_path(path: str) -> AreaRecord | None:
    row = await Area.select().where(Area.path == path).first()
    return AreaRecord.from_row(row) if row else None


async def area_names(paths: list[str]) -> dict[str, str]:
    """Area names by path (for labels; no scope: names are not secrets)."""
    wanted = [p for p in set(paths) if p]
    if not wanted:
        return {}
    rows = await Area.select(Area.path, Area.name).where(Area.path.is_in(wanted))
    return {r["path"]: r["name"] for r in rows}


async def password_hash_of(person_id: uuid.UUID) -> str:
    """The stored hash ("" without a password): an import judges whether a row changes it."""
    row = await Person.select(Person.password_hash).where(Person.id == person_id).first()
    return row["password_hash"] if row else ""


async def person_names(person_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names by person id (the warning page's list of whom it reaches)."""
    if not person_ids:
        return {}
    rows = await Person.select(Person.id, Person.name).where(Person.id.is_in(person_ids))
    return {r["id"]: r["name"] for r in rows}


async def post_labels(post_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    """(the post's kind as people say it, the place it is at, if any) by post id."""
    if not post_ids:
        return {}
    rows = await Post.select(Post.id, Post.kind, Post.place.name.as_alias("place")).where(
        Post.id.is_in(post_ids)
    )
    return {r["id"]: (PostKind(r["kind"]).label, r["place"] or "") for r in rows}


@dataclass(frozen=True)
class Whereabouts:
    """Where a record is, as people name it: its town, village and grid (each may be empty)."""

    town: str = ""
    village: str = ""
    grid: str = ""

    def __str__(self) -> str:
        return " · ".join(n for n in (self.town, self.village, self.grid) if n)


async def whereabouts(paths: list[str]) -> dict[str, Whereabouts]:
    """The town, village and grid names of each area path, in one query for all of them."""
    chains = {p: _prefixes(p) for p in set(paths) if p}
    wanted = {q for qs in chains.values() for q in qs}
    if not wanted:
        return {}
    rows = await Area.select(Area.path, Area.name, Area.level).where(Area.path.is_in(list(wanted)))
    by_path = {r["path"]: r for r in rows}
    out = {}
    for path, prefixes in chains.items():
        names = {by_path[q]["level"]: by_path[q]["name"] for q in prefixes if q in by_path}
        out[path] = Whereabouts(
            town=names.get(Level.town.value, ""),
            village=names.get(Level.village.value, ""),
            grid=names.get(Level.grid.value, ""),
        )
    return out


def _prefixes(path: str) -> list[str]:
    """ "/33/3301/330101/" -> ["/33/", "/33/3301/", "/33/3301/330101/"]."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


async def people_under(scope: Scope, area: AreaRecord, limit: int = 500) -> list[PersonRecord]:
    """Active people holding an active post in an area's subtree (scoped), by name."""
    posts = Post.select(Post.person).where(under(Post.area_path, area.path) & Post.active.eq(True))
    where = all_of(Person.id.is_in(posts), Person.active.eq(True), _people_where(scope))
    rows = await Person.select().where(where).order_by(Person.name).limit(limit)
    return [PersonRecord.from_row(r) for r in rows]


async def holders_over(path: str, kinds: list[PostKind]) -> list[uuid.UUID]:
    """Active people holding one of `kinds` at `path` or at an area above it (a station's
    staff over a grid, the bureau over the station): who is told when something is late."""
    parts = path.strip("/").split("/")
    above = ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]
    rows = await Post.select(Post.person).where(
        Post.area_path.is_in(above)
        & Post.kind.is_in([k.value for k in kinds])
        & Post.active.eq(True)
        & Post.place.is_null()
    )
    return list(dict.fromkeys(r["person"] for r in rows))


async def holders_at(path: str, kind: PostKind) -> list[uuid.UUID]:
    """Active people holding `kind` for the area at `path` itself (not above, not a place)."""
    rows = await Post.select(Post.person).where(
        (Post.area_path == path)
        & (Post.kind == kind.value)
        & Post.active.eq(True)
        & Post.place.is_null()
    )
    return list(dict.fromkeys(r["person"] for r in rows))


async def holders_of_posts(post_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """post id -> its holder, for the active posts among these."""
    if not post_ids:
        return {}
    rows = await Post.select(Post.id, Post.person).where(
        Post.id.is_in(list(set(post_ids))) & Post.active.eq(True)
    )
    return {r["id"]: r["person"] for r in rows}


async def grids_under(area: AreaRecord) -> list[AreaRecord]:
    """The grids in an area's subtree (the area itself when it is a grid), by code."""
    rows = (
        await Area.select()
        .where(under(Area.path, area.path) & (Area.level == Level.grid.value))
        .order_by(Area.code)
    )
    return [AreaRecord.from_row(r) for r in rows]


async def areas_above_grids(scope: Scope, limit: int = 2000) -> list[AreaRecord]:
    """The person's areas and everything under them down to villages, in tree order: what
    lists and call-ups choose from (grids are too fine). One query per home area."""
    found: dict[str, AreaRecord] = {}
    for home in await home_areas(scope):
        rows = (
            await Area.select()
            .where(under(Area.path, home.path) & (Area.level != Level.grid.value))
            .order_by(Area.path)
            .limit(limit)
        )
        found.update((r["path"], AreaRecord.from_row(r)) for r in rows)
    return sorted(found.values(), key=lambda a: a.path)[:limit]


async def grids_in_scope(scope: Scope) -> list[AreaRecord]:
    """The grids a person works in: their own, or all under their areas, by code."""
    grids: dict[str, AreaRecord] = {}
    for area in await home_areas(scope):
        for grid in await grids_under(area):
            grids[grid.path] = grid
    return sorted(grids.values(), key=lambda g: g.code)


async def place_by_code(code: str) -> PlaceRecord | None:
    row = await Place.select(*_PLACE_COLUMNS).where(Place.code == code).first()
    return PlaceRecord.from_row(row) if row else None


async def person_by_mobile(mobile: str) -> PersonRecord | None:
    row = await Person.select().where(Person.mobile == mobile).first()
    return PersonRecord.from_row(row) if row else None


async def active_person(person_id: uuid.UUID) -> PersonRecord | None:
    row = await Person.select().where((Person.id == person_id) & Person.active.eq(True)).first()
    return PersonRecord.from_row(row) if row else None


async def person_of_post(post_id: uuid.UUID) -> uuid.UUID:
    row = await Post.select(Post.person).where(Post.id == post_id).first()
    if row is None:
        raise NotFound(PERSON_NOT_FOUND)
    return row["person"]


async def first_holders(kinds: list[PostKind]) -> list[tuple[PostKind, PersonRecord, str]]:
    """For each kind, the person with the lowest mobile number holding such a post."""
    found = []
    for kind in kinds:
        row = (
            await Post.select(
                Post.person.id.as_alias("id"),
                Post.person.name.as_alias("name"),
                Post.person.mobile.as_alias("mobile"),
                Post.person.active.as_alias("active"),
                Post.area.name.as_alias("area_name"),
                Post.place.name.as_alias("place_name"),
            )
            .where((Post.kind == kind.value) & Post.active.eq(True))
            .order_by(Post.person.mobile)
            .first()
        )
        if row:
            where = row["place_name"] or row["area_name"] or ""
            found.append((kind, PersonRecord.from_row(row), where))
    return found


#: a grid's centre lies within this many degrees (~11 km) of any point inside it
_GRID_REACH_DEG = 0.1


async def grid_at(lat: float, lng: float) -> AreaRecord | None:
    """The grid whose boundary holds the point (grids near it by centre, then their polygon)."""
    rows = await Area.select().where(
        (Area.level == Level.grid.value)
        & Area.center_lat.is_not_null()
        & (Area.center_lat >= lat - _GRID_REACH_DEG)
        & (Area.center_lat <= lat + _GRID_REACH_DEG)
        & (Area.center_lng >= lng - _GRID_REACH_DEG)
        & (Area.center_lng <= lng + _GRID_REACH_DEG)
    )
    for row in rows:
        polygon = as_json(row["polygon"]) or {}
        rings = polygon.get("coordinates") or [] if polygon.get("type") == "Polygon" else []
        if rings and inside_polygon(lat, lng, [(y, x) for x, y in rings[0]]):
            return AreaRecord.from_row(row)
    return None
