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
from server.directory.qr import svg_of
from server.errors import DomainError
from server.evacuation import planning, shelters
from server.evacuation.plan_import import import_kinds
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


ROUTES = [list_shelters, import_plans, zone_cards, show_shelter, check_in, check_out]
