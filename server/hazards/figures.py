"""Figures (通报): counts and rates for an area and a period, the same rules everywhere.

整改率 is closed of those due: a hazard is due once it is closed or its deadline has passed
(one still inside its deadline counts neither way). Counts are COUNT queries over indexed
columns, never rows brought into Python.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from server.auth.service import Viewer
from server.directory.scope import all_of
from server.hazards.policy import Level, Status
from server.hazards.records import Filters
from server.hazards.service import where_of
from server.hazards.tables import Hazard

ACCEPTED = [Status.accepted, Status.assigned, Status.rectified, Status.closed]


@dataclass(frozen=True)
class Totals:
    reported: int
    accepted: int
    closed: int
    overdue: int
    major_open: int

    @property
    def due(self) -> int:
        return self.closed + self.overdue

    @property
    def rate(self) -> float | None:
        """整改率, 0..1; None when nothing is due yet."""
        return self.closed / self.due if self.due else None


async def totals(viewer: Viewer, filters: Filters, today: date) -> Totals:
    base = replace(filters, status="", overdue=False)

    async def count(*extra) -> int:
        where = all_of(where_of(viewer, base, today), *extra)
        query = Hazard.count()
        return await (query.where(where) if where is not None else query)

    return Totals(
        reported=await count(),
        accepted=await count(Hazard.status.is_in([s.value for s in ACCEPTED])),
        closed=await count(Hazard.status == Status.closed.value),
        overdue=await count(
            Hazard.status.is_in([Status.accepted.value, Status.assigned.value]),
            Hazard.deadline < today,
        ),
        major_open=await count(
            Hazard.level == Level.major.value,
            Hazard.status.is_in(
                [
                    Status.reported.value,
                    Status.accepted.value,
                    Status.assigned.value,
                    Status.rectified.value,
                ]
            ),
        ),
    )
