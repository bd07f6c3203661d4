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
