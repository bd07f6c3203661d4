"""Patrol plan pages: the list, a new plan for a grid (checkpoints from its places), and a
plan with its checkpoints, coverage now and in its last window, and what was missed."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server import localtime
from server.auth.access import SIGNED_IN, STAFF, allow, viewer_of
from server.directory import service as directory
from server.directory.kinds import PostKind
from server.errors import DomainError
from server.i18n import gettext
from server.patrols import inspections, ledger, review, service, windows
from server.web.render import render


@get("/patrols/plans", opt=allow(SIGNED_IN))
async def list_plans(request: Request) -> Template:
    viewer = viewer_of(request)
    plans = await windows.with_coverage(await service.plans_for(viewer), datetime.now(UTC))
    return render(
        request, "patrols/plans.html", {"plans": plans, "staff": bool(viewer.kinds & STAFF)}
    )


async def _new_context(request: Request, values: dict[str, Any]) -> dict[str, Any]:
    viewer = viewer_of(request)
    grids = await directory.grids_in_scope(viewer.scope)
    grid = next((g for g in grids if g.path == values.get("area_path")), None)
    places, people = [], []
    if grid is not None:
        places = [p for p in await directory.places_under(viewer.scope, grid) if p.lat is not None]
        people = [
            person
            for person, post in await directory.people_of_area(viewer.scope, grid)
            if post.kind is PostKind.grid_member
        ]
    return {
        "values": values,
        "grids": grids,
        "grid": grid,
        "places": places,
        "people": people,
        "schedules": service.SCHEDULES,
    }


@get("/patrols/plans/new", opt=allow(STAFF))
async def new_plan(request: Request) -> Template:
    values = {"area_path": request.query_params.get("area", ""), "schedule": "daily"}
    return render(request, "patrols/plan_new.html", await _new_context(request, values))


@post("/patrols/plans", opt=allow(STAFF), status_code=200)
async def create_plan(request: Request) -> Template | Redirect:
    form = await request.form()
    values = {
        "name": (form.get("name") or "").strip(),
        "area_path": form.get("area_path") or "",
        "schedule": form.get("schedule") or "daily",
        "radius_m": form.get("radius_m") or "50",
        "place_ids": form.getall("places") if "places" in form else [],
        "assignee_ids": form.getall("assignees") if "assignees" in form else [],
    }
    try:
        plan_id = await service.create_plan(
            viewer_of(request),
            service.NewPlan(
                name=values["name"],
                area_path=values["area_path"],
                place_ids=[uuid.UUID(p) for p in values["place_ids"]],
                assignee_ids=[uuid.UUID(a) for a in values["assignee_ids"]],
                schedule=values["schedule"],
                radius_m=int(values["radius_m"]) if values["radius_m"].isdigit() else 0,
            ),
        )
    except (DomainError, ValueError) as exc:
        context = await _new_context(request, values)
        context["error"] = gettext(exc.message) if isinstance(exc, DomainError) else str(exc)
        return render(request, "patrols/plan_new.html", context, status_code=422)
    return Redirect(f"/patrols/plans/{plan_id}", status_code=303)


@get("/patrols/plans/{plan_id:uuid}", opt=allow(SIGNED_IN))
async def show_plan(request: Request, plan_id: FromPath[uuid.UUID]) -> Template:
    viewer = viewer_of(request)
    plan = await service.get_plan(viewer, plan_id)
    now = datetime.now(UTC)
    current = windows.current_window(plan["schedule"], now)
    last = windows.last_window(plan["schedule"], now)
    points = await service.checkpoints(plan_id)
    return render(
        request,
        "patrols/plan.html",
        {
            "plan": plan,
            "points": points,
            "names": {p["id"]: p["name"] for p in points},
            "now_window": current,
            "now_cover": await service.coverage(plan_id, *current),
            "last_window": last,
            "last_cover": await service.coverage(plan_id, *last) if last else None,
            "misses": await service.misses(plan_id),
            "patrols": await service.recent_patrols(plan_id),
        },
    )


@get("/patrols", opt=allow(SIGNED_IN))
async def my_patrols(request: Request) -> Template:
    """Today's tasks: the plans this person walks, with what is checked so far."""
    tasks = await windows.todays(viewer_of(request), datetime.now(UTC))
    return render(request, "patrols/mine.html", {"tasks": tasks})


@get("/patrols/walk/{plan_id:uuid}", opt=allow(SIGNED_IN))
async def walk(request: Request, plan_id: FromPath[uuid.UUID]) -> Template:
    """The walk page: works offline once opened (the patrol is made on the phone)."""
    plan = await service.get_plan(viewer_of(request), plan_id)
    return render(
        request, "patrols/walk.html", {"plan": plan, "points": await service.checkpoints(plan_id)}
    )


@get("/patrols/list", opt=allow(SIGNED_IN))
async def list_patrols(request: Request) -> Template:
    """The newest patrols in the viewer's areas (a grid member: their own)."""
    return render(
        request, "patrols/list.html", {"patrols": await review.listing(viewer_of(request))}
    )


@get("/patrols/{patrol_id:uuid}", opt=allow(SIGNED_IN))
async def show_patrol(request: Request, patrol_id: FromPath[uuid.UUID]) -> Template:
    """One patrol: its summary, its track and check-ins on the map, what was flagged."""
    view = await review.get_patrol(viewer_of(request), patrol_id)
    return render(request, "patrols/patrol.html", {"v": view})


@get("/patrols/{patrol_id:uuid}/verdicts", opt=allow(SIGNED_IN))
async def patrol_verdicts(request: Request, patrol_id: FromPath[uuid.UUID]) -> Response:
    """The server's verdict on each check-in of a patrol, for the walk page on the phone."""
    said = []
    for verdict in await review.verdicts(viewer_of(request), patrol_id):
        reason = verdict.pop("why")
        said.append({**verdict, "why": gettext(reason)})
    return Response({"verdicts": said}, headers={"Cache-Control": "no-store"})


def _week(request: Request) -> tuple[datetime, datetime, date]:
    """The week holding ?week=YYYY-MM-DD (any day of it), else this week (local time)."""
    day = localtime.parse_day(request.query_params.get("week")) or localtime.today()
    start, end = ledger.week_of(day)
    return start, end, day


@get("/patrols/coverage", opt=allow(STAFF))
async def weekly_coverage(request: Request) -> Template:
    start, end, day = _week(request)
    grids = await ledger.coverage_by_grid(viewer_of(request), start, end)
    context = {
        "grids": grids,
        "start": start,
        "end": end - timedelta(days=1),
        "week": day.isoformat(),
        "previous": (day - timedelta(days=7)).isoformat(),
        "next": (day + timedelta(days=7)).isoformat(),
    }
    return render(request, "patrols/coverage.html", context)


@get("/patrols/ledger.xlsx", opt=allow(STAFF))
async def ledger_xlsx(request: Request) -> Response:
    start, end, day = _week(request)
    data = ledger.xlsx(await ledger.rows(viewer_of(request), start, end))
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="patrols-{day}.xlsx"'},
    )


@get("/patrols/ledger.csv", opt=allow(STAFF))
async def ledger_csv(request: Request) -> Response:
    start, end, day = _week(request)
    text = ledger.csv_text(await ledger.rows(viewer_of(request), start, end))
    return Response(
        text.encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="patrols-{day}.csv"'},
    )


@get("/patrols/due", opt=allow(SIGNED_IN))
async def due_places(request: Request) -> Template:
    """The places of my grids due for inspection by their risk grade, the riskiest first."""
    due = await inspections.due_in_my_grids(viewer_of(request), datetime.now(UTC))
    return render(request, "patrols/due.html", {"due": due})


ROUTES = [
    due_places,
    list_plans,
    new_plan,
    create_plan,
    show_plan,
    my_patrols,
    walk,
    list_patrols,
    show_patrol,
    patrol_verdicts,
    weekly_coverage,
    ledger_xlsx,
    ledger_csv,
]
