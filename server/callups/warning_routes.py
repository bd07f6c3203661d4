"""Warning pages: the list, a warning typed in by staff, CAP upload (page or API)."""

from __future__ import annotations

import logging
import uuid
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.auth.access import ON_DUTY, PUBLIC, allow, viewer_of
from server.callups import cap, warnings
from server.callups.kinds import HazardType, WarningLevel
from server.directory import service as directory
from server.errors import DomainError
from server.i18n import N_, gettext
from server.web.render import render

XML_TYPES = ("application/xml", "text/xml", "application/cap+xml")
log = logging.getLogger("gridwatch.warnings")


@get("/warnings", opt=allow(ON_DUTY))
async def list_warnings(request: Request) -> Template:
    return render(
        request, "callups/warnings.html", {"warnings": await warnings.recent(viewer_of(request))}
    )


@get("/warnings/new", opt=allow(ON_DUTY))
async def new_warning(request: Request) -> Template:
    return render(request, "callups/warning_new.html", await _form_context(request, {}))


async def _form_context(request: Request, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "values": values,
        "types": list(HazardType),
        "levels": list(WarningLevel),
        "areas": await directory.areas_above_grids(viewer_of(request).scope),
    }


@post("/warnings", opt=allow(ON_DUTY), status_code=200)
async def create_warning(request: Request) -> Template | Redirect:
    form = await request.form()
    values = {
        "hazard_type": form.get("hazard_type") or "",
        "level": form.get("level") or "",
        "headline": (form.get("headline") or "")[:200],
        "description": (form.get("description") or "")[:4000],
        "area_paths": form.getall("areas") if "areas" in form else [],
        "drill": form.get("drill") == "1",
    }
    try:
        warning_id = await warnings.create_manual(
            viewer_of(request), warnings.ManualWarning(**values)
        )
    except DomainError as exc:
        context = await _form_context(request, values)
        context["error"] = gettext(exc.message)
        return render(request, "callups/warning_new.html", context, status_code=422)
    return Redirect(f"/warnings/{warning_id}", status_code=303)


@post("/warnings/cap", opt=allow(ON_DUTY), status_code=200)
async def upload_cap(request: Request) -> Response | Template | Redirect:
    """A CAP file: uploaded on the page (multipart "file"), or POSTed as XML by a feed.
    XML callers get JSON back: 201 with what was done, or 422 with the one-line reason."""
    viewer = viewer_of(request)
    as_api = request.headers.get("content-type", "").split(";")[0].strip() in XML_TYPES
    if as_api:
        data = await request.body()
    else:
        form = await request.form()
        upload = form.get("file")
        data = await upload.read() if hasattr(upload, "read") else b""
    try:
        if not data:
            raise cap.CapRefused(N_("The file is empty."))
        done = await warnings.import_cap(data, viewer.person_id)
    except cap.CapRefused as exc:
        if as_api:
            return Response({"error": exc.text()}, status_code=422)
        context = {"warnings": await warnings.recent(viewer), "error": exc.text()}
        return render(request, "callups/warnings.html", context, status_code=422)
    if as_api:
        return Response(_done_json(done), status_code=201)
    return Redirect(f"/warnings/{done.warning.id}", status_code=303)


def _done_json(done: warnings.Imported) -> dict[str, Any]:
    return {
        "action": done.action,
        "warning_id": str(done.warning.id),
        "state": done.warning.state.value,
        "level": done.warning.level.value,
        "targets": done.targets,
        "unknown_references": done.unknown_references,
    }


def _machine_answer(request: Request, body: dict[str, Any], status: int) -> Response:
    """JSON, or XML when the caller's Accept asks for it."""
    if "xml" in request.headers.get("accept", "") and "json" not in request.headers.get(
        "accept", ""
    ):
        root = Element("result" if status < 400 else "error")
        for key, value in body.items():
            child = SubElement(root, key)
            child.text = ", ".join(value) if isinstance(value, list) else str(value)
        xml = '<?xml version="1.0" encoding="utf-8"?>\n' + tostring(root, encoding="unicode")
        return Response(xml, status_code=status, media_type="application/xml")
    return Response(body, status_code=status)


@post(
    "/api/cap",
    opt=allow(PUBLIC),
    exclude_from_csrf=True,  # a warning system's server, authenticated by its key
    status_code=201,
    request_max_body_size=cap.MAX_BYTES,
)
async def post_cap(request: Request) -> Response:
    """The machine API for warning systems: a CAP alert as the body, the key (CAP_KEYS) in
    the X-Api-Key header; 201 with what was done, 422 with the reason, 401 without a key
    known here. Never a page, never a CSRF token."""
    keys = dict(request.app.state.settings.cap_keys)
    partner = keys.get(request.headers.get("x-api-key", ""))
    if partner is None:
        message = gettext(N_("An X-Api-Key header with a key given for this system is needed."))
        return _machine_answer(request, {"error": message, "status": 401}, 401)
    data = await request.body()
    try:
        if not data:
            raise cap.CapRefused(N_("The file is empty."))
        done = await warnings.import_cap(data)
    except cap.CapRefused as exc:
        return _machine_answer(request, {"error": exc.text(), "status": 422}, 422)
    log.info("CAP alert %s from %s: %s", done.warning.identifier, partner, done.action)
    return _machine_answer(request, _done_json(done), 201 if done.action != "already" else 200)


@get("/warnings/{warning_id:uuid}", opt=allow(ON_DUTY))
async def show_warning(request: Request, warning_id: FromPath[uuid.UUID]) -> Template:
    warning = await warnings.get(viewer_of(request), warning_id)
    related: dict = {
        "supersedes": await warnings.load(warning.supersedes) if warning.supersedes else None,
        "superseded_by": await warnings.load(warning.superseded_by)
        if warning.superseded_by
        else None,
    }
    names = await directory.area_names(warning.area_paths)
    viewer = viewer_of(request)
    return render(
        request,
        "callups/warning.html",
        {
            "w": warning,
            "areas": [names.get(p, p) for p in warning.area_paths],
            "targets": await warnings.reach(warning),
            "people": await warnings.people(warning),
            "shape_areas": await directory.area_names(warning.reach_areas),
            "unknown_codes": await directory.unknown_codes(warning.area_codes),
            "can_lift": warning.source == "manual"
            and warning.state.value == "active"
            and all(viewer.scope.covers_path(p) for p in warning.area_paths),
            **related,
        },
    )


@post("/warnings/{warning_id:uuid}/lift", opt=allow(ON_DUTY), status_code=200)
async def lift_warning(request: Request, warning_id: FromPath[uuid.UUID]) -> Redirect:
    await warnings.lift_manual(viewer_of(request), warning_id)
    return Redirect(f"/warnings/{warning_id}", status_code=303)


ROUTES = [
    list_warnings, new_warning, create_warning, upload_cap, post_cap, show_warning, lift_warning,
]  # fmt: skip
