"""Figures (通报): counts and rates for an area and a period, the same rules everywhere.

整改率 is closed of those due: a hazard is due once it is closed or its deadline has passed
(one still inside its deadline counts neither way). Each area's counts are one aggregate
query over indexed columns, and the median days to close is found by the database too (the
middle of the sorted spans): no hazard rows are brought into Python, whatever the period.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from piccolo.columns.combination import Combinable
from piccolo.query.functions.aggregate import Count
from piccolo.querystring import QueryString

from server.auth.service import Viewer
from server.db import seconds_between
from server.directory import service as directory
from server.directory.records import AreaRecord
from server.directory.scope import all_of
from server.hazards.policy import OPEN, Level, Status
from server.hazards.records import Filters
from server.hazards.service import where_of
from server.hazards.tables import Hazard

ACCEPTED = [s.value for s in (Status.accepted, Status.assigned, Status.rectified, Status.closed)]
LATE = [Status.accepted.value, Status.assigned.value]


@dataclass(frozen=True)
class Totals:
    reported: int = 0
    accepted: int = 0
    closed: int = 0
    overdue: int = 0
    major_open: int = 0
    median_days: float | None = None

    @property
    def due(self) -> int:
        return self.closed + self.overdue

    @property
    def rate(self) -> float | None:
        """整改率, 0..1; None when nothing is due yet."""
        return self.closed / self.due if self.due else None


@dataclass(frozen=True)
class AreaFigures:
    area: AreaRecord
    totals: Totals


def _sum(condition: Combinable, alias: str) -> QueryString:
    return QueryString("SUM(CASE WHEN {} THEN 1 ELSE 0 END)", condition.querystring, alias=alias)


async def _count(where: Combinable | None, today: date) -> dict[str, Any]:
    query = Hazard.select(
        Count(alias="reported"),
        _sum(Hazard.status.is_in(ACCEPTED), "accepted"),
        _sum(Hazard.status == Status.closed.value, "closed"),
        _sum(Hazard.status.is_in(LATE) & (Hazard.deadline < today), "overdue"),
        _sum(
            (Hazard.level == Level.major.value) & Hazard.status.is_in([s.value for s in OPEN]),
            "major_open",
        ),
    )
    row = await (query.where(where) if where is not None else query).first()
    return {k: int(v or 0) for k, v in (row or {}).items()}


def _days_to_close() -> QueryString:
    """Days from report to closure, in the engine's own date arithmetic."""
    return QueryString("({} / 86400.0)", seconds_between(Hazard.closed_at, Hazard.reported_at))


async def _median_days(where: Combinable | None, closed: int) -> float | None:
    """The median, found by the database (the middle one or two of the sorted spans): no
    rows come to Python, whatever the period."""
    if closed <= 0:
        return None
    spans = (
        await Hazard.select(QueryString("{}", _days_to_close(), alias="days"))
        .where(all_of(where, Hazard.status == Status.closed.value, Hazard.closed_at.is_not_null()))
        .order_by(_days_to_close())
        .offset((closed - 1) // 2)
        .limit(1 if closed % 2 else 2)
    )
    values = [float(r["days"]) for r in spans]
    return round(statistics.mean(values), 1) if values else None


async def totals(viewer: Viewer, filters: Filters, today: date) -> Totals:
    where = where_of(viewer, replace(filters, status="", overdue=False), today)
    return await _totals(where, today)


async def _totals(where: Combinable | None, today: date) -> Totals:
    counts = await _count(where, today)
    return Totals(**counts, median_days=await _median_days(where, counts["closed"]))


async def by_area(
    viewer: Viewer, parent: AreaRecord, filters: Filters, today: date
) -> tuple[Totals, list[AreaFigures]]:
    """The parent's totals and one row per child area the viewer covers."""
    base = replace(filters, status="", overdue=False)
    children = [
        c
        for c in await directory.children(viewer.scope, parent)
        if viewer.scope.covers_path(c.path)
    ]
    rows = [
        AreaFigures(
            child, await _totals(where_of(viewer, replace(base, area=c_path), today), today)
        )
        for child, c_path in ((c, c.path) for c in children)
    ]
    whole = where_of(viewer, replace(base, area=parent.path), today)
    return await _totals(whole, today), rows


async def overdue_by_area(
    viewer: Viewer, parents: list[AreaRecord], today: date
) -> list[tuple[AreaRecord, int]]:
    """The home of the bureau and duty officers: overdue hazards by the areas one level under
    each of theirs (a city's districts, a district's towns), the worst first, none at zero."""
    found = []
    for parent in parents:
        for child in await directory.children(viewer.scope, parent):
            if not viewer.scope.covers_path(child.path):
                continue
            where = where_of(viewer, Filters(area=child.path, overdue=True), today)
            if count := await Hazard.count().where(where):
                found.append((child, count))
    return sorted(found, key=lambda found: -found[1])


async def overdue_by_unit(
    viewer: Viewer, parent: AreaRecord, today: date, limit: int = 500
) -> dict[str, list[dict[str, Any]]]:
    """通报: overdue hazards under an area, grouped by responsible unit, longest late first."""
    where = where_of(viewer, Filters(area=parent.path, overdue=True), today)
    rows = (
        await Hazard.select(
            Hazard.id,
            Hazard.code,
            Hazard.assignee_unit,
            Hazard.assignee_name,
            Hazard.address,
            Hazard.place_name,
            Hazard.deadline,
            Hazard.level,
        )
        .where(where)
        .order_by(Hazard.deadline)
        .limit(limit)
    )
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        row["days_late"] = (today - row["deadline"]).days
        grouped.setdefault(row["assignee_unit"] or "—", []).append(row)
    return dict(sorted(grouped.items(), key=lambda kv: -len(kv[1])))
