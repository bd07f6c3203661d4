"""The back office for admins: people and their posts, passwords, devices, areas and places."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from litestar import Request, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from server.auth import service as auth
from server.auth.access import ADMIN, allow, viewer_of
from server.auth.passwords import hash_password, password_problem
from server.directory import admin, departments, rules, service
from server.directory.kinds import Level, PlaceKind, PostKind, RiskGrade
from server.errors import DomainError, NotFound
from server.i18n import N_, gettext
from server.notify.deliveries import PRESETS
from server.notify.service import preset_of, set_preset
from server.web.forms import page_number
from server.web.render import render


@dataclass
class PersonForm:
    name: str = ""
    mobile: str = ""
    password: str = ""


@dataclass
class PostForm:
    kind: str = ""
    area_code: str = ""
    place_code: str = ""
    superior_mobile: str = ""
    title: str = ""
    #: a department's id, for a department-staff post
    department: str = ""


@dataclass
class PasswordForm:
    password: str = ""


@dataclass
class PlaceForm:
    code: str = ""
    name: str = ""
    kind: str = "other"
    grid_code: str = ""
    address: str = ""
    lat: str = ""
    lng: str = ""
    risk_grade: str = "3"


def _message(exc: DomainError) -> str:
    return gettext(exc.message, **exc.params)


@get("/admin", name="admin", opt=allow(ADMIN))
async def admin_index(request: Request) -> Template:
    q = (request.query_params.get("q") or "").strip()[:50]
    scope = viewer_of(request).scope
    people = await service.list_people(
        scope, q=q, page=page_number(request.query_params.get("page"))
    )
    return render(
        request,
        "admin/index.html",
        {"page": people, "q": q, "form": PersonForm()},
        fragment="directory/_people_list.html",
    )


@post("/admin/people", opt=allow(ADMIN))
async def create_person(request: Request, data: URLEncodedBody[PersonForm]) -> Template | Redirect:
    viewer = viewer_of(request)
    try:
        problem = password_problem(data.password) if data.password else None
        if problem:
            raise DomainError(problem)
        hashed = await hash_password(data.password) if data.password else ""
        person = await admin.create_person(
            name=data.name.strip(),
            mobile=data.mobile.strip(),
            password_hash=hashed,
            actor_id=viewer.person_id,
        )
    except DomainError as exc:
        people = await service.list_people(viewer.scope)
        return render(
            request,
            "admin/index.html",
            {
                "page": people,
                "q": "",
                "form": PersonForm(data.name, data.mobile),
                "error": _message(exc),
            },
            status_code=exc.status_code,
        )
    return Redirect(f"/admin/people/{person.id}", status_code=303)


async def _person_page(request: Request, person_id: uuid.UUID, **extra: object) -> Template:
    scope = viewer_of(request).scope
    person = await service.get_person(scope, person_id)
    context = {
        "person": person,
        "posts": await service.posts_of(person.id, active_only=False),
        "devices": await auth.devices(person.id),
        "post_kinds": list(PostKind),
        "post_form": PostForm(),
        "departments": await departments.all_departments(),
        "presets": [(k, gettext(v.label)) for k, v in PRESETS.items()],
        "preset": await preset_of(person.id),
        **extra,
    }
    status = 400 if "error" in extra else 200
    return render(request, "admin/person.html", context, status_code=status)


@get("/admin/people/{person_id:uuid}", name="admin_person", opt=allow(ADMIN))
async def show_person(request: Request, person_id: FromPath[uuid.UUID]) -> Template:
    return await _person_page(request, person_id)


@post("/admin/people/{person_id:uuid}/ladder", opt=allow(ADMIN))
async def set_ladder(request: Request, person_id: FromPath[uuid.UUID]) -> Template | Redirect:
    """How urgent and routine messages reach this person (push first, text first...)."""
    form = await request.form()
    person = await service.get_person(viewer_of(request).scope, person_id)
    try:
        await set_preset(viewer_of(request), person.id, form.get("preset") or "")
    except DomainError as exc:
        return await _person_page(request, person_id, error=_message(exc))
    return Redirect(f"/admin/people/{person.id}", status_code=303)


@post("/admin/people/{person_id:uuid}/password", opt=allow(ADMIN))
async def reset_password(
    request: Request, person_id: FromPath[uuid.UUID], data: URLEncodedBody[PasswordForm]
) -> Template:
    """Set the given password, or make a temporary one that is shown once."""
    viewer = viewer_of(request)
    person = await service.get_person(viewer.scope, person_id)
    password = data.password or "-".join(f"{secrets.randbelow(10**4):04d}" for _ in range(3))
    problem = password_problem(password)
    if problem:
        return await _person_page(request, person.id, error=gettext(problem))
    await admin.set_password_hash(
        person.id, await hash_password(password), actor_id=viewer.person_id
    )
    # whoever held the old password is signed out everywhere (ASVS 3.3.3)
    await auth.revoke_all(person.id, actor_id=viewer.person_id, keep=viewer.session_id)
    shown = None if data.password else password
    return await _person_page(
        request, person.id, notice=gettext(N_("Password changed.")), temporary_password=shown
    )


@post("/admin/people/{person_id:uuid}/devices/revoke", opt=allow(ADMIN))
async def revoke_devices(request: Request, person_id: FromPath[uuid.UUID]) -> Template:
    viewer = viewer_of(request)
    person = await service.get_person(viewer.scope, person_id)
    count = await auth.revoke_all(person.id, actor_id=viewer.person_id)
    return await _person_page(
        request,
        person.id,
        notice=gettext(N_("%(count)s devices logged out."), count=count),
    )


@post("/admin/people/{person_id:uuid}/active", opt=allow(ADMIN))
async def toggle_active(request: Request, person_id: FromPath[uuid.UUID]) -> Template:
    viewer = viewer_of(request)
    person = await service.get_person(viewer.scope, person_id)
    await admin.set_active(person.id, not person.active, actor_id=viewer.person_id)
    if person.active:
        await auth.revoke_all(person.id, actor_id=viewer.person_id)
    return await _person_page(request, person.id)


@post("/admin/people/{person_id:uuid}/posts", opt=allow(ADMIN))
async def add_post(
    request: Request, person_id: FromPath[uuid.UUID], data: URLEncodedBody[PostForm]
) -> Template:
    viewer = viewer_of(request)
    person = await service.get_person(viewer.scope, person_id)
    try:
        kind = PostKind(data.kind) if data.kind in PostKind.__members__ else None
        if kind is None:
            raise DomainError(N_("Choose a post."))
        area = await service.area_by_code(data.area_code.strip()) if data.area_code else None
        place = await service.place_by_code(data.place_code.strip()) if data.place_code else None
        if (data.area_code and area is None) or (data.place_code and place is None):
            raise DomainError(N_("No area or place has that code."))
        path = place.area_path if place else area.path if area else ""
        superior = None
        if data.superior_mobile.strip():
            superior = await service.person_by_mobile(data.superior_mobile.strip())
            post_above = await admin.superior_post_for(superior.id, path) if superior else None
            if post_above is None:
                raise DomainError(N_("That superior holds no post above this one."))
            superior = post_above
        department = None
        if data.department:
            try:
                department = await departments.get_department(uuid.UUID(data.department))
            except (ValueError, NotFound):
                raise DomainError(departments.DEPARTMENT_NOT_FOUND) from None
        if department and area is None:
            area = await service.area_by_path(department.area_path)
        await admin.add_post(
            person_id=person.id,
            kind=kind,
            area=area,
            place=place,
            superior_id=superior.id if superior else None,
            title=data.title.strip(),
            department_id=department.id if department else None,
            actor_id=viewer.person_id,
        )
    except DomainError as exc:
        return await _person_page(request, person.id, error=_message(exc), post_form=data)
    return await _person_page(request, person.id, notice=gettext(N_("Post added.")))


@post("/admin/posts/{post_id:uuid}/end", opt=allow(ADMIN))
async def end_post(request: Request, post_id: FromPath[uuid.UUID]) -> Redirect:
    viewer = viewer_of(request)
    person_id = await service.person_of_post(post_id)
    await admin.end_post(post_id, actor_id=viewer.person_id)
    return Redirect(f"/admin/people/{person_id}", status_code=303)


@get("/admin/places/new", name="admin_new_place", opt=allow(ADMIN))
async def new_place(request: Request) -> Template:
    return render(
        request,
        "admin/place_form.html",
        {
            "form": PlaceForm(grid_code=request.query_params.get("grid", "")),
            "kinds": list(PlaceKind),
            "grades": list(RiskGrade),
        },
    )


@post("/admin/places", opt=allow(ADMIN))
async def create_place(request: Request, data: URLEncodedBody[PlaceForm]) -> Template | Redirect:
    viewer = viewer_of(request)
    try:
        grid = await service.area_by_code(data.grid_code.strip())
        if grid is None or grid.level is not Level.grid:
            raise DomainError(N_("No grid has the code %(code)s."), code=data.grid_code)
        kind, problem = rules.parse_choice(data.kind, rules.PLACE_ALIASES, rules.UNKNOWN_PLACE_KIND)
        position, coord_problem = rules.parse_coordinates(data.lat, data.lng)
        grade, grade_problem = rules.parse_risk_grade(data.risk_grade)
        for found in (problem, coord_problem, grade_problem):
            if found:
                raise DomainError(found[0], **found[1])
        place = await admin.create_place(
            code=data.code.strip(),
            name=data.name.strip(),
            kind=kind,
            grid=grid,
            address=data.address.strip(),
            position=position,
            risk_grade=grade,
            actor_id=viewer.person_id,
        )
    except DomainError as exc:
        return render(
            request,
            "admin/place_form.html",
            {
                "form": data,
                "kinds": list(PlaceKind),
                "grades": list(RiskGrade),
                "error": _message(exc),
            },
            status_code=exc.status_code,
        )
    return Redirect(f"/places/{place.id}", status_code=303)


@dataclass
class AreaForm:
    code: str = ""
    name: str = ""
    level: str = "grid"
    parent_code: str = ""
    center_lat: str = ""
    center_lng: str = ""


def _area_context(form: AreaForm, **extra: object) -> dict[str, object]:
    return {"form": form, "levels": list(Level), **extra}


@get("/admin/areas/new", name="admin_new_area", opt=allow(ADMIN))
async def new_area(request: Request) -> Template:
    form = AreaForm(parent_code=request.query_params.get("parent", ""))
    return render(request, "admin/area_form.html", _area_context(form))


@post("/admin/areas", opt=allow(ADMIN))
async def create_area(request: Request, data: URLEncodedBody[AreaForm]) -> Template | Redirect:
    viewer = viewer_of(request)
    try:
        level, problem = rules.parse_choice(data.level, rules.LEVEL_ALIASES, rules.UNKNOWN_LEVEL)
        center, coord_problem = rules.parse_coordinates(data.center_lat, data.center_lng)
        for found in (problem, coord_problem):
            if found:
                raise DomainError(found[0], **found[1])
        parent = await service.area_by_code(data.parent_code.strip()) if data.parent_code else None
        if data.parent_code and parent is None:
            raise DomainError(N_("No area has the code %(code)s"), code=data.parent_code)
        area = await admin.create_area(
            code=data.code.strip(),
            name=data.name.strip(),
            level=level,
            parent=parent,
            center=center,
            actor_id=viewer.person_id,
        )
    except DomainError as exc:
        return render(
            request,
            "admin/area_form.html",
            _area_context(data, error=_message(exc)),
            status_code=exc.status_code,
        )
    return Redirect(f"/areas/{area.id}", status_code=303)


@get("/admin/places/{place_id:uuid}/edit", name="admin_edit_place", opt=allow(ADMIN))
async def edit_place(request: Request, place_id: FromPath[uuid.UUID]) -> Template:
    place = await service.get_place(viewer_of(request).scope, place_id)
    form = PlaceForm(
        code=place.code,
        name=place.name,
        kind=place.kind.value,
        grid_code="",
        address=place.address,
        lat="" if place.lat is None else str(place.lat),
        lng="" if place.lng is None else str(place.lng),
        risk_grade=place.risk_grade.value,
    )
    return render(
        request,
        "admin/place_form.html",
        {"form": form, "place": place, "kinds": list(PlaceKind), "grades": list(RiskGrade)},
    )


@post("/admin/places/{place_id:uuid}", opt=allow(ADMIN))
async def update_place(
    request: Request, place_id: FromPath[uuid.UUID], data: URLEncodedBody[PlaceForm]
) -> Template | Redirect:
    viewer = viewer_of(request)
    place = await service.get_place(viewer.scope, place_id)
    try:
        kind, problem = rules.parse_choice(data.kind, rules.PLACE_ALIASES, rules.UNKNOWN_PLACE_KIND)
        position, coord_problem = rules.parse_coordinates(data.lat, data.lng)
        grade, grade_problem = rules.parse_risk_grade(data.risk_grade)
        for found in (problem, coord_problem, grade_problem, rules.check_name(data.name, 120)):
            if found:
                raise DomainError(found[0], **found[1])
        await admin.update_place(
            place.id,
            actor_id=viewer.person_id,
            name=data.name.strip(),
            kind=kind.value,
            address=data.address.strip(),
            lat=position[0] if position else None,
            lng=position[1] if position else None,
            risk_grade=grade.value,
        )
    except DomainError as exc:
        return render(
            request,
            "admin/place_form.html",
            {
                "form": data,
                "place": place,
                "kinds": list(PlaceKind),
                "grades": list(RiskGrade),
                "error": _message(exc),
            },
            status_code=exc.status_code,
        )
    return Redirect(f"/places/{place.id}", status_code=303)


ROUTES = [
    new_area,
    create_area,
    edit_place,
    update_place,
    admin_index,
    create_person,
    show_person,
    reset_password,
    set_ladder,
    revoke_devices,
    toggle_active,
    add_post,
    end_post,
    new_place,
    create_place,
]
