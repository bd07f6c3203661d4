"""Shelter pages: the shelters one manages (or, for staff, those of their areas with their
planning flags, the danger zones that go to them and the import of plans from CSV), and the
door: check-in and check-out."""

from __future__ import annotations

import uuid

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server import localtime
from server.auth.access import ON_DUTY, SIGNED_IN, STAFF, allow, viewer_of
from server.console.importer import Report, run_import
from server.directory import rules
from server.directory.qr import svg_of
from server.directory.service import contacts, person_by_mobile
from server.errors import DomainError, NotFound, StateConflict
from server.evacuation import planning, shelters
from server.evacuation.plan_import import (
    CAPACITY,
    MAX_CAPACITY,
    import_kinds,
    parse_appraised,
    parse_whole,
)  # fmt: skip
from server.i18n import N_, gettext
from server.web.render import render


async def _list_context(request: Request) -> dict:
    viewer = viewer_of(request)
    staff = bool(viewer.kinds & ON_DUTY)
    found = await (
        shelters.with_occupancy(await planning.shelter_rows_in(viewer.scope))
        if staff
        else shelters.mine(viewer)
    )
    zones = await planning.zones_in(viewer.scope) if staff else []
    return {
        "shelters": found,
        "zones": zones,
        "households": await planning.household_counts([z.id for z in zones]),
        "planner": bool(viewer.kinds & STAFF),
        "today": localtime.today(),
        "report": None,
        "kind": "shelters",
    }


@get("/shelters", opt=allow(SIGNED_IN))
async def list_shelters(request: Request) -> Template:
    return render(request, "evacuation/shelters.html", await _list_context(request))


@post("/shelters/import", opt=allow(STAFF), status_code=200)
async def import_plans(request: Request) -> Template:
    """A CSV of shelters, danger zones or households, within the staff member's areas;
    "check" only reports. The page shows every bad row by line, or what was imported."""
    form = await request.form()
    kinds = import_kinds(viewer_of(request).scope)
    kind = form.get("kind") if form.get("kind") in kinds else "shelters"
    upload = form.get("file")
    data = await upload.read() if hasattr(upload, "read") else b""
    if data:
        report = await run_import(kind, data, dry_run=form.get("check") == "1", kinds=kinds)
    else:
        report = Report(kinds[kind].label)
        report.error(0, N_("Choose a CSV file to import."))
    context = await _list_context(request)
    context.update(report=report, kind=kind, checked=form.get("check") == "1")
    return render(
        request, "evacuation/shelters.html", context, status_code=422 if report.errors else 200
    )


async def _door_context(request: Request, shelter_id: uuid.UUID, error: str = "") -> dict:
    shelter = await shelters.get(viewer_of(request), shelter_id)
    return {"d": await shelters.door(shelter), "error": error, "code": ""}


@get("/shelters/zones/{zone_id:uuid}/cards", opt=allow(ON_DUTY))
async def zone_cards(request: Request, zone_id: FromPath[uuid.UUID]) -> Template:
    """Printable 转移明白卡 of a zone's households: the shelter planned, the keeper, and the
    household's code as a QR code for the shelter's door to scan."""
    zone = await planning.zone_in(viewer_of(request).scope, zone_id)
    planned = await planning.shelters_by_id(zone.shelter_ids)
    context = {
        "zone": zone,
        "shelters": [planned[s] for s in zone.shelter_ids if s in planned],
        "cards": [(c, svg_of(c.code, c.code, scale=3)) for c in await planning.cards_of(zone)],
    }
    return render(request, "evacuation/cards.html", context)


async def _edit_context(
    request: Request, shelter_id: uuid.UUID, values: dict | None = None
) -> dict:
    shelter = await shelters.get(viewer_of(request), shelter_id)
    if not shelters.can_plan(viewer_of(request), shelter):
        raise NotFound(shelters.NOT_FOUND)
    if values is None:
        manager = await contacts([shelter.manager_id]) if shelter.manager_id else {}
        values = {
            "name": shelter.name, "capacity": shelter.capacity, "address": shelter.address,
            "facilities": shelter.facilities, "appraised_on": shelter.appraised_on,
            "open": shelter.open,
            "manager_mobile": manager[shelter.manager_id][1] if manager else "",
        }  # fmt: skip
    return {"s": shelter, "v": values, "errors": {}}


@get("/shelters/{shelter_id:uuid}/edit", opt=allow(STAFF))
async def edit_shelter(request: Request, shelter_id: FromPath[uuid.UUID]) -> Template:
    return render(request, "evacuation/shelter_edit.html", await _edit_context(request, shelter_id))


@post("/shelters/{shelter_id:uuid}/edit", opt=allow(STAFF), status_code=200)
async def save_shelter(request: Request, shelter_id: FromPath[uuid.UUID]) -> Template | Redirect:
    """Capacity, manager, appraisal, facilities, open or closed: each bad field said beside
    it, everything typed kept."""
    form = await request.form()
    names = ("name", "capacity", "address", "facilities", "appraised_on", "manager_mobile")
    values: dict = {k: (form.get(k) or "").strip() for k in names}
    values["open"] = form.get("open") == "1"
    context = await _edit_context(request, shelter_id, values)
    errors: dict[str, str] = {}
    capacity, problem = parse_whole(values["capacity"], 1, MAX_CAPACITY, CAPACITY)
    if problem:
        errors["capacity"] = gettext(problem[0], **problem[1])
    appraised, problem = parse_appraised(values["appraised_on"])
    if problem:
        errors["appraised_on"] = gettext(problem[0], **problem[1])
    if problem := rules.check_name(values["name"], 120):
        errors["name"] = gettext(problem[0], **problem[1])
    manager = None
    if values["manager_mobile"]:
        manager = await person_by_mobile(values["manager_mobile"].replace(" ", ""))
        if manager is None:
            errors["manager_mobile"] = gettext(
                N_("Nobody is registered with %(mobile)s"), mobile=values["manager_mobile"]
            )
    if not errors:
        edit = shelters.ShelterEdit(
            values["name"], capacity or 0, manager.id if manager else None,
            values["address"][:255], values["facilities"][:300], appraised, values["open"],
        )  # fmt: skip
        try:
            await shelters.update(viewer_of(request), shelter_id, edit)
            return Redirect("/shelters", status_code=303)
        except StateConflict as exc:
            errors["open"] = gettext(exc.message, **exc.params)
    context["errors"] = errors
    return render(request, "evacuation/shelter_edit.html", context, status_code=422)


@get("/shelters/{shelter_id:uuid}", opt=allow(SIGNED_IN))
async def show_shelter(request: Request, shelter_id: FromPath[uuid.UUID]) -> Template:
    return render(request, "evacuation/shelter.html", await _door_context(request, shelter_id))


@post("/shelters/{shelter_id:uuid}/checkin", opt=allow(SIGNED_IN), status_code=200)
async def check_in(request: Request, shelter_id: FromPath[uuid.UUID]) -> Template | Redirect:
    form = await request.form()
    raw = (form.get("heads") or "").strip()
    try:
        heads = int(raw) if raw else None
        await shelters.check_in(viewer_of(request), shelter_id, form.get("code") or "", heads)
    except ValueError:
        error = gettext(N_("The head count is a whole number."))
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        error = gettext(exc.message, **exc.params)
    else:
        return Redirect(f"/shelters/{shelter_id}", status_code=303)
    context = await _door_context(request, shelter_id, error)
    context["code"] = form.get("code") or ""
    return render(request, "evacuation/shelter.html", context, status_code=422)


@post("/shelters/{shelter_id:uuid}/checkout/{row_id:uuid}", opt=allow(SIGNED_IN))
async def check_out(
    request: Request, shelter_id: FromPath[uuid.UUID], row_id: FromPath[uuid.UUID]
) -> Redirect:
    await shelters.check_out(viewer_of(request), shelter_id, row_id)
    return Redirect(f"/shelters/{shelter_id}", status_code=303)


ROUTES = [
    list_shelters, import_plans, zone_cards, edit_shelter, save_shelter, show_shelter, check_in,
    check_out,
]  # fmt: skip
