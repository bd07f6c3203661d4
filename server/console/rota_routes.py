"""The duty rota pages (值班表): a month of an area's days, each with its leader in charge and
its duty officer, filled one day at a time on a phone; two days swapped (调班); the empty
days of the coming flood season flagged."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from litestar import Request, get, post
from litestar.response import Redirect, Template

from server import localtime
from server.auth.access import ON_DUTY, allow, viewer_of
from server.directory import rota
from server.errors import DomainError
from server.i18n import N_, gettext
from server.web.render import render

WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def _month(text: str | None, today: date) -> date:
    try:
        return datetime.strptime(text or "", "%Y-%m").date()
    except ValueError:
        return today.replace(day=1)


async def _context(request: Request, area_path: str, first: date, **extra: object) -> dict:
    viewer = viewer_of(request)
    today = localtime.today()
    areas = await rota.areas_of(viewer.scope)
    area = next((a for a in areas if a.path == area_path), areas[0] if areas else None)
    context: dict = {"areas": areas, "area": area, "first": first, **extra}
    if area is None:
        return context
    previous = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = rota.month_days(first)[-1] + timedelta(days=1)
    context.update(
        slots=await rota.month(area.path, first),
        people=await rota.candidates(area.path),
        empty=(await rota.empty_ahead([area.path], today)).get(area.path, []),
        today=today,
        previous=f"{previous:%Y-%m}",
        following=f"{following:%Y-%m}",
        weekday=lambda d: gettext(WEEKDAYS[d.weekday()]),
    )
    return context


@get("/duty", name="duty_rota", opt=allow(ON_DUTY))
async def show_rota(request: Request) -> Template:
    params = request.query_params
    first = _month(params.get("month"), localtime.today())
    return render(
        request, "directory/rota.html", await _context(request, params.get("area") or "", first)
    )


def _person(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        raise DomainError(N_("Choose people who hold a post in this area.")) from None


def _day(value: object) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DomainError(N_("The date is not valid.")) from None


async def _after(request: Request, area_path: str, day_text: object, action) -> Template | Redirect:
    """Run the change; back to the month it was about, or the page with the reason."""
    try:
        day = date.fromisoformat(str(day_text))
    except ValueError:
        day = localtime.today()
    try:
        await action()
    except DomainError as exc:
        message = gettext(exc.message, **exc.params)
        context = await _context(request, area_path, day.replace(day=1), error=message)
        return render(request, "directory/rota.html", context, status_code=422)
    return Redirect(f"/duty?area={area_path}&month={day:%Y-%m}#day-{day}", status_code=303)


@post("/duty/slots", opt=allow(ON_DUTY), status_code=200)
async def set_slot(request: Request) -> Template | Redirect:
    form = await request.form()
    viewer = viewer_of(request)
    area_path = str(form.get("area") or "")

    async def action() -> None:
        day = _day(form.get("day"))
        leader, officer = _person(form.get("leader_id")), _person(form.get("officer_id"))
        await rota.set_slot(viewer.scope, viewer.person_id, area_path, day, leader, officer)

    return await _after(request, area_path, form.get("day"), action)


@post("/duty/swap", opt=allow(ON_DUTY), status_code=200)
async def swap_days(request: Request) -> Template | Redirect:
    form = await request.form()
    viewer = viewer_of(request)
    area_path = str(form.get("area") or "")

    async def action() -> None:
        first, second = _day(form.get("first")), _day(form.get("second"))
        await rota.swap(viewer.scope, viewer.person_id, area_path, first, second)

    return await _after(request, area_path, form.get("first"), action)


ROUTES = [show_rota, set_slot, swap_days]
