"""The patrol ledger (巡查台账) as .xlsx or CSV, and coverage per grid per week: what a
station reports upwards. Scoped to the viewer's areas."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from openpyxl import Workbook

from server import sheets
from server.auth.service import Viewer
from server.directory import service as directory
from server.i18n import N_, gettext
from server.localtime import ZONE, wall
from server.patrols.tables import CheckIn, Checkpoint, Patrol, PatrolPlan

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
                wall(started),
                wall(ended),
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


def xlsx(lines: list[list]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(gettext(N_("Patrol ledger")))
    sheets.append(sheet, [gettext(h) for h in HEADERS])
    for line in lines:
        sheets.append(sheet, line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text(lines: list[list]) -> str:
    """CSV with a BOM, so Excel on Chinese Windows reads it as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = sheets.Writer(out)
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


def _scoped(viewer: Viewer, column: Any, where: Any) -> Any:
    scope = viewer.scope.where(column)
    return where & scope if scope is not None else where


async def coverage_by_grid(viewer: Viewer, start: datetime, end: datetime) -> list[GridWeek]:
    """For each grid under the viewer's areas with a plan: patrols in the week, their
    distance, and how many of the grid's checkpoints had an unflagged check-in. Four
    queries for the whole city, grouped here by grid (a plan's area is a grid or below)."""
    grids = await directory.grids_in_scope(viewer.scope)
    plans = await PatrolPlan.select(PatrolPlan.id, PatrolPlan.area_path).where(
        _scoped(viewer, PatrolPlan.area_path, PatrolPlan.active.eq(True))
    )
    plan_ids = [p["id"] for p in plans] or [None]
    points = await Checkpoint.select(Checkpoint.id, Checkpoint.plan_id).where(
        Checkpoint.plan_id.is_in(plan_ids)
    )
    patrols = await Patrol.select(Patrol.id, Patrol.area_path, Patrol.distance_m).where(
        _scoped(viewer, Patrol.area_path, (Patrol.started_at >= start) & (Patrol.started_at < end))
    )
    checked = {
        c["checkpoint_id"]
        for c in await CheckIn.select(CheckIn.checkpoint_id).where(
            CheckIn.patrol_id.is_in([p["id"] for p in patrols] or [None])
            & CheckIn.flagged.eq(False)
            & (CheckIn.at >= start)
            & (CheckIn.at < end)
        )
    }
    path_of = {p["id"]: p["area_path"] for p in plans}
    found = []
    for grid in grids:
        ids = {c["id"] for c in points if path_of[c["plan_id"]].startswith(grid.path)}
        if not ids:
            continue
        walked = [p for p in patrols if p["area_path"].startswith(grid.path)]
        found.append(
            GridWeek(
                grid.name,
                len(walked),
                sum(p["distance_m"] for p in walked),
                len(ids),
                len(ids & checked),
            )
        )
    return found
