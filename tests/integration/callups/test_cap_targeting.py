"""A warning reaches exactly the people it names (issue 17), and the call-up drafted from
it reaches the same people. The expected sets are worked out here the plain way, from the
demo city's shapes (every area is a box; places are points): an area is reached when its
box overlaps the warning's box or comes nearer than the circle's radius, a place when it
lies inside; by code, everyone on duty under the area named."""

from __future__ import annotations

import math
import uuid

import pytest

from server.callups import service
from server.callups.tables import CallupTarget
from server.callups.targets import DEFAULT_KINDS
from server.callups.warnings import import_cap, people
from server.db import as_json
from server.directory.service import area_by_code
from server.directory.tables import Area, Place, Post
from tests.integration.callups.people import OURS_CAP, viewer

pytestmark = pytest.mark.db
BUREAU = "13900000002"


def _box(geometry: str | dict) -> tuple[float, float, float, float]:
    ring = as_json(geometry)["coordinates"][0]
    lats, lngs = [p[1] for p in ring], [p[0] for p in ring]
    return min(lats), max(lats), min(lngs), max(lngs)


def _km_to_box(lat: float, lng: float, box: tuple[float, float, float, float]) -> float:
    """From a point to the nearest point of a box, in km (flat: a town is small)."""
    s, n, w, e = box
    dlat = max(s - lat, 0.0, lat - n) * 111.195
    dlng = max(w - lng, 0.0, lng - e) * 111.195 * math.cos(math.radians(lat))
    return math.hypot(dlat, dlng)


async def _expected(area_hit, place_hit) -> set[uuid.UUID]:
    """The people holding a flood-duty post at an area hit (its own post) or a place hit."""
    areas = {
        a["path"]
        for a in await Area.select(Area.path, Area.polygon)
        if area_hit(_box(a["polygon"]))
    }
    places = {
        p["id"]
        for p in await Place.select(Place.id, Place.lat, Place.lng)
        if p["lat"] is not None and place_hit(p["lat"], p["lng"])
    }
    posts = await Post.select(Post.person, Post.area_path, Post.place).where(
        Post.kind.is_in(list(DEFAULT_KINDS)) & Post.active.eq(True)
    )
    return {
        p["person"]
        for p in posts
        if (p["place"] is None and p["area_path"] in areas) or p["place"] in places
    }


async def _drafted(warning_id: uuid.UUID) -> set[uuid.UUID]:
    """The targets of a call-up drafted from the warning as the form leaves it."""
    bureau = await viewer(BUREAU)
    warning_areas = []  # no codes in these warnings: nothing ticked
    callup_id = await service.create(
        bureau,
        service.Draft(
            title="据此预警叫应",
            level="orange",
            area_paths=warning_areas,
            post_kinds=list(DEFAULT_KINDS),
            warning_id=warning_id,
        ),
    )
    rows = await CallupTarget.select(CallupTarget.person_id).where(
        CallupTarget.callup_id == callup_id
    )
    return {r["person_id"] for r in rows}


async def test_a_polygon_over_two_villages_reaches_them_and_not_the_third(demo) -> None:
    done = await import_cap((OURS_CAP / "zh_flood_two_villages.cap").read_bytes())
    south, north, west, east = 29.91, 29.99, 120.06, 120.29

    def overlaps(box: tuple[float, float, float, float]) -> bool:
        s, n, w, e = box
        return s < north and n > south and w < east and e > west

    expected = await _expected(
        overlaps, lambda lat, lng: south <= lat <= north and west <= lng <= east
    )
    shown = {r.person_id for r in await people(done.warning)}
    assert shown == expected and done.targets == len(expected) >= 2  # two administrators
    assert await _drafted(done.warning.id) == expected
    # 下湾村 (lat 30.00-30.05) lies beside the polygon: its flood administrator is not called
    xiawan = await area_by_code("339901002003")
    admin = await Post.select(Post.person).where(
        (Post.area_path == xiawan.path) & (Post.kind == "flood_admin")
    )
    assert admin and admin[0]["person"] not in shown
    assert {r.why for r in await people(done.warning)} <= {"位于预警多边形内"}


async def test_a_circle_reaches_what_lies_within_its_radius(demo) -> None:
    done = await import_cap((OURS_CAP / "zh_geohazard_drill.cap").read_bytes())
    lat, lng, km = 30.125, 120.175, 3.0

    def near(box: tuple[float, float, float, float]) -> bool:
        return _km_to_box(lat, lng, box) < km

    def within(p_lat: float, p_lng: float) -> bool:
        return _km_to_box(lat, lng, (p_lat, p_lat, p_lng, p_lng)) <= km

    expected = await _expected(near, within)
    shown = {r.person_id for r in await people(done.warning)}
    assert shown == expected and expected
    assert await _drafted(done.warning.id) == expected
    # 白沙镇 lies 12 km west: nobody there
    baisha = await area_by_code("339922001")
    assert not [a for a in done.warning.reach_areas if a.startswith(baisha.path)]


async def test_by_code_everyone_on_duty_under_the_area(demo) -> None:
    done = await import_cap((OURS_CAP / "zh_rainstorm_red.cap").read_bytes())
    county = await area_by_code("339922")
    posts = await Post.select(Post.person, Post.area_path).where(
        Post.kind.is_in(list(DEFAULT_KINDS)) & Post.active.eq(True)
    )
    expected = {p["person"] for p in posts if p["area_path"].startswith(county.path)}
    shown = await people(done.warning)
    assert {r.person_id for r in shown} == expected and done.targets == len(expected)
    assert {r.why for r in shown} == {"按区划代码命中"}


async def _under(codes: list[str]) -> set[uuid.UUID]:
    """Everyone holding a flood-duty post under the areas of these codes."""
    paths = [(await area_by_code(c)).path for c in codes]
    posts = await Post.select(Post.person, Post.area_path).where(
        Post.kind.is_in(list(DEFAULT_KINDS)) & Post.active.eq(True)
    )
    return {p["person"] for p in posts if any(p["area_path"].startswith(x) for x in paths)}


async def test_a_rainstorm_by_12_digit_code_and_polygon(demo) -> None:
    """白沙镇 named by 339922001000, whole; and a polygon over the south of 望江社区."""
    done = await import_cap((OURS_CAP / "zh_rainstorm_red_polygon_12digit.cap").read_bytes())
    south, north, west, east = 29.905, 29.945, 119.85, 120.0

    def overlaps(box: tuple[float, float, float, float]) -> bool:
        s, n, w, e = box
        return s < north and n > south and w < east and e > west

    shaped = await _expected(
        overlaps, lambda lat, lng: south <= lat <= north and west <= lng <= east
    )
    expected = shaped | await _under(["339922001"])
    shown = await people(done.warning)
    assert {r.person_id for r in shown} == expected and done.targets == len(expected)
    assert {r.why for r in shown} == {"按区划代码命中", "位于预警多边形内"}
    baisha = await area_by_code("339922001")
    # the call-up from the page: the town named by code is ticked, the shape's reach added
    bureau = await viewer(BUREAU)
    callup_id = await service.create(
        bureau,
        service.Draft(
            title="暴雨红色预警叫应",
            level="red",
            area_paths=done.warning.area_paths,
            post_kinds=list(DEFAULT_KINDS),
            warning_id=done.warning.id,
        ),
    )
    assert done.warning.area_paths == [baisha.path]
    rows = await CallupTarget.select(CallupTarget.person_id).where(
        CallupTarget.callup_id == callup_id
    )
    assert {r["person_id"] for r in rows} == expected


async def test_a_typhoon_circle_where_four_towns_meet(demo) -> None:
    done = await import_cap((OURS_CAP / "zh_typhoon_orange_circle.cap").read_bytes())
    lat, lng, km = 30.0, 120.05, 8.0

    expected = await _expected(
        lambda box: _km_to_box(lat, lng, box) < km,
        lambda p_lat, p_lng: _km_to_box(lat, lng, (p_lat, p_lat, p_lng, p_lng)) <= km,
    )
    shown = {r.person_id for r in await people(done.warning)}
    assert shown == expected and expected
    assert await _drafted(done.warning.id) == expected
    # 龙潭村 (lat 30.15-30.20) is 16 km north: not reached
    longtan = await area_by_code("339922002003")
    assert longtan.path not in done.warning.reach_areas


async def test_geological_hazards_by_code_in_any_encoding(demo) -> None:
    landslide = await import_cap((OURS_CAP / "zh_landslide_12digit.cap").read_bytes())
    expected = await _under(["339922002", "339901002"])
    assert {r.person_id for r in await people(landslide.warning)} == expected
    gb2312 = await import_cap((OURS_CAP / "zh_geohazard_gb2312.cap").read_bytes())
    assert {r.person_id for r in await people(gb2312.warning)} == await _under(["339922002"])
