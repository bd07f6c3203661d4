"""Evacuation pages: start one, the live board, a field worker's households and the mark
form (offline-capable), taking a household off the roster, the return home, closing, the
after-action report."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, ServerSentEvent, Stream, Template

from server.auth.access import ON_DUTY, SIGNED_IN, allow, viewer_of
from server.errors import DomainError
from server.evacuation import board, export, planning, policy, service
from server.evacuation.kinds import Mark
from server.i18n import gettext
from server.syncing.forms import envelope
from server.syncing.service import submit
from server.web.render import render
from server.web.streams import until_stopping, version_changes

LIVE_PATTERN = r"^/evacuations/[0-9a-f-]+/live$"
POLL_SECONDS = 1.0


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


@get("/evacuations", opt=allow(ON_DUTY))
async def list_evacuations(request: Request) -> Template:
    evacuations = await service.listing(viewer_of(request))
    real, drills = await board.figures(evacuations)
    context = {"evacuations": evacuations, "real": real, "drills": drills}
    return render(request, "evacuation/list.html", context)


@get("/evacuations/new", opt=allow(ON_DUTY))
async def new_evacuation(request: Request) -> Template:
    query = request.query_params
    offer = await service.proposal(
        viewer_of(request), _uuid(query.get("warning")), _uuid(query.get("callup"))
    )
    return render(request, "evacuation/new.html", {"p": offer, "window": 30, "error": ""})


@post("/evacuations", opt=allow(ON_DUTY), status_code=200)
async def start_evacuation(request: Request) -> Template | Redirect:
    form = await request.form()
    viewer = viewer_of(request)
    try:
        window = int(form.get("window") or 30)
    except ValueError:
        window = 0
    start = service.Start(
        title=(form.get("title") or "").strip(),
        zone_ids=[z for z in map(_uuid, form.getall("zones") if "zones" in form else []) if z],
        warning_id=_uuid(form.get("warning_id")),
        callup_id=_uuid(form.get("callup_id")),
        drill=form.get("drill") == "1",
        window_minutes=window,
    )
    try:
        made = await service.start(viewer, start)
        return Redirect(f"/evacuations/{made}", status_code=303)
    except DomainError as exc:
        error = gettext(exc.message, **exc.params)
    offer = await service.proposal(viewer, start.warning_id, start.callup_id)
    offer = service.Proposal(
        start.title, start.drill, offer.zones, set(start.zone_ids), start.warning_id,
        start.callup_id,
    )  # fmt: skip
    context = {"p": offer, "window": form.get("window"), "error": error}
    return render(request, "evacuation/new.html", context, status_code=422)


@get("/evacuations/{evacuation_id:uuid}", opt=allow(SIGNED_IN))
async def show_evacuation(
    request: Request, evacuation_id: FromPath[uuid.UUID]
) -> Template | Redirect:
    viewer = viewer_of(request)
    evacuation = await service.get(viewer, evacuation_id)
    if not policy.can_watch(viewer, evacuation):
        return Redirect(f"/evacuations/{evacuation_id}/mine", status_code=303)
    context = {"e": evacuation, "b": await board.board(evacuation)}
    return render(request, "evacuation/detail.html", context, fragment="evacuation/_board.html")


@get("/evacuations/{evacuation_id:uuid}/board", opt=allow(ON_DUTY))
async def evacuation_board(request: Request, evacuation_id: FromPath[uuid.UUID]) -> Template:
    evacuation = await service.watchable(viewer_of(request), evacuation_id)
    context = {"e": evacuation, "b": await board.board(evacuation)}
    return render(request, "evacuation/_board.html", context)


@get("/evacuations/{evacuation_id:uuid}/live", opt=allow(ON_DUTY))
async def evacuation_live(request: Request, evacuation_id: FromPath[uuid.UUID]) -> ServerSentEvent:
    """Tells an open board that something changed (the evacuation's version, read once a
    second whatever process wrote it); the page fetches the board again."""
    await service.watchable(viewer_of(request), evacuation_id)

    changes = version_changes(lambda: board.version(evacuation_id), POLL_SECONDS)
    return ServerSentEvent(until_stopping(request.app.state.stopping, changes))


@get("/evacuations/{evacuation_id:uuid}/mine", opt=allow(SIGNED_IN))
async def my_households(request: Request, evacuation_id: FromPath[uuid.UUID]) -> Template:
    """The households this person answers for: the special-needs and unmarked first."""
    viewer = viewer_of(request)
    evacuation = await service.get(viewer, evacuation_id)
    rows = await service.my_rows(viewer, evacuation)
    context = {"e": evacuation, "rows": rows, "watch": policy.can_watch(viewer, evacuation)}
    return render(request, "evacuation/mine.html", context)


async def _row_context(
    viewer: Any, row_id: uuid.UUID, values: dict | None = None, error: str = ""
) -> dict[str, Any]:
    evacuation, row = await service.row_for(viewer, row_id)
    zone = (await planning.zones_by_id([row.zone_id])).get(row.zone_id)
    planned = await planning.shelters_by_id(zone.shelter_ids if zone else [])
    return {
        "e": evacuation,
        "r": row,
        "zone": zone,
        "residents": (await planning.residents_of([row.household_id]))[row.household_id],
        "shelters": [planned[s] for s in (zone.shelter_ids if zone else []) if s in planned],
        "marks": list(Mark),
        "trail": await service.trail_of(row_id),
        "values": values or {},
        "error": error,
        "watch": policy.can_watch(viewer, evacuation),
    }


@get("/evacuations/rows/{row_id:uuid}", opt=allow(SIGNED_IN))
async def show_row(request: Request, row_id: FromPath[uuid.UUID]) -> Template:
    context = await _row_context(viewer_of(request), row_id)
    return render(request, "evacuation/row.html", context)


@post("/evacuations/rows/{row_id:uuid}/mark", opt=allow(SIGNED_IN), status_code=200)
async def mark_row(request: Request, row_id: FromPath[uuid.UUID]) -> Template | Redirect:
    """A mark posted online (offline, the service worker keeps the same form). A refused one
    comes back with what was typed, and the reason."""
    form = await request.form()
    viewer = viewer_of(request)
    raw = envelope(form, viewer, entity="evac_row", op="mark", record_id=row_id)
    result = await submit(raw, viewer)
    if not result.accepted:
        context = await _row_context(viewer, row_id, raw["fields"], gettext(result.reason))
        return render(request, "evacuation/row.html", context, status_code=422)
    evacuation, _row = await service.row_for(viewer, row_id)
    return Redirect(f"/evacuations/{evacuation.id}/mine", status_code=303)


@post("/evacuations/rows/{row_id:uuid}/remove", opt=allow(ON_DUTY))
async def remove_row(request: Request, row_id: FromPath[uuid.UUID]) -> Redirect:
    form = await request.form()
    evacuation_id = await service.remove_row(viewer_of(request), row_id, form.get("reason") or "")
    return Redirect(f"/evacuations/{evacuation_id}", status_code=303)


@post("/evacuations/{evacuation_id:uuid}/return", opt=allow(ON_DUTY))
async def begin_return(request: Request, evacuation_id: FromPath[uuid.UUID]) -> Redirect:
    await service.begin_return(viewer_of(request), evacuation_id)
    return Redirect(f"/evacuations/{evacuation_id}", status_code=303)


@post("/evacuations/{evacuation_id:uuid}/close", opt=allow(ON_DUTY))
async def close_evacuation(request: Request, evacuation_id: FromPath[uuid.UUID]) -> Redirect:
    await service.close(viewer_of(request), evacuation_id)
    return Redirect(f"/evacuations/{evacuation_id}", status_code=303)


@get("/evacuations/{evacuation_id:uuid}/report.xlsx", opt=allow(ON_DUTY))
async def evacuation_report(request: Request, evacuation_id: FromPath[uuid.UUID]) -> Stream:
    evacuation = await service.watchable(viewer_of(request), evacuation_id)
    zone = request.app.state.settings.timezone
    return Stream(
        export.report_xlsx(evacuation, await board.board(evacuation), zone),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{evacuation.code}.xlsx"'},
    )


ROUTES = [
    list_evacuations,
    new_evacuation,
    start_evacuation,
    show_evacuation,
    evacuation_board,
    evacuation_live,
    my_households,
    show_row,
    mark_row,
    remove_row,
    begin_return,
    close_evacuation,
    evacuation_report,
]
