"""Distances and shapes on the ground, pure: great-circle distance, geofences, thinning a
GPS track, and the speed a track implies. Used by hazards (on-site verification) and patrols.

Coordinates are WGS-84 degrees as phones report them. (Chinese map tiles use GCJ-02; the
few hundred metres of that offset matter for drawing on such tiles, not for distances
between fixes that all come from the same phones.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
#: a fix on a geofence's edge is inside; a millimetre absorbs floating-point rounding
EDGE_M = 0.001


@dataclass(frozen=True)
class Fix:
    """One GPS fix: where, how sure (metres, 68 %), and when (ms since the epoch)."""

    lat: float
    lng: float
    accuracy: float = 0.0
    at_ms: int = 0


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine): within 0.5 % of the ellipsoid."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def inside(fix: Fix, lat: float, lng: float, radius_m: float) -> bool:
    """Whether a fix counts as standing inside a geofence: its distance to the centre is at
    most the radius (the edge is inside, to the millimetre). The fix's accuracy does not
    widen the fence: a fix too vague to tell is judged on where it says it is, and its
    accuracy is recorded beside the check-in for review."""
    return distance_m(fix.lat, fix.lng, lat, lng) <= radius_m + EDGE_M


def _local(origin: Fix, fix: Fix) -> tuple[float, float]:
    """Metres east and north of `origin` (equirectangular: exact enough over a patrol)."""
    x = math.radians(fix.lng - origin.lng) * math.cos(math.radians(origin.lat)) * EARTH_RADIUS_M
    y = math.radians(fix.lat - origin.lat) * EARTH_RADIUS_M
    return x, y


def _off_segment(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in metres from p to the segment a-b (all in local metres)."""
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return math.hypot(p[0] - ax, p[1] - ay)
    t = max(0.0, min(1.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / length2))
    return math.hypot(p[0] - (ax + t * dx), p[1] - (ay + t * dy))


def thin(track: Sequence[Fix], tolerance_m: float) -> list[Fix]:
    """Fewer points, same shape: Douglas-Peucker. Every dropped fix lies within
    `tolerance_m` of the kept polyline; the first and last fixes are always kept."""
    if len(track) <= 2:
        return list(track)
    origin = track[0]
    xy = [_local(origin, f) for f in track]
    keep = [False] * len(track)
    keep[0] = keep[-1] = True
    stack = [(0, len(track) - 1)]
    while stack:  # iterative: a day's track must not hit the recursion limit
        first, last = stack.pop()
        worst, worst_at = -1.0, -1
        for i in range(first + 1, last):
            off = _off_segment(xy[i], xy[first], xy[last])
            if off > worst:
                worst, worst_at = off, i
        if worst > tolerance_m:
            keep[worst_at] = True
            stack += [(first, worst_at), (worst_at, last)]
    return [f for f, kept in zip(track, keep, strict=True) if kept]


def off_track_m(fix: Fix, track: Sequence[Fix]) -> float:
    """How far a fix lies from a polyline (metres): what thinning promises to bound."""
    if not track:
        return math.inf
    origin = track[0]
    p = _local(origin, fix)
    xy = [_local(origin, f) for f in track]
    if len(xy) == 1:
        return math.hypot(p[0] - xy[0][0], p[1] - xy[0][1])
    return min(_off_segment(p, a, b) for a, b in pairwise(xy))


def length_m(track: Sequence[Fix]) -> float:
    return sum(distance_m(a.lat, a.lng, b.lat, b.lng) for a, b in pairwise(track))


def too_fast(track: Sequence[Fix], max_kmh: float) -> list[int]:
    """Indexes of fixes reached from the previous one faster than `max_kmh` (a person on
    foot or a motorbike on a dyke road does not do 200 km/h): flagged for review, not
    refused. Movement within the two fixes' accuracy is not counted as movement."""
    flagged = []
    for i in range(1, len(track)):
        a, b = track[i - 1], track[i]
        seconds = (b.at_ms - a.at_ms) / 1000
        moved = distance_m(a.lat, a.lng, b.lat, b.lng) - a.accuracy - b.accuracy
        if moved <= 0:
            continue
        if seconds <= 0 or moved / seconds * 3.6 > max_kmh:
            flagged.append(i)
    return flagged


def inside_polygon(lat: float, lng: float, ring: list[tuple[float, float]]) -> bool:
    """Whether a point lies in a ring of (lat, lng): ray casting on the degrees (fine at a
    town's scale)."""
    inside = False
    for (lat1, lng1), (lat2, lng2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (lng1 > lng) != (lng2 > lng):
            cross = lat1 + (lng - lng1) * (lat2 - lat1) / (lng2 - lng1)
            if lat < cross:
                inside = not inside
    return inside


Ring = list[tuple[float, float]]  # (lat, lng) pairs
#: degrees: a point this close to an edge is on it (about a millimetre)
_ON_EDGE = 1e-8


def rings_of(geometry: dict | None) -> list[Ring]:
    """The outer rings of a GeoJSON Polygon or MultiPolygon ([lng, lat]) as (lat, lng)."""
    if not geometry:
        return []
    kind, coordinates = geometry.get("type"), geometry.get("coordinates") or []
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    return [[(float(p[1]), float(p[0])) for p in polygon[0]] for polygon in polygons if polygon]


def _edges(ring: Ring) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    return list(zip(ring, ring[1:] + ring[:1], strict=True))


def _on_edge(point: tuple[float, float], ring: Ring) -> bool:
    return any(_off_segment(point, a, b) <= _ON_EDGE for a, b in _edges(ring))


def _strictly_inside(point: tuple[float, float], ring: Ring) -> bool:
    return inside_polygon(point[0], point[1], ring) and not _on_edge(point, ring)


def _cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


Point = tuple[float, float]


def segments_meet(p1: Point, p2: Point, q1: Point, q2: Point, *, touching: bool) -> bool:
    """Whether two segments cross at a point inside both; with `touching`, also where one
    ends on the other or they overlap (a polygon edge laid on another: CAP refuses it)."""
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    if d1 * d2 < 0 and d3 * d4 < 0:
        return True
    if not touching:
        return False

    def on(a: Point, b: Point, c: Point) -> bool:  # c within the box of a-b
        return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(
            a[1], b[1]
        )

    return (
        (d1 == 0 and on(q1, q2, p1))
        or (d2 == 0 and on(q1, q2, p2))
        or (d3 == 0 and on(p1, p2, q1))
        or (d4 == 0 and on(p1, p2, q2))
    )


def _inner_points(ring: Ring) -> list[tuple[float, float]]:
    """Points that stand for a ring's inside: its vertices, edge midpoints and centroid."""
    n = len(ring) - 1 if len(ring) > 1 and ring[0] == ring[-1] else len(ring)
    corners = ring[:n]
    middles = [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for a, b in _edges(corners)]
    centre = (sum(p[0] for p in corners) / n, sum(p[1] for p in corners) / n) if n else (0, 0)
    return [*corners, *middles, centre]


def rings_meet(a: Ring, b: Ring) -> bool:
    """Whether two rings' insides overlap: edges that cross, or a point standing for one
    strictly inside the other. Neighbours that only share a border do not meet (two
    villages side by side are not both in a warning drawn over one of them)."""
    if any(segments_meet(*p, *q, touching=False) for p in _edges(a) for q in _edges(b)):
        return True
    return any(_strictly_inside(p, b) for p in _inner_points(a)) or any(
        _strictly_inside(p, a) for p in _inner_points(b)
    )


def circle_meets(ring: Ring, lat: float, lng: float, radius_m: float) -> bool:
    """Whether a circle (centre, metres) and a ring's inside overlap: the centre inside, or
    an edge nearer to the centre than the radius."""
    if inside_polygon(lat, lng, ring):
        return True
    origin = Fix(lat, lng)
    local = [_local(origin, Fix(p[0], p[1])) for p in ring]
    return any(_off_segment((0.0, 0.0), a, b) < radius_m for a, b in _edges(local))
