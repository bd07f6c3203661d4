"""The patrol ledger (巡查台账) as .xlsx or CSV, and coverage per grid per week: what a
station reports upwards. Scoped to the viewer's areas."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from openpyxl import Workbook

from server.auth.service import Viewer
from server.directory import service as directory
from server.directory.scope import under
from server.i18n import N_, gettext
from server.patrols.tables import CheckIn, Checkpoint, Patrol, PatrolPlan
from server.patrols.windows import ZONE

HEADERS = (
    N_("Started"),
    N_("Ended at"),
    N_("Grid"),
    N_("Plan"),
    N_("Patrolled by"),
    N_("Minutes"),
    N_("Distance (m)"),
    N_("Track points"),
    N_("Check-ins"),
    N_("Flagged for review"),
)


def week_of(day: date) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday, local time."""
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0), tzinfo=ZONE)
    return start, start + timedelta(days=7)


async def rows(viewer: Viewer, start: datetime, end: datetime, limit: int = 100_000) -> list[list]:
    """One line per patrol started in [start, end) in the viewer's areas, oldest first."""
    where = (Patrol.started_at >= start) & (Patrol.started_at < end)
    scope = viewer.scope.where(Patrol.area_path)
    if scope is not None:
        where = where & scope
    patrols = await Patrol.select().where(where).order_by(Patrol.started_at).limit(limit)
    ids = [p["id"] for p in patrols]
    counts: dict[Any, list[int]] = {}
    if ids:
        for c in await CheckIn.select(CheckIn.patrol_id, CheckIn.flagged).where(
            CheckIn.patrol_id.is_in(ids)
        ):
            entry = counts.setdefault(c["patrol_id"], [0, 0])
            entry[0] += 1
            entry[1] += bool(c["flagged"])
    plans = {
        p["id"]: p["name"]
        for p in await PatrolPlan.select(PatrolPlan.id, PatrolPlan.name).where(
            PatrolPlan.id.is_in([p["plan_id"] for p in patrols if p["plan_id"]] or [None])
        )
    }
    names = await directory.names_in_scope(viewer.scope, list({p["person_id"] for p in patrols}))
    grids = await directory.area_names([p["area_path"] for p in patrols])
    out = []
    for p in patrols:
        checked, flagged = counts.get(p["id"], [0, 0])
        started, ended = p["started_at"], p["ended_at"]
        out.append(
            [
                _local(started),
                _local(ended),
                grids.get(p["area_path"], ""),
                plans.get(p["plan_id"], ""),
                names.get(p["person_id"], ""),
                round((ended - started).total_seconds() / 60) if started and ended else None,
                round(p["distance_m"]),
                p["points"],
                checked,
                flagged,
            ]
        )
    return out


def _local(moment: datetime | None) -> datetime | None:
    """Excel has no time zones: the wall time in the city's zone."""
    return moment.astimezone(ZONE).replace(tzinfo=None) if moment else None


def xlsx(lines: list[list]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(gettext(N_("Patrol ledger")))
    sheet.append([gettext(h) for h in HEADERS])
    for line in lines:
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text(lines: list[list]) -> str:
    """CSV with a BOM, so Excel on Chinese Windows reads it as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([gettext(h) for h in HEADERS])
    for line in lines:
        writer.writerow(
            [v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else v for v in line]
        )
    return out.getvalue()


@dataclass(frozen=True)
class GridWeek:
    name: str
    patrols: int
    distance_m: float
    checkpoints: int
    covered: int

    @property
    def percent(self) -> int:
        return round(100 * self.covered / self.checkpoints) if self.checkpoints else 0


async def coverage_by_grid(viewer: Viewer, start: datetime, end: datetime) -> list[GridWeek]:
    """For each grid under the viewer's areas with a plan: patrols in the week, their
    distance, and how many of the grid's checkpoints had an unflagged check-in."""
    found = []
    for area in await directory.home_areas(viewer.scope):
        for grid in await directory.grids_under(area):
            plans = PatrolPlan.select(PatrolPlan.id).where(
                under(PatrolPlan.area_path, grid.path) & PatrolPlan.active.eq(True)
            )
            points = await Checkpoint.select(Checkpoint.id).where(Checkpoint.plan_id.is_in(plans))
            if not points:
                continue
            patrols = await Patrol.select(Patrol.id, Patrol.distance_m).where(
                under(Patrol.area_path, grid.path)
                & (Patrol.started_at >= start)
                & (Patrol.started_at < end)
            )
            checked = await CheckIn.select(CheckIn.checkpoint_id).where(
                CheckIn.patrol_id.is_in([p["id"] for p in patrols] or [None])
                & CheckIn.flagged.eq(False)
                & (CheckIn.at >= start)
                & (CheckIn.at < end)
            )
            ids = {p["id"] for p in points}
            found.append(
                GridWeek(
                    grid.name,
                    len(patrols),
                    sum(p["distance_m"] for p in patrols),
                    len(ids),
                    len(ids & {c["checkpoint_id"] for c in checked}),
                )
            )
    return found
