"""Loading the demo city (the data lives in server/directory/demo.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from server import db, localtime
from server.directory import departments, rota
from server.directory.demo import (
    BOX,
    CITY,
    DEPARTMENTS,
    DISTRICTS,
    GENERIC,
    GEOHAZARD_VILLAGES,
    MORE_PLACES,
    RESERVOIRS,
    RIVERS,
    VILLAGE_POSTS,
    _Builder,
    _split,
)
from server.directory.kinds import Level, PlaceKind, PostKind, RiskGrade
from server.directory.service import area_by_code
from server.directory.tables import Post

#: what another domain adds to the demo city, in the same transaction, with its builder
More = Callable[[_Builder], Awaitable[None]]


async def load_demo_city(password_hash: str, more: Sequence[More] = ()) -> bool:
    """Create the demo city unless it is there, every person with `password_hash` (the hash
    of DEMO_PASSWORD: hashing is auth's), then what `more` adds (the layers above the
    directory: evacuation plans); True when it was created now."""
    if await area_by_code(CITY[0]) is not None:
        return False
    b = _Builder(password_hash)
    async with db.current().write():  # all of it or nothing
        city = await b.area(CITY[0], CITY[1], Level.city, None, BOX)
        await b.person(PostKind.admin, area=city, title="系统管理员")
        bureau = await b.person(PostKind.bureau_staff, area=city, title="市应急管理局")
        await b.person(PostKind.duty_officer, area=city, superior=bureau, title="市防指值班室")
        for d, (d_code, d_name, towns) in enumerate(DISTRICTS):
            d_box = _split(BOX, len(DISTRICTS), d, by_lat=True)
            district = await b.area(d_code, d_name, Level.district, city, d_box)
            d_staff = await b.person(
                PostKind.bureau_staff, area=district, superior=bureau, title=f"{d_name}应急管理局"
            )
            for t, (t_suffix, t_name, villages) in enumerate(towns):
                t_box = _split(d_box, len(towns), t, by_lat=False)
                town = await b.area(d_code + t_suffix, t_name, Level.town, district, t_box)
                await _town(b, town, t_box, villages, d_staff)
        # added after the first city: made last, so that everyone above keeps their number
        await _departments(b)
        await _more_places_and_roles(b)
        await _city_rota(city.path)
        for each in more:  # made last: everyone above keeps their number
            await each(b)
    return True


async def _city_rota(city_path: str) -> None:
    """This month's and next month's rota of the city: the duty room (值班室) on duty every
    day, the bureau's leader and the administrator in charge on alternate days. The towns'
    rotas are left to fill (the page flags their empty days before the flood season)."""
    people = {
        r["kind"]: r["person"]
        for r in await Post.select(Post.kind, Post.person).where(Post.area_path == city_path)
    }
    officer = people[PostKind.duty_officer.value]
    leaders = [people[PostKind.bureau_staff.value], people[PostKind.admin.value]]
    first = localtime.today().replace(day=1)
    following = rota.month_days(first)[-1] + timedelta(days=1)
    for n, day in enumerate(rota.month_days(first) + rota.month_days(following)):
        await rota.put(city_path, day, leaders[n % 2], officer, leaders[0])


async def _departments(b: _Builder) -> None:
    for area_code, name, sectors in DEPARTMENTS:
        department = await departments.create_department(
            name=name, area_code=area_code, sectors=sectors
        )
        area = await area_by_code(area_code)
        await b.person(
            PostKind.department_staff, area=area, title=name, department_id=department.id
        )


async def _more_places_and_roles(b: _Builder) -> None:
    for n, (village_code, name, kind, grade, post) in enumerate(MORE_PLACES, 1):
        grid = await area_by_code(f"{village_code}-01")
        lat, lng = grid.center_lat, grid.center_lng
        box = (lat - 0.002, lat + 0.002, lng - 0.002, lng + 0.002)
        place = await b.place(
            f"{grid.code}-N{n:02d}", name, PlaceKind(kind), grid, box, RiskGrade(grade)
        )
        if post:
            chief = await _town_post(grid.path, PostKind.flood_admin)
            await b.person(PostKind(post), place=place, superior=chief, title=f"{name}责任人")
    for area_code, kind, title in VILLAGE_POSTS:
        area = await area_by_code(area_code)
        station = await _town_post(area.path, PostKind.station_staff)
        await b.person(PostKind(kind), area=area, superior=station, title=title)


async def _town_post(path: str, kind: PostKind):
    """The post of `kind` held for the town `path` lies in (its superior in the demo)."""
    town = "/" + "/".join(path.strip("/").split("/")[:3]) + "/"
    row = (
        await Post.select(Post.id)
        .where((Post.area_path == town) & (Post.kind == kind.value))
        .first()
    )
    return row["id"] if row else None


async def _town(b: _Builder, town, box, villages, d_staff) -> None:
    station = await b.person(
        PostKind.station_staff,
        area=town,
        superior=d_staff,
        title=f"{town.name}应急消防管理站",
    )
    chief = await b.person(
        PostKind.flood_admin, area=town, superior=d_staff, title=f"{town.name}防汛行政责任人"
    )
    river = RIVERS.get(town.name)
    for v, (v_suffix, v_name, grid_count) in enumerate(villages):
        v_box = _split(box, len(villages), v, by_lat=True)
        village = await b.area(town.code + v_suffix, v_name, Level.village, town, v_box)
        if river or v_name in RESERVOIRS:
            await b.person(PostKind.flood_admin, area=village, superior=chief, title="村防汛责任人")
        grids = []
        for g in range(grid_count):
            g_box = _split(v_box, grid_count, g, by_lat=False)
            grid = await b.area(
                f"{village.code}-{g + 1:02d}", f"{v_name}第{g + 1}网格", Level.grid, village, g_box
            )
            await b.person(
                PostKind.grid_member,
                area=grid,
                superior=station,
            )
            grids.append((grid, g_box))
            for i in range(6):
                kind, names = GENERIC[(g + i + v) % len(GENERIC)]
                await b.place(
                    f"{grid.code}-{i + 1:03d}",
                    f"{v_name}{names[i % len(names)]}",
                    kind,
                    grid,
                    g_box,
                )
        await _flood_places(b, village, grids, river, chief)


async def _flood_places(b: _Builder, village, grids, river, chief) -> None:
    grid, g_box = grids[-1]
    if river:
        for k in range(2):
            start = k * 1.5
            place = await b.place(
                f"{grid.code}-D{k + 1:02d}",
                f"{river}{village.name}段 K{start:.1f}—K{start + 1.5:.1f}",
                PlaceKind.embankment,
                grid,
                g_box,
                RiskGrade.significant,
            )
            await b.person(
                PostKind.flood_guarantor,
                place=place,
                superior=chief,
                title="堤段包保",
            )
    if village.name in RESERVOIRS:
        place = await b.place(
            f"{grid.code}-R01",
            RESERVOIRS[village.name],
            PlaceKind.reservoir,
            grid,
            g_box,
            RiskGrade.major,
        )
        await b.person(
            PostKind.flood_technical, place=place, superior=chief, title="水库技术责任人"
        )
    if village.name in GEOHAZARD_VILLAGES:
        place = await b.place(
            f"{grid.code}-G01",
            f"{village.name}后山滑坡隐患点",
            PlaceKind.geohazard,
            grid,
            g_box,
            RiskGrade.major,
        )
        await b.person(PostKind.flood_guarantor, place=place, superior=chief, title="地灾点包保")
