"""Desk pages of tip-offs: the staff's form for one taken by phone, letter or visit (12350,
12345, a superior's transfer), and the reporter's answer on the tracking page once it is
resolved (满意 / 不满意 / 未解决)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server import localtime
from server.auth.access import PUBLIC, STAFF, allow, viewer_of
from server.directory import service as directory
from server.errors import DomainError
from server.hazards import service as hazards
from server.i18n import N_, gettext
from server.tipoffs import desk, service
from server.tipoffs.channels import DESK
from server.tipoffs.codes import normalize
from server.tipoffs.fields import FieldProblem, clean
from server.tipoffs.routes import status_context
from server.web.render import render


async def _intake_context(request: Request, values: dict[str, Any], error: str = "") -> dict:
    viewer = viewer_of(request)
    return {
        "values": values,
        "channels": DESK,
        "categories": await hazards.categories(),
        "label": hazards.category_label,
        "grids": await directory.grids_in_scope(viewer.scope),
        "error": error,
        "now": datetime.now(UTC).astimezone(localtime.ZONE).strftime("%Y-%m-%dT%H:%M"),
        "submission_id": values.get("submission_id") or uuid.uuid4(),
    }


@get("/tipoffs/intake", opt=allow(STAFF))
async def intake_form(request: Request) -> Template:
    return render(request, "tipoffs/intake.html", await _intake_context(request, {}))


def _received_at(text: str) -> datetime:
    """A datetime-local field (the city's wall time) as an aware moment."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M").replace(tzinfo=localtime.ZONE)
    except ValueError:
        raise DomainError(N_("Give the date and time it came in.")) from None


@post("/tipoffs/intake", opt=allow(STAFF), status_code=200)
async def enter_tipoff(request: Request) -> Template | Redirect:
    form = await request.form()
    values = {k: form.get(k) for k in form if isinstance(form.get(k), str)}
    try:
        categories = {c.code for c in await hazards.categories()}
        draft = clean(values, [], categories, relayed=True)  # fixed lines: callers have them
        if len(draft.description) < 5:
            raise DomainError(N_("Write down what was reported (5 characters or more)."))
        receipt = await desk.enter(
            viewer_of(request),
            draft,
            channel=values.get("channel") or "",
            received_at=_received_at(values.get("received_at") or ""),
            grid_path=values.get("area_path") or "",
            submission_id=_uuid(values.get("submission_id")),
        )
    except (FieldProblem, DomainError) as exc:
        params = exc.params if isinstance(exc, DomainError) else {}
        context = await _intake_context(request, values, gettext(exc.message, **params))
        return render(request, "tipoffs/intake.html", context, status_code=422)
    return Redirect(f"/tipoffs/{receipt.id}", status_code=303)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@post("/t/{code:str}/feedback", opt=allow(PUBLIC), status_code=200)
async def reporter_feedback(request: Request, code: FromPath[str]) -> Template | Redirect:
    """The reporter answers once it is resolved; 未解决 reopens it."""
    form = await request.form()
    words = str(form.get("words") or "")
    try:
        await desk.feedback(code, str(form.get("verdict") or ""), words)
    except DomainError as exc:
        context = await status_context(request, await service.by_code(code))
        context.update(feedback_error=gettext(exc.message, **exc.params), words=words)
        return render(request, "tipoffs/status.html", context, status_code=422)
    return Redirect(f"/t/{normalize(code)}", status_code=303)


ROUTES = [intake_form, enter_tipoff, reporter_feedback]
