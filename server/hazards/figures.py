"""Figures (通报): counts and rates for an area and a period, the same rules everywhere.

整改率 is closed of those due: a hazard is due once it is closed or its deadline has passed
(one still inside its deadline counts neither way). Each area's counts are one aggregate
query over indexed columns; rows are never brought into Python except closed ones of the
period, for the median days to close.
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


async def _median_days(where: Combinable | None, prefixes: list[str]) -> dict[str, float]:
    """Median days from report to closure, by which of `prefixes` the hazard lies under."""
    query = Hazard.select(Hazard.area_path, Hazard.reported_at, Hazard.closed_at).where(
        all_of(where, Hazard.status == Status.closed.value, Hazard.closed_at.is_not_null())
    )
    days: dict[str, list[float]] = {p: [] for p in prefixes}
    for row in await query:
        span = (row["closed_at"] - row["reported_at"]).total_seconds() / 86400
        for prefix in prefixes:
            if row["area_path"].startswith(prefix):
                days[prefix].append(span)
                break
    return {p: round(statistics.median(v), 1) for p, v in days.items() if v}


async def totals(viewer: Viewer, filters: Filters, today: date) -> Totals:
    where = where_of(viewer, replace(filters, status="", overdue=False), today)
    counts = await _count(where, today)
    medians = await _median_days(where, ["/"])
    return Totals(**counts, median_days=medians.get("/"))


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
    whole = where_of(viewer, replace(base, area=parent.path), today)
    medians = await _median_days(whole, [c.path for c in children])
    rows = []
    for child in children:
        counts = await _count(where_of(viewer, replace(base, area=child.path), today), today)
        rows.append(AreaFigures(child, Totals(**counts, median_days=medians.get(child.path))))
    all_medians = await _median_days(whole, [parent.path])
    parent_totals = Totals(**await _count(whole, today), median_days=all_medians.get(parent.path))
    return parent_totals, rows


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
