"""Planning pages (staff): shelters and danger zones of their areas with their flags, the
import of plans from CSV, a zone's households and their cards to print, and the forms that
edit a shelter, a zone or a household."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server import localtime
from server.auth.access import ON_DUTY, SIGNED_IN, STAFF, allow, viewer_of
from server.console.importer import Report, run_import
from server.directory import rules
from server.directory.qr import svg_of
from server.directory.service import contacts, holders_of_posts, person_by_mobile
from server.errors import NotFound, StateConflict
from server.evacuation import planning, shelters
from server.evacuation.kinds import ZoneKind
from server.evacuation.plan_import import (
    CAPACITY,
    MAX_CAPACITY,
    UNKNOWN_ZONE_KIND,
    ZONE_KINDS,
    Keepers,
    by_codes,
    household_fields,
    import_kinds,
    parse_appraised,
    parse_whole,
    special_text,
    split_codes,
)  # fmt: skip
from server.evacuation.tables import Shelter
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
    zones = await planning.zones_in(viewer.scope, inactive=True) if staff else []
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


async def _zone_context(request: Request, zone_id: uuid.UUID, **given: object) -> dict:
    viewer = viewer_of(request)
    zone = await planning.zone_in(viewer.scope, zone_id)
    planned = await planning.shelters_by_id(zone.shelter_ids)
    codes = "、".join(planned[s]["code"] for s in zone.shelter_ids if s in planned)
    context = {
        "zone": zone,
        "shelters": [planned[s] for s in zone.shelter_ids if s in planned],
        "households": await planning.cards_of(zone, inactive=True),
        "planner": bool(viewer.kinds & STAFF),
        "kinds": list(ZoneKind),
        "v": {"name": zone.name, "kind": zone.kind.value, "shelter_codes": codes,
              "active": zone.active},
        "errors": [],
    }  # fmt: skip
    return {**context, **given}


@get("/shelters/zones/{zone_id:uuid}", opt=allow(ON_DUTY))
async def show_zone(request: Request, zone_id: FromPath[uuid.UUID]) -> Template:
    """A danger zone: its shelters, its households (with their keepers), the form to edit it."""
    return render(request, "evacuation/zone.html", await _zone_context(request, zone_id))


@post("/shelters/zones/{zone_id:uuid}/edit", opt=allow(STAFF), status_code=200)
async def save_zone(request: Request, zone_id: FromPath[uuid.UUID]) -> Template | Redirect:
    """Name, kind, the shelters first choice first (their codes), active or not: a zone
    made inactive is not offered for evacuations any more."""
    form = await request.form()
    values = {k: (form.get(k) or "").strip() for k in ("name", "kind", "shelter_codes")}
    values["active"] = form.get("active") == "1"
    await planning.zone_in(viewer_of(request).scope, zone_id)
    kind, kind_problem = rules.parse_choice(values["kind"], ZONE_KINDS, UNKNOWN_ZONE_KIND)
    codes = split_codes(values["shelter_codes"])
    found = {code: row["id"] for code, row in (await by_codes(Shelter, codes)).items()}
    problems = [rules.check_name(values["name"], 120), kind_problem]
    problems += [
        (N_("No shelter has the code %(code)s"), {"code": c}) for c in codes if c not in found
    ]
    if not codes:
        problems.append((N_("Name the zone's shelters, first choice first"), {}))
    errors = [gettext(p[0], **p[1]) for p in problems if p]
    if errors:
        context = await _zone_context(request, zone_id, v=values, errors=errors)
        return render(request, "evacuation/zone.html", context, status_code=422)
    shelter_ids = [found[c] for c in dict.fromkeys(codes)]
    await planning.update_zone(zone_id, values["name"], kind, shelter_ids, active=values["active"])  # type: ignore[arg-type]
    return Redirect(f"/shelters/zones/{zone_id}", status_code=303)


async def _household_context(
    request: Request,
    household_id: uuid.UUID,
    values: dict | None = None,
    errors: Sequence[str] = (),
) -> dict:
    household = await planning.household_in(viewer_of(request).scope, household_id)
    if values is None:
        keeper = ""
        if household["keeper_post_id"]:
            holders = await holders_of_posts([household["keeper_post_id"]])
            found = await contacts(list(holders.values()))
            keeper = next(iter(found.values()))[1] if found else ""
        values = {
            "head_name": household["head_name"], "people": household["people"],
            "mobile": household["mobile"], "address": household["address"],
            "keeper_mobile": keeper, "active": household["active"],
            "special": special_text(household["residents"]),
        }  # fmt: skip
    return {"h": household, "v": values, "errors": list(errors)}


@get("/shelters/households/{household_id:uuid}/edit", opt=allow(STAFF))
async def edit_household(request: Request, household_id: FromPath[uuid.UUID]) -> Template:
    context = await _household_context(request, household_id)
    return render(request, "evacuation/household_edit.html", context)


@post("/shelters/households/{household_id:uuid}/edit", opt=allow(STAFF), status_code=200)
async def save_household(
    request: Request, household_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    """Head, people, mobile, address, keeper, special-needs people, still living there: every
    problem said, everything typed kept."""
    form = await request.form()
    names = ("head_name", "people", "mobile", "address", "keeper_mobile", "special")
    values: dict = {k: (form.get(k) or "").strip() for k in names}
    values["active"] = form.get("active") == "1"
    household = await planning.household_in(viewer_of(request).scope, household_id)
    fields, problems = await household_fields(values, household["area_path"], Keepers())
    if fields is None:
        errors = [gettext(p[0], **p[1]) for p in problems if p]
        context = await _household_context(request, household_id, values, errors)
        return render(request, "evacuation/household_edit.html", context, status_code=422)
    changed = planning.HouseholdIn(
        code=household["code"], zone_id=household["zone_id"], area_path=household["area_path"],
        head_name=fields.head_name, people=fields.people, mobile=fields.mobile,
        address=fields.address, keeper_post_id=fields.keeper_post_id, residents=fields.residents,
    )  # fmt: skip
    await planning.update_household(household_id, changed, active=values["active"])
    return Redirect(f"/shelters/zones/{household['zone_id']}", status_code=303)


ROUTES = [
    list_shelters, import_plans, zone_cards, edit_shelter, save_shelter, show_zone, save_zone,
    edit_household, save_household,
]  # fmt: skip
