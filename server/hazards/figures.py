"""Figures (通报): counts and rates for an area and a period, the same rules everywhere.

整改率 is closed of those due: a hazard is due once it is closed or its deadline has passed
(one still inside its deadline counts neither way). Figures for a city or a district add up
the rollup (tally.py): counts per town and day, and a histogram of whole days to close whose
middle bucket tells which one or two hazards to read from the index of spans for the exact
median; the overdue are counted from their own index. A town's figures, and any that a
viewer sees only part of, are aggregate queries over the hazards (each area's counts one
query, the median the middle of the sorted spans). No hazard rows come to Python either way.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from piccolo.columns.combination import Combinable, WhereRaw
from piccolo.query.functions.aggregate import Count, Sum
from piccolo.querystring import QueryString

from server.auth.service import Viewer
from server.db import seconds_between
from server.directory import service as directory
from server.directory.records import AreaRecord
from server.directory.scope import all_of, under
from server.hazards import tally
from server.hazards.policy import OPEN, Level, Status
from server.hazards.records import Filters
from server.hazards.service import where_of
from server.hazards.tables import Hazard, HazardTally

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
    if _tallied(viewer, parent, children, base):
        return await _from_tally(viewer, parent, children, base, today)
    rows = [
        AreaFigures(
            child, await _totals(where_of(viewer, replace(base, area=c_path), today), today)
        )
        for child, c_path in ((c, c.path) for c in children)
    ]
    whole = where_of(viewer, replace(base, area=parent.path), today)
    return await _totals(whole, today), rows


def _tallied(
    viewer: Viewer, parent: AreaRecord, children: list[AreaRecord], filters: Filters
) -> bool:
    """The rollup answers for a whole area above the towns, by period alone."""
    return (
        viewer.scope.covers_path(parent.path)
        and all(tally.depth(c.path) <= tally.TOWN_DEPTH for c in children)
        and filters == Filters(since=filters.since, until=filters.until)
    )


@dataclass
class _Sums:
    reported: int = 0
    accepted: int = 0
    closed: int = 0
    overdue: int = 0
    major_open: int = 0
    #: whole days to close -> closed hazards
    spans: dict[int, int] = field(default_factory=dict)


async def _from_tally(
    viewer: Viewer, parent: AreaRecord, children: list[AreaRecord], filters: Filters, today: date
) -> tuple[Totals, list[AreaFigures]]:
    whole, rows = _Sums(), {c.path: _Sums() for c in children}

    def sums_of(path: str) -> list[_Sums]:
        child = next((c for c in rows if path.startswith(c)), None)
        return [whole] if child is None else [whole, rows[child]]

    day = HazardTally.day
    where = all_of(
        under(HazardTally.area_path, parent.path),
        (day >= filters.since.isoformat()) if filters.since else None,
        (day <= filters.until.isoformat()) if filters.until else None,
    )
    group = (HazardTally.area_path, HazardTally.status, HazardTally.major, HazardTally.days)
    query = HazardTally.select(*group, Sum(HazardTally.n, alias="n")).group_by(*group)
    for t in await query.where(where):
        n, status = int(t["n"] or 0), t["status"]
        for sums in sums_of(t["area_path"]):
            sums.reported += n
            sums.accepted += n if status in ACCEPTED else 0
            sums.major_open += n if t["major"] and status in {s.value for s in OPEN} else 0
            if status == Status.closed.value:
                sums.closed += n
                sums.spans[t["days"]] = sums.spans.get(t["days"], 0) + n
    period = where_of(viewer, replace(filters, area=parent.path), today, covered=True)
    late = Hazard.status.is_in(LATE) & (Hazard.deadline < today)
    overdue = Hazard.select(Hazard.area_path, Count(alias="n")).group_by(Hazard.area_path)
    for o in await overdue.where(all_of(period, late)):
        for sums in sums_of(o["area_path"]):
            sums.overdue += int(o["n"])

    async def totals_of(sums: _Sums, path: str) -> Totals:
        where = where_of(viewer, replace(filters, area=path), today, covered=True)
        median = await _median_from(sums.spans, sums.closed, where)
        counts = {k: getattr(sums, k) for k in ("reported", "accepted", "closed", "overdue")}
        return Totals(**counts, major_open=sums.major_open, median_days=median)

    return await totals_of(whole, parent.path), [
        AreaFigures(c, await totals_of(rows[c.path], c.path)) for c in children
    ]


async def _median_from(
    spans: dict[int, int], closed: int, where: Combinable | None
) -> float | None:
    """The exact median: the histogram says in which whole day the middle one (or two) lies
    and its rank there; the index of spans gives that one hazard's span."""
    if closed <= 0:
        return None
    values = []
    for rank in sorted({(closed - 1) // 2, closed // 2}):
        for days in sorted(spans):
            if rank < spans[days]:
                break
            rank -= spans[days]
        low = days * tally.SECONDS_A_DAY
        bucket = all_of(
            where,
            Hazard.status == Status.closed.value,
            WhereRaw("{} >= {}", tally.span(), low) if days > 0 else None,
            WhereRaw("{} < {}", tally.span(), low + tally.SECONDS_A_DAY),
        )
        found = await (
            Hazard.select(QueryString("{}", tally.span(), alias="span"))
            .where(bucket)
            .order_by(tally.span())
            .offset(rank)
            .limit(1)
            .first()
        )
        if found is not None:
            values.append(float(found["span"]) / tally.SECONDS_A_DAY)
    return round(statistics.mean(values), 1) if values else None


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
