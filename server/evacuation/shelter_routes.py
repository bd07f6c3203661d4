"""The shelter's door: who is on the way and who is inside, check-in (from the list, a
scanned card or a typed code) and check-out. (Planning pages: plan_routes.py.)"""

from __future__ import annotations

import uuid

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.auth.access import SIGNED_IN, allow, viewer_of
from server.errors import DomainError
from server.evacuation import shelters
from server.i18n import N_, gettext
from server.web.render import render


async def _door_context(request: Request, shelter_id: uuid.UUID, error: str = "") -> dict:
    shelter = await shelters.get(viewer_of(request), shelter_id)
    return {"d": await shelters.door(shelter), "error": error, "code": ""}


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


ROUTES = [show_shelter, check_in, check_out]
