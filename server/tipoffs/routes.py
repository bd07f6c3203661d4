"""Tip-off pages. Public (no account): the form, the receipt and tracking page by code, its
photos without metadata. Staff: the list, one tip-off with its handling, the originals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File, Redirect, Template

from server.auth.access import BUREAU, PUBLIC, STAFF, allow, viewer_of
from server.auth.service import Viewer
from server.directory import departments
from server.directory import service as directory
from server.directory.qr import svg_of
from server.errors import DomainError, Forbidden, NotFound
from server.hazards import service as hazards
from server.hazards.policy import Level
from server.i18n import N_, gettext
from server.media.routes import photo_file
from server.notify.routes import read_subscription
from server.tipoffs import channels, handling, ledger, limits, reporter, rewards, service
from server.tipoffs.codes import normalize
from server.tipoffs.fields import MAX_PHOTO_BYTES, FieldProblem, clean
from server.tipoffs.openapi import public_schema
from server.web.forms import client_ip
from server.web.render import render

#: six photos as phones take them (a few MB each) and the form; more is refused with a message
MAX_BODY = 40 * 1024 * 1024


def stores_of(request: Request) -> service.Stores:
    return request.app.state.tipoff_stores


async def _form_context(values: dict[str, Any], error: str = "", field: str = "") -> dict:
    categories = await hazards.categories()
    return {
        "values": values,
        "categories": categories,
        "label": hazards.category_label,
        "error": error,
        "error_field": field,
    }


@get("/tipoffs/new", opt=allow(PUBLIC))
async def new_tipoff(request: Request) -> Template:
    """The form; from a place's plate (?place=its token) it is filled with the place: its
    name as the address and its location."""
    values: dict[str, Any] = {}
    place = await directory.public_place(request.query_params.get("place") or "")
    if place is not None:
        values = {
            "address": f"{place.name}{f'（{place.address}）' if place.address else ''}"[:200],
            "lat": place.lat if place.lat is not None else "",
            "lng": place.lng if place.lng is not None else "",
        }
    context = await _form_context(values)
    context["place"] = place
    return render(request, "tipoffs/new.html", context)


async def read_photos(files: list[Any]) -> list[bytes]:
    """The bytes of each photo chosen (a file input left empty sends one empty part)."""
    photos = []
    for upload in files:
        if isinstance(upload, UploadFile):
            data = await upload.read(MAX_PHOTO_BYTES + 1)
            if data:
                photos.append(data)
    return photos


def _submission_id(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@post("/tipoffs", opt=allow(PUBLIC), status_code=200, request_max_body_size=MAX_BODY)
async def submit_tipoff(request: Request) -> Template | Redirect | Response:
    """The form, or the phone replaying a form it kept offline (it asks for JSON: it needs
    the code, and a refusal's reason, to show them later)."""
    form = await request.form()
    values = {k: form.get(k) for k in form if k != "photos" and isinstance(form.get(k), str)}
    settings = request.app.state.settings
    replayed = "application/json" in request.headers.get("accept", "")
    try:
        photos = await read_photos(form.getall("photos") if "photos" in form else [])
        categories = {c.code for c in await hazards.categories()}
        receipt = await service.submit(
            clean(values, photos, categories),
            stores=stores_of(request),
            rules=limits.limits_from(settings.tipoff_limits),
            secret=settings.secret_key,
            ip=client_ip(request),
            submission_id=_submission_id(values.get("submission_id")),
        )
    except (FieldProblem, limits.Refused) as exc:
        status = exc.status_code if isinstance(exc, limits.Refused) else 422
        if replayed:
            return Response({"error": gettext(exc.message)}, status_code=status)
        field = exc.name if isinstance(exc, FieldProblem) else ""
        context = await _form_context(values, gettext(exc.message), field)
        return render(request, "tipoffs/new.html", context, status_code=status)
    if replayed:
        body = {"number": receipt.number, "code": receipt.code, "url": f"/t/{receipt.code}"}
        return Response(body, status_code=201)
    return Redirect(f"/t/{receipt.code}?new=1", status_code=303)


@get("/tipoffs/track", opt=allow(PUBLIC))
async def track_form(request: Request) -> Template | Redirect:
    typed = request.query_params.get("code")
    if typed is None:
        return render(request, "tipoffs/track.html", {"typed": ""})
    code = normalize(typed)
    if code is None:
        error = gettext(service.NOT_FOUND)
        return render(
            request, "tipoffs/track.html", {"typed": typed, "error": error}, status_code=404
        )
    return Redirect(f"/t/{code}", status_code=303)


@get("/t/{code:str}", opt=allow(PUBLIC))
async def show_status(request: Request, code: FromPath[str]) -> Template:
    """What the reporter sees: the state, the reply, the photos (without metadata)."""
    row = await service.by_code(code)
    if await handling.settle([row["id"]]):  # the hazard closed since the worker last looked
        row = await service.by_code(code)
    return render(request, "tipoffs/status.html", await status_context(request, row))


async def status_context(request: Request, row: dict[str, Any]) -> dict[str, Any]:
    """What the reporter's tracking page shows of the tip-off `row`."""
    outcome = (await hazards.outcomes([row["hazard_id"]])).get(row["hazard_id"])
    settings = request.app.state.settings
    link = f"{settings.base_url}/t/{row['code']}"
    context = {
        "t": row,
        "outcome": outcome,
        "link": link,
        "qr": svg_of(link, row["number"]),
        "category": (await hazards.category_names()).get(row["category"], row["category"]),
        "fresh": request.query_params.get("new") == "1",
        "reward": await rewards.of_tipoff(row["id"]),
        "reward_label": rewards.label,
        "state_label": service.state_label,
    }
    return context


#: a tip-off's photos: the reporter's and the handling staff's browsers may keep them a day
PHOTO_CACHE = "private, max-age=86400"


@get("/t/{code:str}/photos/{n:int}", opt=allow(PUBLIC))
async def status_photo(request: Request, code: FromPath[str], n: FromPath[int]) -> File | Response:
    row = await service.by_code(code)
    if not 0 <= n < len(row["photos"]):
        raise NotFoundException()
    return await photo_file(stores_of(request).public, row["photos"][n]["sha256"], PHOTO_CACHE)


@post("/t/{code:str}/subscriptions", opt=allow(PUBLIC), status_code=200, exclude_from_csrf=True)
async def subscribe_to_tipoff(request: Request, code: FromPath[str]) -> dict[str, Any]:
    """The reporter's browser asks to be told what becomes of the tip-off (JSON only)."""
    row = await service.by_code(code)
    agent = request.headers.get("user-agent", "")
    hosts = request.app.state.settings.push_hosts
    await reporter.subscribe(row["id"], await read_subscription(request), hosts, agent)
    return {"subscribed": True}


@get("/tipoffs", opt=allow(STAFF))
async def list_tipoffs(request: Request) -> Template:
    state = request.query_params.get("state", "")
    due_days = request.app.state.settings.tipoff_due_days
    now = datetime.now(UTC)
    overdue = request.query_params.get("overdue") == "1"
    late = channels.overdue_where(due_days, now) if overdue else None
    rows = await service.listing(viewer_of(request), state, overdue=late)
    names = await hazards.category_names()
    grids = await directory.area_names([r["area_path"] for r in rows])
    context = {
        "rows": rows,
        "state": state,
        "overdue": overdue,
        "names": names,
        "grids": grids,
        "state_label": service.state_label,
        "late": {r["id"]: channels.overdue(r, due_days, now) for r in rows},
        "channel_label": channels.label,
    }
    return render(request, "tipoffs/list.html", context)


async def _detail(request: Request, tipoff_id: uuid.UUID, error: str = "", status: int = 200):
    viewer = viewer_of(request)
    row = await service.get(viewer, tipoff_id)  # theirs to see, before anything is settled
    if await handling.settle([tipoff_id]):  # the hazard closed since the worker last looked
        row = await service.get(viewer, tipoff_id)
    context = {
        "t": row,
        "events": await service.events(tipoff_id),
        "category": (await hazards.category_names()).get(row["category"], row["category"]),
        "grid": (await directory.area_names([row["area_path"]])).get(row["area_path"], ""),
        "grids": await directory.grids_in_scope(viewer.scope),
        "levels": list(Level),
        "outcome": (await hazards.outcomes([row["hazard_id"]])).get(row["hazard_id"]),
        "reward": await rewards.of_tipoff(tipoff_id),
        "reward_label": rewards.label,
        "sees_mobile": bool(viewer.kinds & service.BUREAU),
        "state_label": service.state_label,
        "error": error,
        "viewer": viewer,
        "departments": await departments.departments_over(row["area_path"])
        if row["area_path"]
        else [],
        "channel_label": channels.label,
        "due": channels.due(row, request.app.state.settings.tipoff_due_days),
        "late": channels.overdue(
            row, request.app.state.settings.tipoff_due_days, datetime.now(UTC)
        ),
    }
    return render(request, "tipoffs/detail.html", context, status_code=status)


@get("/tipoffs/{tipoff_id:uuid}", opt=allow(STAFF))
async def show_tipoff(request: Request, tipoff_id: FromPath[uuid.UUID]) -> Template:
    return await _detail(request, tipoff_id)


@get("/tipoffs/{tipoff_id:uuid}/photos/{n:int}/original", opt=allow(STAFF))
async def original_photo(
    request: Request, tipoff_id: FromPath[uuid.UUID], n: FromPath[int]
) -> File | Response:
    """The photo as the resident sent it, metadata and all: for the staff handling it only."""
    row = await service.get(viewer_of(request), tipoff_id)
    if not 0 <= n < len(row["photos"]):
        raise NotFoundException()
    return await photo_file(stores_of(request).originals, row["photos"][n]["original"], PHOTO_CACHE)


async def _act(request: Request, tipoff_id: uuid.UUID, action: Any) -> Template | Redirect:
    """Run a handling step with the form; its refusal is shown on the tip-off's page."""
    form = await request.form()
    try:
        await action(viewer_of(request), form)
    except DomainError as exc:
        status = exc.status_code if isinstance(exc, Forbidden | NotFound) else 422
        return await _detail(request, tipoff_id, gettext(exc.message, **exc.params), status)
    return Redirect(f"/tipoffs/{tipoff_id}", status_code=303)


@post("/tipoffs/{tipoff_id:uuid}/accept", opt=allow(STAFF), status_code=200)
async def accept_tipoff(request: Request, tipoff_id: FromPath[uuid.UUID]) -> Template | Redirect:
    async def action(viewer: Viewer, form: Any) -> None:
        if (form.get("hazard_code") or "").strip():
            await handling.join(viewer, tipoff_id, form.get("hazard_code"))
        else:
            area, level = form.get("area_path") or "", form.get("level") or ""
            department = form.get("department_id") or ""
            await handling.accept_new(viewer, tipoff_id, area, level, department)

    return await _act(request, tipoff_id, action)


@post("/tipoffs/{tipoff_id:uuid}/reject", opt=allow(STAFF), status_code=200)
async def reject_tipoff(request: Request, tipoff_id: FromPath[uuid.UUID]) -> Template | Redirect:
    async def action(viewer: Viewer, form: Any) -> None:
        await handling.reject(viewer, tipoff_id, form.get("reason") or "")

    return await _act(request, tipoff_id, action)


@post("/tipoffs/{tipoff_id:uuid}/reward", opt=allow(STAFF), status_code=200)
async def decide_reward(request: Request, tipoff_id: FromPath[uuid.UUID]) -> Template | Redirect:
    async def action(viewer: Viewer, form: Any) -> None:
        await rewards.decide(viewer, tipoff_id, form.get("action") or "", form)

    return await _act(request, tipoff_id, action)


@get("/tipoffs/rewards.xlsx", opt=allow(STAFF))
async def rewards_ledger(request: Request) -> Response:
    data = await ledger.rewards_xlsx(viewer_of(request))
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="tipoff-rewards.xlsx"'},
    )


@get("/tipoffs/figures", opt=allow(STAFF))
async def tipoff_figures(request: Request) -> Template:
    viewer = viewer_of(request)
    due_days = request.app.state.settings.tipoff_due_days
    figures = await ledger.figures(viewer, ledger.month_of(request.query_params), due_days)
    return render(
        request, "tipoffs/figures.html", {"f": figures, "bureau": bool(viewer.kinds & BUREAU)}
    )


async def _settings_page(request: Request, error: str = "", status: int = 200) -> Template:
    viewer_of(request)
    context = {
        "rules": await rewards.rules(),
        "blocked": await limits.blocked(),
        "kinds": limits.BLOCK_KINDS,
        "error": error,
    }
    return render(request, "tipoffs/settings.html", context, status_code=status)


@get("/tipoffs/settings", opt=allow(BUREAU))
async def tipoff_settings(request: Request) -> Template:
    """The reward rules and the block list, for the bureau."""
    return await _settings_page(request)


@post("/tipoffs/settings/rules", opt=allow(BUREAU), status_code=200)
async def save_rule(request: Request) -> Template | Redirect:
    form = await request.form()
    try:
        number = {k: int(form.get(k) or 0) for k in ("min_yuan", "max_yuan", "share_percent")}
        rule = rewards.Rule(form.get("level") or "", form.get("kind") or "", **number)
        await rewards.set_rule(rule)
    except ValueError:
        message = gettext(
            N_("A rule needs whole yuan, the least not above the most, a share of 0 to 100.")
        )
        return await _settings_page(request, message, 422)
    return Redirect("/tipoffs/settings", status_code=303)


@post("/tipoffs/settings/blocks", opt=allow(BUREAU), status_code=200)
async def add_block(request: Request) -> Template | Redirect:
    form = await request.form()
    try:
        await limits.block(
            form.get("kind") or "",
            form.get("value") or "",
            form.get("reason") or "",
            request.app.state.settings.secret_key,
        )
    except ValueError:
        return await _settings_page(request, gettext(N_("Say what to block.")), 422)
    return Redirect("/tipoffs/settings", status_code=303)


@post("/tipoffs/settings/blocks/{entry_id:uuid}/remove", opt=allow(BUREAU), status_code=200)
async def remove_block(entry_id: FromPath[uuid.UUID]) -> Redirect:
    await limits.unblock_entry(entry_id)
    return Redirect("/tipoffs/settings", status_code=303)


@post("/tipoffs/{tipoff_id:uuid}/reply", opt=allow(STAFF), status_code=200)
async def reply_tipoff(request: Request, tipoff_id: FromPath[uuid.UUID]) -> Template | Redirect:
    async def action(viewer: Viewer, form: Any) -> None:
        await handling.reply(viewer, tipoff_id, form.get("reply") or "")

    return await _act(request, tipoff_id, action)


ROUTES = [
    public_schema,
    new_tipoff,
    submit_tipoff,
    track_form,
    show_status,
    status_photo,
    subscribe_to_tipoff,
    list_tipoffs,
    show_tipoff,
    original_photo,
    accept_tipoff,
    reject_tipoff,
    reply_tipoff,
    decide_reward,
    rewards_ledger,
    tipoff_figures,
    tipoff_settings,
    save_rule,
    add_block,
    remove_block,
]
