"""`gridwatch import areas|places|people FILE.csv` (and the kinds other packages add, such as
evacuation's plans): every bad row is reported by line number, and a file with any bad row
imports nothing (all rows go in one transaction or none do)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from server import db
from server.console.csvfile import read_rows
from server.directory import admin, rules
from server.directory.kinds import Level, PlaceKind
from server.directory.records import AreaRecord
from server.directory.service import area_by_code, place_by_code
from server.i18n import N_, gettext


@dataclass
class Report:
    kind: str  # the label's message id: 区域, 场所, 人员...
    encoding: str = ""
    rows: int = 0
    created: int = 0
    skipped: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    applied: bool = False

    def error(self, line: int, problem: rules.Problem | str) -> None:
        message, params = (problem, {}) if isinstance(problem, str) else problem
        self.errors.append((line, gettext(message, **params)))

    def summary(self, *, dry_run: bool) -> str:
        """The last line the command prints, in the operator's language like the errors."""
        verdict = (
            N_("imported")
            if self.applied
            else N_("a dry run: nothing imported")
            if dry_run and not self.errors
            else N_("NOTHING imported")
        )
        return gettext(
            N_(
                "%(kind)s: %(rows)s rows (%(encoding)s), %(created)s new, %(skipped)s already "
                "registered, %(errors)s errors: %(verdict)s"
            ),
            kind=gettext(self.kind),
            rows=self.rows,
            encoding=self.encoding,
            created=self.created,
            skipped=self.skipped,
            errors=len(self.errors),
            verdict=gettext(verdict),
        )


#: a row typed with full-width commas is one cell: said once, not as 4-5 problems
FULL_WIDTH = N_(
    "This row is separated by full-width commas (，): save the file with ASCII commas (,)."
)


Step = Callable[[], Awaitable[None]]
Rows = list[tuple[int, dict[str, str]]]


@dataclass(frozen=True)
class ImportKind:
    """What a file of one kind holds: its label, the columns it must have, and the planner
    that checks every row (errors into the report) and returns the steps that write them."""

    label: str
    required: tuple[str, ...]
    planner: Callable[[Rows, Report], Awaitable[list[Step]]]


async def run_import(
    kind: str, data: bytes, *, dry_run: bool, kinds: Mapping[str, ImportKind] | None = None
) -> Report:
    """`kinds`: the kinds this caller may import (the directory's by default)."""
    wanted = (kinds or KINDS)[kind]
    names, rows, encoding = read_rows(data)
    report = Report(kind=wanted.label, encoding=encoding, rows=len(rows))
    if len(names) == 1 and "，" in names[0]:
        report.error(1, FULL_WIDTH)
        return report
    missing = [c for c in wanted.required if c not in names]
    if missing:
        report.error(1, (N_("Missing columns: %(columns)s"), {"columns": ", ".join(missing)}))
        return report
    typed = []
    for line, row in rows:
        filled = [v for v in row.values() if v]
        if len(filled) == 1 and "，" in filled[0] and len(names) > 1:
            report.error(line, FULL_WIDTH)
        else:
            typed.append((line, row))
    steps = await wanted.planner(typed, report)
    if report.errors or dry_run:
        return report
    async with db.current().write():  # one transaction: all rows or none
        for step in steps:
            await step()
    report.applied = True
    return report


async def _plan_areas(rows: list[tuple[int, dict[str, str]]], report: Report) -> list[Step]:
    planned: dict[str, AreaRecord] = {}
    steps: list[Step] = []
    for line, row in rows:
        level, problem = rules.parse_choice(row["level"], rules.LEVEL_ALIASES, rules.UNKNOWN_LEVEL)
        if problem:
            report.error(line, problem)
            continue
        code = row["code"]
        parent_code = row.get("parent_code", "")
        parent = planned.get(parent_code)
        if parent is None and parent_code:
            parent = await area_by_code(parent_code)
        if parent_code and parent is None:
            report.error(
                line,
                (
                    N_("Parent area %(code)s is neither in the file above nor registered"),
                    {"code": parent_code},
                ),
            )
            continue
        problems = [
            rules.check_name(row["name"], 100),
            rules.check_parent_level(level, parent.level if parent else None),
            rules.check_area_code(code, level, parent.code if parent else None),
        ]
        center, coord_problem = rules.parse_coordinates(
            row.get("center_lat", ""), row.get("center_lng", "")
        )
        polygon, polygon_problem = parse_polygon(row.get("polygon", ""))
        problems += [coord_problem, polygon_problem]
        if code in planned:
            problems.append((N_("Code %(code)s appears twice in the file"), {"code": code}))
        elif not any(problems) and await area_by_code(code):
            report.skipped += 1  # already registered: left as it is
            continue
        if report_all(report, line, problems):
            continue
        # Stands in for the area until it exists: later rows only need its code and level.
        planned[code] = AreaRecord(
            id=uuid.uuid4(), code=code, name=row["name"], level=level, path="", parent_id=None
        )
        steps.append(_area_step(code, row["name"], level, parent_code or None, polygon, center))
        report.created += 1
    return steps


def report_all(report: Report, line: int, problems: list[rules.Problem | None]) -> bool:
    found = [p for p in problems if p]
    for problem in found:
        report.error(line, problem)
    return bool(found)


def _area_step(
    code: str,
    name: str,
    level: Level,
    parent_code: str | None,
    polygon: dict | None,
    center: tuple[float, float] | None,
) -> Step:
    async def step() -> None:
        parent = await area_by_code(parent_code) if parent_code else None
        await admin.create_area(
            code=code, name=name, level=level, parent=parent, polygon=polygon, center=center
        )

    return step


def parse_polygon(text: str) -> tuple[dict | None, rules.Problem | None]:
    if not text:
        return None, None
    try:
        value = json.loads(text)
    except ValueError:
        return None, (N_("The boundary is not valid GeoJSON"), {})
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        return None, (N_("The boundary must be a GeoJSON Polygon or MultiPolygon"), {})
    return value, None


async def _plan_places(rows: list[tuple[int, dict[str, str]]], report: Report) -> list[Step]:
    seen: set[str] = set()
    steps: list[Step] = []
    grids: dict[str, AreaRecord | None] = {}
    for line, row in rows:
        code = row["code"]
        kind, kind_problem = rules.parse_choice(
            row["kind"], rules.PLACE_ALIASES, rules.UNKNOWN_PLACE_KIND
        )
        position, coord_problem = rules.parse_coordinates(row.get("lat", ""), row.get("lng", ""))
        grade, grade_problem = rules.parse_risk_grade(row.get("risk_grade", ""))
        grid_code = row["grid_code"]
        if grid_code not in grids:
            grids[grid_code] = await area_by_code(grid_code)
        grid = grids[grid_code]
        problems = [
            kind_problem,
            coord_problem,
            grade_problem,
            rules.check_place_code(code),
            rules.check_name(row["name"], 120),
        ]
        if grid is None or grid.level is not Level.grid:
            problems.append((N_("No grid has the code %(code)s."), {"code": grid_code}))
        if code in seen:
            problems.append((N_("Code %(code)s appears twice in the file"), {"code": code}))
        seen.add(code)
        if report_all(report, line, problems):
            continue
        if await place_by_code(code):
            report.skipped += 1
            continue
        steps.append(
            _place_step(code, row["name"], kind, grid, row.get("address", ""), position, grade)
        )
        report.created += 1
    return steps


def _place_step(
    code: str,
    name: str,
    kind: PlaceKind,
    grid: AreaRecord | None,
    address: str,
    position: tuple[float, float] | None,
    grade: object,
) -> Step:
    async def step() -> None:
        await admin.create_place(
            code=code,
            name=name,
            kind=kind,
            grid=grid,
            address=address,
            position=position,
            risk_grade=grade,
        )  # type: ignore[arg-type]

    return step


async def _plan_people(rows: Rows, report: Report) -> list[Step]:
    from server.console.people_import import plan_people

    return await plan_people(rows, report)


KINDS = {
    "areas": ImportKind(N_("Areas"), ("code", "name", "level"), _plan_areas),
    "places": ImportKind(N_("Places"), ("code", "name", "kind", "grid_code"), _plan_places),
    "people": ImportKind(N_("People"), ("name", "mobile", "post"), _plan_people),
}
