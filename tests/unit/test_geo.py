"""Distances, geofences, track thinning and the speed check, against known figures."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server import geo
from server.geo import (
    EARTH_RADIUS_M,
    Fix,
    distance_m,
    inside,
    length_m,
    off_track_m,
    thin,
    too_fast,
)


@pytest.mark.parametrize(
    ("a", "b", "metres", "within"),
    [
        # one degree of latitude along a meridian: 111.2 km on the mean sphere
        ((30.0, 120.0), (31.0, 120.0), 111_195, 1),
        # one degree of longitude on the equator
        ((0.0, 0.0), (0.0, 1.0), 111_195, 1),
        # Beijing Tiananmen -> Shanghai People's Square: ~1,067 km (geodesic 1,068 km)
        ((39.9087, 116.3975), (31.2304, 121.4737), 1_067_300, 2_000),
        # Hangzhou West Lake (断桥) -> Lingyin Temple: ~4.6 km
        ((30.2595, 120.1520), (30.2408, 120.1012), 5_300, 150),
        # the same place
        ((30.1, 120.1), (30.1, 120.1), 0, 0),
        # antipodes: half the circumference
        ((0.0, 0.0), (0.0, 180.0), math.pi * 6_371_008.8, 1),
    ],
)
def test_distances(a: tuple, b: tuple, metres: float, within: float) -> None:
    assert abs(distance_m(*a, *b) - metres) <= within
    assert distance_m(*a, *b) == pytest.approx(distance_m(*b, *a))


# one metre along a meridian, in degrees of latitude
METRE = math.degrees(1 / EARTH_RADIUS_M)


@pytest.mark.parametrize(
    ("north_m", "radius", "expected"),
    [(0, 50, True), (49.9, 50, True), (50.0, 50, True), (50.1, 50, False), (500, 50, False)],
)
def test_geofence_edges(north_m: float, radius: float, expected: bool) -> None:
    fix = Fix(30.0 + north_m * METRE, 120.0, accuracy=30)
    assert inside(fix, 30.0, 120.0, radius) is expected


def test_thinning_a_straight_walk_keeps_its_ends() -> None:
    walk = [Fix(30.0 + i * 10 * METRE, 120.0) for i in range(100)]  # 1 km due north
    thinned = thin(walk, 5)
    assert thinned == [walk[0], walk[-1]]
    assert length_m(thinned) == pytest.approx(length_m(walk), rel=1e-6)


def test_thinning_keeps_a_corner() -> None:
    east = METRE / math.cos(math.radians(30))
    north = [Fix(30.0 + i * 10 * METRE, 120.0) for i in range(50)]
    turn = [Fix(north[-1].lat, 120.0 + i * 10 * east) for i in range(1, 50)]
    thinned = thin(north + turn, 5)
    assert thinned == [north[0], north[-1], turn[-1]]


tracks = st.lists(
    st.tuples(st.floats(-300, 300), st.floats(-300, 300)), min_size=1, max_size=80
).map(
    lambda steps: [
        Fix(
            30.0 + sum(s[0] for s in steps[:i]) * METRE,
            120.0 + sum(s[1] for s in steps[:i]) * METRE,
        )
        for i in range(len(steps) + 1)
    ]
)


@settings(max_examples=200, deadline=None)
@given(track=tracks, tolerance=st.sampled_from([1.0, 5.0, 20.0]))
def test_thinning_keeps_every_point_within_the_tolerance(
    track: list[Fix], tolerance: float
) -> None:
    """The stated bound: no dropped fix is farther than the tolerance from the kept line."""
    thinned = thin(track, tolerance)
    assert thinned[0] == track[0] and thinned[-1] == track[-1]
    assert all(f in track for f in thinned)
    assert max(off_track_m(f, thinned) for f in track) <= tolerance + 0.01


@pytest.mark.parametrize(
    ("moves", "flagged"),
    [
        # walking: 100 m a minute (6 km/h)
        ([(0, 0), (100, 60_000), (200, 120_000)], []),
        # a motorbike on the dyke road: 1 km a minute (60 km/h)
        ([(0, 0), (1_000, 60_000)], []),
        # 2 km in 20 s (360 km/h): a jump no one makes
        ([(0, 0), (100, 60_000), (2_100, 80_000), (2_200, 140_000)], [2]),
        # GPS jitter inside the accuracy: standing still, not racing
        ([(0, 0), (20, 1_000)], []),
        # two fixes at the same instant, far apart
        ([(0, 0), (500, 0)], [1]),
    ],
)
def test_impossible_speed(moves: list[tuple[float, int]], flagged: list[int]) -> None:
    track = [Fix(30.0 + m * METRE, 120.0, accuracy=15, at_ms=t) for m, t in moves]
    assert too_fast(track, max_kmh=120) == flagged


def _box(s: float, n: float, w: float, e: float) -> list[tuple[float, float]]:
    return [(s, w), (s, e), (n, e), (n, w), (s, w)]


def test_shapes_meet_only_where_their_insides_overlap() -> None:
    village = _box(30.0, 30.1, 120.0, 120.1)
    assert geo.rings_meet(village, _box(30.0, 30.1, 120.0, 120.1))  # the same
    assert geo.rings_meet(village, _box(30.05, 30.2, 120.05, 120.2))  # overlapping corners
    assert geo.rings_meet(village, _box(30.02, 30.03, 120.02, 120.03))  # one inside
    assert geo.rings_meet(_box(29.0, 31.0, 119.0, 121.0), village)  # the other way round
    assert geo.rings_meet(village, _box(29.9, 30.2, 120.04, 120.06))  # a band across it
    assert not geo.rings_meet(village, _box(30.0, 30.1, 120.1, 120.2))  # neighbours: a border
    assert not geo.rings_meet(village, _box(30.1, 30.2, 120.1, 120.2))  # a corner
    assert not geo.rings_meet(village, _box(31.0, 31.1, 120.0, 120.1))  # apart
    # a circle of 1 km centred 0.5 km outside the east edge reaches in; one 2 km off does not
    east = 120.1 + 0.5 / (111.32 * math.cos(math.radians(30.05)))
    assert geo.circle_meets(village, 30.05, east, 1000)
    assert not geo.circle_meets(village, 30.05, east + 1.5 / 96.4, 1000)
    assert geo.circle_meets(village, 30.05, 120.05, 10)  # centre inside
    geometry = {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.1, 30.0], [120.1, 30.1]]]}
    assert geo.rings_of(geometry) == [[(30.0, 120.0), (30.0, 120.1), (30.1, 120.1)]]
    assert geo.rings_of({"type": "MultiPolygon", "coordinates": [geometry["coordinates"]]}) == (
        geo.rings_of(geometry)
    )
    assert geo.rings_of(None) == []
