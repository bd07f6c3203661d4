"""The back office's list of responsible departments (行业主管部门) and the sectors each
regulates: where the stations transfer what is not theirs."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from server.auth.access import ADMIN, allow, viewer_of
from server.directory import departments
from server.errors import DomainError
from server.hazards.service import categories, category_label
from server.i18n import gettext
from server.web.render import render


async def _context(**extra: object) -> dict[str, object]:
    tops = [c for c in await categories() if not c.parent]
    return {
        "departments": await departments.all_departments(),
        "sectors": [(c.code, category_label(c)) for c in tops],
        "sector_names": {c.code: category_label(c) for c in tops},
        **extra,
    }


@get("/admin/departments", name="admin_departments", opt=allow(ADMIN))
async def list_departments(request: Request) -> Template:
    return render(request, "admin/departments.html", await _context())


@post("/admin/departments", opt=allow(ADMIN), status_code=200)
async def create_department(request: Request) -> Template | Redirect:
    form = await request.form()
    try:
        await departments.create_department(
            name=form.get("name") or "",
            area_code=form.get("area_code") or "",
            sectors=form.getall("sectors") if "sectors" in form else [],
            actor_id=viewer_of(request).person_id,
        )
    except DomainError as exc:
        context = await _context(error=gettext(exc.message, **exc.params), form=form)
        return render(request, "admin/departments.html", context, status_code=400)
    return Redirect("/admin/departments", status_code=303)


ROUTES = [list_departments, create_department]
