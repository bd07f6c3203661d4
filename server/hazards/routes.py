"""Hazard pages: report (offline-capable), the hazard with its timeline and actions, lists."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Stream, Template

from server import localtime
from server.auth.access import ADMIN, BUREAU, SIGNED_IN, STAFF, allow, viewer_of
from server.auth.service import Viewer
from server.directory import departments
from server.directory import service as directory
from server.directory.kinds import PostKind
from server.directory.records import AreaRecord
from server.directory.scope import is_path
from server.errors import DomainError, NotFound
from server.hazards import casework, export, figures, service
from server.hazards.adapter import may_handle, of_department
from server.hazards.fields import coordinate
from server.hazards.policy import (
    LABELS,
    SUPERVISION_FIELDS,
    Level,
    RecheckResult,
    RejectReason,
    Status,
)
from server.hazards.records import Filters, HazardRecord
from server.i18n import gettext
from server.notify.service import opened_page, waiting_actions
from server.syncing.forms import envelope
from server.web.forms import page_number
from server.web.render import render


async def _report_context(request: Request, values: dict[str, Any]) -> dict[str, Any]:
    viewer = viewer_of(request)
    return {
        "categories": await service.categories(),
        "label": service.category_label,
        "grids": await directory.grids_in_scope(viewer.scope),
        "levels": list(Level),
        "values": values,
        "record_id": values.get("record_id") or uuid.uuid4(),
        "mutation_id": uuid.uuid4(),
        "radius": request.app.state.settings.hazard_nearby_m,
    }


@get("/hazards/new", name="new_hazard", opt=allow(SIGNED_IN))
async def new_hazard(request: Request) -> Template:
    viewer = viewer_of(request)
    values: dict[str, Any] = {"source": "grid", "level": Level.general.value}
    place_id = request.query_params.get("place")
    if place_id:
        try:
            place = await directory.get_place(viewer.scope, uuid.UUID(place_id))
        except (ValueError, NotFound):
            place = None
        if place:
            values.update(
                place_id=place.id,
                place_name=place.name,
                area_path=place.area_path,
                address=place.address,
                lat=place.lat,
                lng=place.lng,
            )
    if viewer.kinds & STAFF and not viewer.kinds & {PostKind.grid_member}:
        values["source"] = "staff"
    return render(request, "hazards/new.html", await _report_context(request, values))


@post("/hazards", opt=allow(SIGNED_IN), status_code=200)
async def report_hazard(request: Request) -> Template | Redirect:
    form = await request.form()
    viewer = viewer_of(request)
    try:
        record_id = uuid.UUID(form.get("record_id") or "")
    except ValueError:
        record_id = uuid.uuid4()
    raw = envelope(form, viewer, entity="hazard", op="report", record_id=record_id)
    result = await service.report(viewer, raw)
    if result.accepted:
        return Redirect(f"/hazards/{record_id}", status_code=303)
    context = await _report_context(request, {**raw["fields"], "record_id": record_id})
    context["error"] = gettext(result.reason)
    return render(request, "hazards/new.html", context, status_code=422)


@get("/hazards/nearby", opt=allow(SIGNED_IN))
async def nearby_hazards(request: Request) -> Template:
    params = request.query_params
    try:
        lat = coordinate("lat", params.get("lat"))
        lng = coordinate("lng", params.get("lng"))
    except ValueError:
        lat = lng = None
    category = (params.get("category") or "")[:40]
    found = []
    if lat is not None and lng is not None and category:
        radius = request.app.state.settings.hazard_nearby_m
        found = await service.nearby(viewer_of(request), category, lat, lng, radius)
    return render(request, "hazards/_nearby.html", {"found": found})


def _filters(request: Request) -> Filters:
    params = request.query_params

    status = params.get("status") or ""
    return Filters(
        area=area if is_path(area := params.get("area") or "") else "",
        category=(params.get("category") or "")[:40],
        level=params.get("level") if params.get("level") in Level.__members__ else "",
        status=status if status == "open" or status in Status.__members__ else "",
        overdue=params.get("overdue") == "1",
        since=localtime.parse_day(params.get("since")),
        until=localtime.parse_day(params.get("until")),
        mine=params.get("mine") == "1",
        supervised=params.get("supervised") == "1",
        q=(params.get("q") or "").strip()[:40],
        transferred=params.get("transferred") == "1",
        recheck=params.get("recheck") == "1",
    )


@get("/hazards", name="hazards", opt=allow(SIGNED_IN))
async def list_hazards(request: Request) -> Template:
    viewer = viewer_of(request)
    filters = _filters(request)
    params = request.query_params
    kept = [(k, v) for k, v in params.multi_items() if k not in ("page", "after") and v]
    page = await service.ledger(
        viewer, filters, page=page_number(params.get("page")), after=params.get("after") or ""
    )
    return render(
        request,
        "hazards/list.html",
        {
            "page": page,
            "filters": filters,
            "query": urlencode(kept),
            "base": f"/hazards?{urlencode(kept)}&" if kept else "/hazards?",
            "categories": await service.categories(),
            "label": service.category_label,
            "statuses": list(Status),
            "levels": list(Level),
            "today": service.today_local(),
            "staff": bool(viewer.kinds & STAFF),
            "areas": await directory.areas_above_grids(viewer.scope, limit=300),
            "where": await directory.whereabouts([h.area_path for h in page.items]),
        },
        fragment="hazards/_rows.html",
    )


def _centre(area: AreaRecord | None) -> str:
    """Where a map opens without a position: the area's centre, as "lat,lng"."""
    if area is None or area.center_lat is None:
        return ""
    return f"{area.center_lat},{area.center_lng}"


async def _detail_context(request: Request, hazard: HazardRecord) -> dict[str, Any]:
    viewer = viewer_of(request)
    department = str(hazard.department_id) if hazard.department_id else None
    staff = bool(viewer.kinds & STAFF) or of_department(viewer, department)
    people = []
    if staff and hazard.status in (Status.accepted, Status.reported, Status.assigned):
        people = await _assignable(viewer, hazard)
    duplicates = []
    if staff and hazard.status in (Status.reported, Status.accepted) and hazard.lat is not None:
        duplicates = [
            (h, d)
            for h, d in await service.nearby(
                viewer, hazard.category, hazard.lat, hazard.lng or 0, 500, limit=10
            )
            if h.id != hazard.id
        ]
    default_days = 30 if hazard.level is Level.major else 7
    return {
        "h": hazard,
        "where": (await directory.whereabouts([hazard.area_path])).get(hazard.area_path, ""),
        "center": _centre(await directory.area_by_path(hazard.area_path)),
        "events": await service.timeline(hazard.id),
        "staff": staff,
        "supervisor": bool(viewer.kinds & BUREAU),
        "handler": may_handle(
            viewer,
            hazard.area_path,
            str(hazard.assignee_id) if hazard.assignee_id else None,
            department,
        ),
        "of_department": of_department(viewer, department),
        **await _transfer_context(viewer, hazard),
        "viewer": viewer,
        "people": people,
        "duplicates": duplicates,
        # 不属于本辖区 is a transfer now: the reason stays for the records made before
        "reasons": [r for r in RejectReason if r is not RejectReason.outside],
        "recheck_results": list(RecheckResult),
        "delister": casework.of_supervising_unit(viewer, hazard.supervision_unit),
        "levels": list(Level),
        "today": service.today_local(),
        "default_deadline": service.today_local() + timedelta(days=default_days),
        "supervision_fields": [(k, gettext(v)) for k, v in SUPERVISION_FIELDS.items()],
        **LABELS,
    }


async def _transfer_context(viewer: Viewer, hazard: HazardRecord) -> dict[str, Any]:
    """The departments a station may transfer the hazard to, the one responsible for its
    sector first; None responsible: the town keeps it (the form says so)."""
    if not viewer.kinds & STAFF or hazard.status not in (Status.reported, Status.accepted):
        return {"departments": [], "responsible": None}
    over = await departments.departments_over(hazard.area_path)
    responsible = departments.responsible(over, hazard.category)
    if responsible:
        over = [responsible, *[d for d in over if d.id != responsible.id]]
    return {"departments": over, "responsible": responsible}


async def _assignable(viewer: Viewer, hazard: HazardRecord) -> list[Any]:
    """People with posts in the hazard's town (its path's first four levels)."""
    parts = hazard.area_path.strip("/").split("/")
    town = "/" + "/".join(parts[:3]) + "/"
    area = await directory.area_by_path(town)
    if area is None:
        return []
    return await directory.people_under(viewer.scope, area)


@get("/hazards/{hazard_id:uuid}", name="hazard", opt=allow(SIGNED_IN))
async def show_hazard(request: Request, hazard_id: FromPath[uuid.UUID]) -> Template:
    viewer = viewer_of(request)
    hazard = await service.get(viewer, hazard_id)
    await opened_page(viewer.person_id, f"/hazards/{hazard_id}")
    return render(request, "hazards/detail.html", await _detail_context(request, hazard))


@post("/hazards/{hazard_id:uuid}/{op:str}", opt=allow(SIGNED_IN), status_code=200)
async def act_on_hazard(
    request: Request, hazard_id: FromPath[uuid.UUID], op: FromPath[str]
) -> Template | Redirect:
    """Every action on a hazard: the form's fields become one mutation of `op`."""
    viewer = viewer_of(request)
    hazard = await service.get(viewer, hazard_id)
    form = await request.form()
    raw = envelope(form, viewer, entity="hazard", op=op, record_id=hazard_id)
    result = await service.act(viewer, hazard_id, raw)
    if result.accepted:
        return Redirect(f"/hazards/{hazard_id}", status_code=303)
    context = await _detail_context(request, hazard)
    context.update(error=gettext(result.reason), error_op=op)
    return render(request, "hazards/detail.html", context, status_code=422)


@get("/hazards/{hazard_id:uuid}/sheet", opt=allow(SIGNED_IN))
async def assignment_sheet(request: Request, hazard_id: FromPath[uuid.UUID]) -> Template:
    """交办单: one A4 page to print, sign and file."""
    hazard = await service.get(viewer_of(request), hazard_id)
    return render(
        request,
        "hazards/sheet.html",
        {"h": hazard, "events": await service.timeline(hazard.id), "today": service.today_local()},
    )


async def _figures_context(request: Request) -> dict[str, Any]:
    """The area (?area=id, else the viewer's first home area) and period (?since, ?until;
    by default this month so far) that the figures and the bulletin are about."""
    viewer = viewer_of(request)
    filters = _filters(request)
    today = service.today_local()
    since = filters.since or today.replace(day=1)
    until = filters.until or today
    area = None
    try:
        area = await directory.get_area(
            viewer.scope, uuid.UUID(request.query_params.get("area", ""))
        )
    except (ValueError, NotFound):
        homes = await directory.home_areas(viewer.scope)
        area = homes[0] if homes else None
    if area is None or not viewer.scope.covers_path(area.path):
        raise NotFound(directory.AREA_NOT_FOUND)
    period = Filters(since=since, until=until)
    whole, rows = await figures.by_area(viewer, area, period, today)
    return {
        "area": area,
        "trail": await directory.ancestors(area),
        "covers": viewer.scope.covers_path,
        "since": since,
        "until": until,
        "today": today,
        "whole": whole,
        "rows": rows,
    }


@get("/hazards/figures", opt=allow(STAFF))
async def hazard_figures(request: Request) -> Template:
    """整改率 and the other figures by area, with a bar chart drawn on the server."""
    return render(request, "hazards/figures.html", await _figures_context(request))


@get("/hazards/bulletin", opt=allow(STAFF))
async def hazard_bulletin(request: Request) -> Template:
    """The printable bulletin (通报): figures by area and overdue items by responsible unit."""
    context = await _figures_context(request)
    context["late"] = await figures.overdue_by_unit(
        viewer_of(request), context["area"], context["today"]
    )
    return render(request, "hazards/bulletin.html", context)


@get("/admin/hazard-categories", opt=allow(ADMIN))
async def list_categories(request: Request) -> Template:
    return render(
        request,
        "hazards/categories.html",
        {
            "categories": await service.categories(active_only=False),
            "label": service.category_label,
        },
    )


@post("/admin/hazard-categories", opt=allow(ADMIN), status_code=200)
async def add_category(request: Request) -> Template | Redirect:
    form = await request.form()
    try:
        await service.add_category(
            viewer_of(request),
            form.get("code") or "",
            form.get("name") or "",
            form.get("name_en") or "",
            form.get("parent") or "",
        )
    except DomainError as exc:
        context = {
            "categories": await service.categories(active_only=False),
            "label": service.category_label,
            "error": gettext(exc.message, **exc.params),
            "form": dict(form),
        }
        return render(request, "hazards/categories.html", context, status_code=400)
    return Redirect("/admin/hazard-categories", status_code=303)


@post("/admin/hazard-categories/{code:str}/active", opt=allow(ADMIN))
async def toggle_category(request: Request, code: FromPath[str]) -> Redirect:
    form = await request.form()
    await service.set_category_active(viewer_of(request), code[:40], form.get("active") == "1")
    return Redirect("/admin/hazard-categories", status_code=303)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@get("/hazards/ledger.xlsx", opt=allow(STAFF))
async def ledger_xlsx(request: Request) -> Stream:
    name = quote(export.filename("xlsx"))
    return Stream(
        export.xlsx(viewer_of(request), _filters(request)),
        media_type=XLSX,
        headers={"content-disposition": f"attachment; filename*=UTF-8''{name}"},
    )


@get("/hazards/ledger.csv", opt=allow(STAFF))
async def ledger_csv(request: Request) -> Stream:
    name = quote(export.filename("csv"))
    return Stream(
        export.csv_chunks(viewer_of(request), _filters(request)),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f"attachment; filename*=UTF-8''{name}"},
    )


@get("/inbox", name="inbox", opt=allow(SIGNED_IN))
async def inbox(request: Request) -> Template:
    viewer = viewer_of(request)
    items = await service.notices(viewer)
    await service.mark_read(viewer)
    waiting = await waiting_actions(viewer)
    return render(request, "hazards/inbox.html", {"items": items, "waiting": waiting, **LABELS})


ROUTES = [
    new_hazard,
    report_hazard,
    nearby_hazards,
    list_hazards,
    show_hazard,
    act_on_hazard,
    assignment_sheet,
    ledger_xlsx,
    ledger_csv,
    hazard_figures,
    hazard_bulletin,
    list_categories,
    add_category,
    toggle_category,
    inbox,
]
