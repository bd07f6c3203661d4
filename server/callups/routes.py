"""Call-up pages: draft and send, the live board, the target's answer page (offline-capable),
a target's timeline, the after-action report."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, ServerSentEvent, Stream, Template

from server.auth.access import ON_DUTY, SIGNED_IN, allow, viewer_of
from server.callups import answers, board, export, service, warnings
from server.callups.kinds import Answer, WarningLevel
from server.callups.targets import CHOOSABLE, DEFAULT_KINDS
from server.directory import service as directory
from server.directory.kinds import Level
from server.directory.records import AreaRecord
from server.errors import DomainError, NotFound
from server.i18n import gettext
from server.notify.service import opened_page
from server.syncing.forms import envelope
from server.syncing.service import submit
from server.web.forms import page_number
from server.web.render import render
from server.web.streams import until_stopping, version_changes

LIVE_PATTERN = r"^/callups/[0-9a-f-]+/live$"
POLL_SECONDS = 1.0


@get("/callups", opt=allow(ON_DUTY))
async def list_callups(request: Request) -> Template:
    viewer = viewer_of(request)
    callups = await service.listing(viewer)
    return render(
        request,
        "callups/list.html",
        {
            "callups": callups,
            "real": await board.figures(callups, drill=False),
            "drills": await board.figures(callups, drill=True),
        },
    )


@get("/callups/new", opt=allow(ON_DUTY))
async def new_callup(request: Request) -> Template:
    values: dict[str, Any] = {"post_kinds": list(DEFAULT_KINDS), "level": "orange", "rounds": 3}
    warning_id = request.query_params.get("warning")
    if warning_id:
        try:
            w = await warnings.get(viewer_of(request), uuid.UUID(warning_id))
        except (ValueError, NotFound):
            w = None
        if w:
            values.update(
                warning_id=w.id,
                title=w.headline,
                level=w.level.value,
                area_paths=w.area_paths,
                drill=w.drill,
            )
    return render(request, "callups/new.html", await _new_context(request, values))


async def _new_context(request: Request, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "values": values,
        # drafted from a warning: whom its polygons and circles reach, besides the areas
        "shapes": await service.shape_reach(viewer_of(request), values.get("warning_id")),
        "windows": dict(request.app.state.settings.callup_windows),
        "levels": list(WarningLevel),
        "kinds": CHOOSABLE,
        "areas": _by_town(await directory.areas_above_grids(viewer_of(request).scope)),
    }


def _by_town(areas: list[AreaRecord]) -> list[tuple[AreaRecord, list[AreaRecord]]]:
    """The area picker's rows: each town with its villages folded under it (a district has
    dozens), every other area by itself; the areas come in tree order."""
    rows: list[tuple[AreaRecord, list[AreaRecord]]] = []
    for area in areas:
        town = rows[-1][0] if rows else None
        if (
            area.level is Level.village
            and town is not None
            and town.level is Level.town
            and area.path.startswith(town.path)
        ):
            rows[-1][1].append(area)
        else:
            rows.append((area, []))
    return rows


def _int(value: Any, default: int | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return -1


@post("/callups", opt=allow(ON_DUTY), status_code=200)
async def create_callup(request: Request) -> Template | Redirect:
    form = await request.form()
    warning = form.get("warning_id") or ""
    draft = service.Draft(
        title=(form.get("title") or "").strip(),
        body=(form.get("body") or "").strip(),
        level=form.get("level") or "",
        area_paths=form.getall("areas") if "areas" in form else [],
        post_kinds=form.getall("post_kinds") if "post_kinds" in form else [],
        drill=form.get("drill") == "1",
        window_minutes=_int(form.get("window"), None)
        or dict(request.app.state.settings.callup_windows).get(form.get("level") or ""),
        max_rounds=_int(form.get("rounds"), 3) or 0,
        warning_id=uuid.UUID(warning) if len(warning) == 36 else None,
    )
    viewer = viewer_of(request)
    shapes = await service.shape_reach(viewer, draft.warning_id)
    errors = service.check(viewer, draft, shapes)
    if not errors:
        try:
            made = await service.create(viewer, draft, shapes)
            return Redirect(f"/callups/{made}", status_code=303)
        except DomainError as exc:
            errors = {"form": gettext(exc.message)}
    values = {**draft.__dict__, "window": form.get("window"), "rounds": form.get("rounds")}
    context = await _new_context(request, values)
    context["errors"] = errors
    return render(request, "callups/new.html", context, status_code=422)


@get("/callups/{callup_id:uuid}", opt=allow(SIGNED_IN))
async def show_callup(request: Request, callup_id: FromPath[uuid.UUID]) -> Template | Redirect:
    viewer = viewer_of(request)
    callup = await service.get(viewer, callup_id)
    if not service.can_watch(viewer, callup):
        return Redirect(service.ANSWER_URL.format(callup_id), status_code=303)
    return render(
        request,
        "callups/detail.html",
        await _board_context(request, callup),
        fragment="callups/_board.html",
    )


async def _board_context(request: Request, callup: Any) -> dict[str, Any]:
    page = page_number(request.query_params.get("page"))
    town = (request.query_params.get("town") or "")[:255]
    return {"c": callup, "b": await board.board(callup, page, town), "town": town}


@get("/callups/{callup_id:uuid}/board", opt=allow(ON_DUTY))
async def callup_board(request: Request, callup_id: FromPath[uuid.UUID]) -> Template:
    callup = await service.watchable(viewer_of(request), callup_id)
    return render(request, "callups/_board.html", await _board_context(request, callup))


@get("/callups/{callup_id:uuid}/live", opt=allow(ON_DUTY))
async def callup_live(request: Request, callup_id: FromPath[uuid.UUID]) -> ServerSentEvent:
    """Tells an open board that something changed: the call-up's version is read once a
    second (works across processes whatever the channels backend), and the page fetches
    the board again. Nothing is sent while nothing changes."""
    await service.watchable(viewer_of(request), callup_id)

    changes = version_changes(lambda: board.version(callup_id), POLL_SECONDS)
    return ServerSentEvent(until_stopping(request.app.state.stopping, changes))


@post("/callups/{callup_id:uuid}/targets", opt=allow(ON_DUTY))
async def add_target(request: Request, callup_id: FromPath[uuid.UUID]) -> Redirect:
    form = await request.form()
    await service.add_target(viewer_of(request), callup_id, form.get("mobile") or "")
    return Redirect(f"/callups/{callup_id}", status_code=303)


@post("/callups/{callup_id:uuid}/targets/{target_id:uuid}/remove", opt=allow(ON_DUTY))
async def remove_target(
    request: Request, callup_id: FromPath[uuid.UUID], target_id: FromPath[uuid.UUID]
) -> Redirect:
    await service.remove_target(viewer_of(request), callup_id, target_id)
    return Redirect(f"/callups/{callup_id}", status_code=303)


@post("/callups/{callup_id:uuid}/send", opt=allow(ON_DUTY))
async def send_callup(request: Request, callup_id: FromPath[uuid.UUID]) -> Redirect:
    await service.send(viewer_of(request), callup_id)
    return Redirect(f"/callups/{callup_id}", status_code=303)


@post("/callups/{callup_id:uuid}/close", opt=allow(ON_DUTY))
async def close_callup(request: Request, callup_id: FromPath[uuid.UUID]) -> Redirect:
    await service.close(viewer_of(request), callup_id)
    return Redirect(f"/callups/{callup_id}", status_code=303)


@get("/callups/{callup_id:uuid}/answer", opt=allow(SIGNED_IN))
async def answer_page(request: Request, callup_id: FromPath[uuid.UUID]) -> Template:
    """The target's page: 收到 one tap away (iPhones have no notification buttons), 已到岗
    and 无法到岗 below. Opening it is 已读, never a confirmation."""
    viewer = viewer_of(request)
    # the service worker keeps the page when the push arrives: that is not the person opening it
    opened = request.headers.get("x-prefetch") != "1"
    if opened:
        await opened_page(viewer.person_id, service.ANSWER_URL.format(callup_id))
    context = await _answer_context(viewer, callup_id, opened=opened)
    return render(request, "callups/answer.html", context)


async def _answer_context(
    viewer: Any,
    callup_id: uuid.UUID,
    values: dict | None = None,
    error: str = "",
    *,
    opened: bool = True,
) -> dict[str, Any]:
    callup = await service.get(viewer, callup_id)
    row = await service.target_of(viewer.person_id, callup_id)
    if row is None:
        raise NotFound(service.NOT_FOUND)
    if opened:
        await answers.mark_opened(row)
    [target] = await service.with_people([row])
    return {
        "c": callup,
        "t": target,
        "warning": await warnings.load(callup.warning_id) if callup.warning_id else None,
        "colleagues": await service.colleagues(row),
        "values": values or {},
        "error": error,
    }


@post("/callups/targets/{target_id:uuid}/confirm", opt=allow(SIGNED_IN), status_code=200)
async def confirm_target(request: Request, target_id: FromPath[uuid.UUID]) -> Template | Redirect:
    """An answer posted online (offline, the service worker keeps the same form). A refused
    one comes back with what was typed, and the reason."""
    form = await request.form()
    viewer = viewer_of(request)
    row = await service.target_row(target_id)
    raw = envelope(form, viewer, entity="callup_target", op="confirm", record_id=target_id)
    result = await submit(raw, viewer)
    mine = row["person_id"] == viewer.person_id
    if not result.accepted:
        error = gettext(result.reason)
        if mine:
            context = await _answer_context(viewer, row["callup_id"], raw["fields"], error)
            return render(request, "callups/answer.html", context, status_code=422)
        context = await _target_context(viewer, target_id, raw["fields"], error)
        return render(request, "callups/target.html", context, status_code=422)
    if mine:
        return Redirect(service.ANSWER_URL.format(row["callup_id"]), status_code=303)
    return Redirect(f"/callups/targets/{target_id}", status_code=303)


@get("/callups/targets/{target_id:uuid}", opt=allow(SIGNED_IN))
async def show_target(request: Request, target_id: FromPath[uuid.UUID]) -> Template | Redirect:
    """A target's timeline, with the duty officer's form to record an answer taken by phone."""
    viewer = viewer_of(request)
    row = await service.target_row(target_id)
    callup = await service.for_target(viewer, row)
    if row["person_id"] == viewer.person_id and not service.can_watch(viewer, callup):
        return Redirect(service.ANSWER_URL.format(callup.id), status_code=303)
    await opened_page(viewer.person_id, f"/callups/targets/{target_id}")
    return render(request, "callups/target.html", await _target_context(viewer, target_id))


async def _target_context(
    viewer: Any, target_id: uuid.UUID, values: dict | None = None, error: str = ""
) -> dict[str, Any]:
    row = await service.target_row(target_id)
    callup = await service.for_target(viewer, row)
    [target] = await service.with_people([row])
    names = await directory.area_names([target.area_path])
    return {
        "c": callup,
        "t": target,
        "events": await service.timeline(callup.id, target_id),
        "where": names.get(target.area_path, ""),
        "answers": list(Answer),
        "colleagues": await service.colleagues(row),
        "values": values or {},
        "error": error,
        # the superior told of a silent target sees the page; recording is for staff
        "can_record": service.can_record(viewer, callup, row),
    }


@get("/callups/{callup_id:uuid}/report", opt=allow(ON_DUTY))
async def callup_report(request: Request, callup_id: FromPath[uuid.UUID]) -> Template:
    callup = await service.watchable(viewer_of(request), callup_id)
    return render(request, "callups/report.html", {"r": await board.report(callup)})


@get("/callups/{callup_id:uuid}/report.xlsx", opt=allow(ON_DUTY))
async def callup_report_xlsx(request: Request, callup_id: FromPath[uuid.UUID]) -> Stream:
    callup = await service.watchable(viewer_of(request), callup_id)
    zone = request.app.state.settings.timezone
    return Stream(
        export.report_xlsx(await board.report(callup), zone),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{callup.code}.xlsx"'},
    )


@get("/callups/{callup_id:uuid}/report.csv", opt=allow(ON_DUTY))
async def callup_report_csv(request: Request, callup_id: FromPath[uuid.UUID]) -> Stream:
    callup = await service.watchable(viewer_of(request), callup_id)
    zone = request.app.state.settings.timezone
    return Stream(
        export.report_csv(await board.report(callup), zone),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{callup.code}.csv"'},
    )


ROUTES = [
    list_callups,
    new_callup,
    create_callup,
    show_callup,
    callup_board,
    callup_live,
    add_target,
    remove_target,
    send_callup,
    close_callup,
    answer_page,
    confirm_target,
    show_target,
    callup_report,
    callup_report_xlsx,
    callup_report_csv,
]
