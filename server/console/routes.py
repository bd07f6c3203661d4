"""Directory pages: areas, places, people, QR codes. Every read goes through the viewer's scope."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.auth.access import FIELD, PUBLIC, SIGNED_IN, STAFF, allow, viewer_of
from server.directory import service
from server.directory.kinds import PlaceKind, PostKind
from server.directory.qr import plate_code, qr_svg
from server.errors import NotFound
from server.patrols import inspections
from server.web.forms import page_number
from server.web.render import render


@get("/areas/{area_id:uuid}", name="area", opt=allow(SIGNED_IN))
async def show_area(request: Request, area_id: FromPath[uuid.UUID]) -> Template:
    scope = viewer_of(request).scope
    area = await service.get_area(scope, area_id)
    covered = scope.covers_path(area.path)
    context = {
        "area": area,
        "covered": covered,
        "trail": await service.ancestors(area),
        "covers": lambda path: scope.covers_path(path) or scope.sees_ancestor(path),
        "children": await service.children(scope, area),
        "places": await service.list_places(scope, within=area, per_page=20) if covered else None,
        "people": await service.people_of_area(scope, area) if covered else [],
    }
    return render(request, "directory/area.html", context)


@get("/places", name="places", opt=allow(SIGNED_IN))
async def list_places(request: Request) -> Template:
    scope = viewer_of(request).scope
    params = request.query_params
    within = None
    if params.get("area"):
        try:
            within = await service.get_area(scope, uuid.UUID(params["area"]))
        except ValueError:
            within = None
    kind = params.get("kind") if params.get("kind") in PlaceKind.__members__ else None
    q = (params.get("q") or "").strip()[:50]
    page = await service.list_places(
        scope,
        within=within,
        kind=PlaceKind(kind) if kind else None,
        q=q,
        page=page_number(params.get("page")),
    )
    return render(
        request,
        "directory/places.html",
        {"page": page, "within": within, "kind": kind, "q": q, "kinds": list(PlaceKind)},
        fragment="directory/_place_list.html",
    )


@get("/places/{place_id:uuid}", name="place", opt=allow(SIGNED_IN))
async def show_place(request: Request, place_id: FromPath[uuid.UUID]) -> Template:
    scope = viewer_of(request).scope
    place = await service.get_place(scope, place_id)
    last = (await inspections.last_visits([place.id])).get(place.id)
    return render(
        request,
        "directory/place.html",
        {
            "place": place,
            # a post on a place (a dyke section) does not open the grid around it
            "grid_open": scope.covers_path(place.area_path) or scope.sees_ancestor(place.area_path),
            "qr": qr_svg(request.app.state.settings, place),
            "last_visit": last,
            "due": inspections.is_due(place, last, datetime.now(UTC)),
            "plate": plate_code(place.qr_token),
        },
    )


@get("/p/{token:str}", name="place_by_token", opt=allow(PUBLIC))
async def open_place_token(request: Request, token: FromPath[str]) -> Redirect | Template:
    """What a scanned plate opens: for staff who see the place, its page (a check-in
    later); for anyone else, its public side: the responsible persons the plate publishes
    and a tip-off about the place."""
    viewer = request.scope.get("user")
    if viewer is not None:
        try:
            place = await service.place_by_token(viewer.scope, token[:64])
            return Redirect(f"/places/{place.id}", status_code=303)
        except NotFound:
            pass  # not one of theirs: the public side, as for anyone
    public = await service.public_place(token)
    if public is None:
        raise NotFound(service.PLACE_NOT_FOUND)
    return render(
        request,
        "directory/place_public.html",
        {
            "place": public,
            "persons": await service.published_persons(public),
            "where": await service.whereabouts([public.area_path]),
        },
    )


@get("/people", name="people", opt=allow(SIGNED_IN))
async def list_people(request: Request) -> Template:
    scope = viewer_of(request).scope
    q = (request.query_params.get("q") or "").strip()[:50]
    page = await service.list_people(scope, q=q, page=page_number(request.query_params.get("page")))
    return render(
        request,
        "directory/people.html",
        {"page": page, "q": q},
        fragment="directory/_people_list.html",
    )


@get("/people/{person_id:uuid}", name="person", opt=allow(SIGNED_IN))
async def show_person(request: Request, person_id: FromPath[uuid.UUID]) -> Template:
    person = await service.get_person(viewer_of(request).scope, person_id)
    return render(
        request,
        "directory/person.html",
        {"person": person, "posts": await service.posts_of(person.id)},
    )


@get(
    "/areas/{area_id:uuid}/qr-sheet",
    name="qr_sheet",
    opt=allow(FIELD, PostKind.duty_officer, *STAFF),
)
async def qr_sheet(request: Request, area_id: FromPath[uuid.UUID]) -> Template:
    """Printable QR codes of the places of every grid under an area, one A4 page per grid."""
    scope = viewer_of(request).scope
    area = await service.get_area(scope, area_id)
    if not scope.covers_path(area.path):
        raise NotFound(service.AREA_NOT_FOUND)  # a name in the breadcrumbs, not its places
    settings = request.app.state.settings
    by_grid: dict[uuid.UUID, list] = {}
    for place in await service.places_under(scope, area):  # one query for the whole area
        by_grid.setdefault(place.grid_id, []).append(
            (place, qr_svg(settings, place), plate_code(place.qr_token))
        )
    sheets = [(grid, by_grid.get(grid.id, [])) for grid in await service.grids_under(area)]
    return render(request, "directory/qr_sheet.html", {"area": area, "sheets": sheets})


ROUTES = [show_area, list_places, show_place, open_place_token, list_people, show_person, qr_sheet]
