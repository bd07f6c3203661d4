"""Directory rules as tables: codes, parents, posts, mobiles, coordinates; and Scope."""

from __future__ import annotations

import uuid

import pytest

from server.directory import rules
from server.directory.kinds import Level, PostKind
from server.directory.scope import Scope


@pytest.mark.parametrize(
    ("code", "level", "parent", "ok"),
    [
        ("339900", Level.city, None, True),
        ("33990", Level.city, None, False),
        ("339901", Level.district, "339900", True),
        ("349901", Level.district, "339900", False),
        ("339901001", Level.town, "339901", True),
        ("339902001", Level.town, "339901", False),
        ("339901001001", Level.village, "339901001", True),
        ("339901001001-01", Level.grid, "339901001001", True),
        ("339901001001-01", Level.grid, "339901001002", False),
        ("339901001001", Level.grid, "339901001001", False),
        ("33990100100a", Level.village, None, False),
    ],
)
def test_area_codes(code: str, level: Level, parent: str | None, ok: bool) -> None:
    assert (rules.check_area_code(code, level, parent) is None) is ok


@pytest.mark.parametrize(
    ("level", "parent", "ok"),
    [
        (Level.city, None, True),
        (Level.district, Level.city, True),
        (Level.grid, Level.village, True),
        (Level.village, Level.district, False),
        (Level.town, None, False),
        (Level.city, Level.city, False),
    ],
)
def test_parent_levels(level: Level, parent: Level | None, ok: bool) -> None:
    assert (rules.check_parent_level(level, parent) is None) is ok


@pytest.mark.parametrize(
    ("kind", "level", "on_place", "ok"),
    [
        (PostKind.grid_member, Level.grid, False, True),
        (PostKind.grid_member, Level.village, False, False),
        (PostKind.grid_member, None, True, False),
        (PostKind.flood_guarantor, None, True, True),
        (PostKind.flood_admin, Level.town, False, True),
        (PostKind.station_staff, Level.town, False, True),
        (PostKind.station_staff, Level.city, False, False),
        (PostKind.bureau_staff, Level.district, False, True),
        (PostKind.admin, Level.town, False, False),
        (PostKind.duty_officer, None, False, False),
    ],
)
def test_posts(kind: PostKind, level: Level | None, on_place: bool, ok: bool) -> None:
    assert (rules.check_post(kind, level, on_place) is None) is ok


@pytest.mark.parametrize(
    ("mobile", "ok"),
    [
        ("13900000001", True),
        ("19912345678", True),
        ("12900000001", False),
        ("1390000000", False),
        ("139000000012", False),
        ("+8613900000001", False),
    ],
)
def test_mobiles(mobile: str, ok: bool) -> None:
    assert (rules.check_mobile(mobile) is None) is ok


@pytest.mark.parametrize(
    ("lat", "lng", "value", "ok"),
    [
        ("", "", None, True),
        ("30.1", "120.2", (30.1, 120.2), True),
        ("x", "1", None, False),
        ("91", "120", None, False),
        ("30", "", None, False),
    ],
)
def test_coordinates(lat: str, lng: str, value, ok: bool) -> None:
    parsed, problem = rules.parse_coordinates(lat, lng)
    assert (problem is None) is ok and parsed == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("网格员", PostKind.grid_member),
        ("包保责任人", PostKind.flood_guarantor),
        ("admin", PostKind.admin),
        ("国王", None),
    ],
)
def test_post_aliases(value: str, expected: PostKind | None) -> None:
    choice, problem = rules.parse_choice(value, rules.POST_ALIASES, rules.UNKNOWN_POST)
    assert choice == expected and (problem is None) is (expected is not None)


def test_scope_keeps_outermost_subtrees() -> None:
    scope = Scope.of(None, ["/1/2/3/", "/1/2/", "/1/9/", "/1/2/3/4/"], [])
    assert scope.prefixes == ("/1/2/", "/1/9/")


@pytest.mark.parametrize(
    ("path", "covers", "ancestor"),
    [
        ("/1/2/", True, False),
        ("/1/2/5/", True, False),
        ("/1/", False, True),
        ("/1/3/", False, False),
        ("/1/22/", False, False),
    ],
)
def test_scope_paths(path: str, covers: bool, ancestor: bool) -> None:
    scope = Scope.of(uuid.uuid4(), ["/1/2/"], [])
    assert scope.covers_path(path) is covers
    assert scope.sees_ancestor(path) is ancestor


def test_everything_scope_has_no_where() -> None:
    from server.directory.tables import Place

    assert Scope.of(None, [], [], everything=True).where(Place.area_path) is None
