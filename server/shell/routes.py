"""The app shell: home, offline page, service worker, manifest, static files, language, health."""

from __future__ import annotations

import json
import mimetypes
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, URLEncodedBody
from litestar.response import File, Redirect, Template
from litestar.utils.scope.state import ScopeState

from server import localtime
from server.auth.access import BUREAU, FIELD, ON_DUTY, PUBLIC, STAFF, allow
from server.auth.service import Viewer
from server.callups import service as callups
from server.callups import warnings
from server.db import Database, DatabaseUnavailable
from server.directory import rota
from server.directory.kinds import PostKind
from server.directory.service import home_areas, home_places
from server.evacuation import service as evacuation
from server.evacuation import shelters
from server.hazards.figures import overdue_by_area
from server.hazards.service import Waiting, unread_notices, waiting_for
from server.i18n import COOKIE, N_, gettext
from server.ops import service as ops
from server.patrols import inspections
from server.patrols import windows as patrol_windows
from server.settings import LANGUAGES, Settings
from server.syncing import service as syncing
from server.syncing.forms import ENVELOPE
from server.syncing.routes import QUEUED_URL
from server.tipoffs import channels
from server.tipoffs import service as tipoffs
from server.web.assets import Assets
from server.web.forms import safe_next
from server.web.render import render
from server.worker import Worker

OFFLINE_URL = "/offline"


@get("/", name="home", opt=allow(PUBLIC))
async def home(request: Request) -> Template:
    """今日: the first screen after login, what needs this person now, by the posts held."""
    viewer = request.scope.get("user")
    if viewer is None:
        return render(request, "shell/home.html", {"viewer": None})
    kinds = viewer.kinds
    now = datetime.now(UTC)
    areas = await home_areas(viewer.scope)
    context = {
        "viewer": viewer,
        "areas": areas,
        "places": await home_places(viewer.scope),
        "unread": await unread_notices(viewer),
        # a call-up waiting for this person's answer comes before anything else
        "callups": await callups.mine(viewer),
        "answered": await callups.mine(viewer, confirmed=True),
        # an evacuation under way: the households this person must move, before the rest
        "evacuations": await evacuation.tasks(viewer),
        "watched_evacuations": await evacuation.under_way(viewer) if kinds & ON_DUTY else [],
        "my_shelters": await shelters.mine(viewer),
        "issuer": bool(kinds & ON_DUTY),
        "live": await callups.live(viewer) if kinds & ON_DUTY else [],
        "warnings": await warnings.in_force(viewer) if kinds & ON_DUTY else [],
        "today": await _today(viewer, now, request.app.state.settings.tipoff_due_days),
        "lost": await syncing.lost_on_my_phones(viewer),
        "patrols": await patrol_windows.todays(viewer, now) if kinds & FIELD else [],
        "overdue_by_area": (
            await overdue_by_area(viewer, areas, localtime.today())
            if kinds & {*BUREAU, PostKind.duty_officer}
            else []
        ),
        "staff": bool(kinds & STAFF),
        "field": bool(kinds & FIELD),
    }
    return render(request, "shell/home.html", context)


async def _today(viewer: Viewer, now: datetime, due_days: tuple[int, int]) -> list[Waiting]:
    """The home's 今日 list: what waits for this person now, one tap from its list."""
    jobs = await waiting_for(viewer)
    if received := await tipoffs.count(viewer, "received"):
        jobs.append(Waiting(gettext(N_("New tip-offs")), received, "/tipoffs?state=received"))
    late = channels.overdue_where(due_days, now)
    if overdue := await tipoffs.count(viewer, overdue=late):
        label = gettext(N_("Tip-offs past their time limit"))
        jobs.append(Waiting(label, overdue, "/tipoffs?overdue=1"))
    grid_member = PostKind.grid_member in viewer.kinds
    if grid_member and (due := await inspections.due_in_my_grids(viewer, now)):
        label = gettext(N_("Places due for inspection by their risk grade"))
        jobs.append(Waiting(label, len(due), "/patrols/due"))
    if viewer.kinds & ON_DUTY:
        areas = [a.path for a in await rota.areas_of(viewer.scope)]
        empty = await rota.empty_ahead(areas, localtime.today(now))
        if days := sum(len(d) for d in empty.values()):
            label = gettext(N_("Duty rota: days with no officer in the flood season"))
            jobs.append(Waiting(label, days, "/duty"))
    if viewer.kinds & STAFF:
        missed = await patrol_windows.missed_since(viewer, now - timedelta(days=7))
        if missed:
            jobs.append(
                Waiting(gettext(N_("Checkpoints missed, last 7 days")), missed, "/patrols/coverage")
            )
    return jobs


@get(OFFLINE_URL, name="offline", opt=allow(PUBLIC))
async def offline(request: Request) -> Template:
    return render(request, "shell/offline.html")


@get("/sw.js", include_in_schema=False, opt=allow(PUBLIC))
async def service_worker(request: Request) -> Response[str]:
    """A tiny generated module: this build's precache list, wired to the worker's modules."""
    assets: Assets = request.app.state.assets
    build = {
        "version": assets.version,
        "precache": [*assets.precache(), OFFLINE_URL, QUEUED_URL, f"{QUEUED_URL}?fragment=1"],
        "offlineUrl": OFFLINE_URL,
        "queuedUrl": QUEUED_URL,
        "formTimeoutMs": request.app.state.settings.offline_form_timeout_ms,
        # the fields that describe a mutation rather than the record: one list for both sides
        "envelope": sorted(ENVELOPE),
    }
    body = (
        f"// Generated for build {assets.version}: what this build precaches.\n"
        f'import {{ wire }} from "{assets.url("js/sw/main.js")}";\n'
        f"wire({json.dumps(build, ensure_ascii=False)});\n"
    )
    return Response(
        body,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@get("/csrf-token", include_in_schema=False, opt=allow(PUBLIC))
async def csrf_token(request: Request) -> Response[dict[str, str]]:
    """A fresh CSRF token, its cookie set with this answer: for a script that posts a form
    it kept (a resident's tip-off sent when the network returns), whose page may be old."""
    token = ScopeState.from_scope(request.scope).csrf_token or ""
    return Response({"token": token}, headers={"Cache-Control": "no-store"})


@get("/manifest.webmanifest", include_in_schema=False, opt=allow(PUBLIC))
async def manifest(request: Request) -> Response[bytes]:
    assets: Assets = request.app.state.assets
    icons = [
        {
            "src": assets.url(f"icons/icon-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any",
        }
        for size in (192, 512)
    ]
    icons.append(
        {
            "src": assets.url("icons/maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        }
    )
    body = {
        "name": "网格安全通",
        "short_name": "网格安全通",
        "description": "基层应急管理：隐患上报、巡查、防汛叫应、群众举报",
        "lang": "zh-CN",
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "id": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#c62828",
        "icons": icons,
    }
    return Response(
        json.dumps(body, ensure_ascii=False).encode(),
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


@post("/language", name="set_language", opt=allow(PUBLIC))
async def set_language(
    request: Request,
    data: URLEncodedBody[dict[str, str]],
) -> Redirect:
    """Remember the chosen language for a year and go back to where the person was."""
    settings: Settings = request.app.state.settings
    language = data.get("language", "")
    if language not in LANGUAGES:
        language = settings.default_language
    return Redirect(
        safe_next(data.get("next") or request.headers.get("referer")),
        status_code=303,
        cookies=[
            Cookie(
                key=COOKIE,
                value=language,
                max_age=365 * 24 * 3600,
                httponly=True,
                secure=settings.cookies_secure,
                samesite="lax",
            )
        ],
    )


@get("/healthz", exclude_from_csrf=True, include_in_schema=False, opt=allow(PUBLIC))
async def healthz(request: Request) -> Response[dict[str, str]]:
    """200 with the database status when it answers, 503 when it does not."""
    database: Database = request.app.state.db
    worker: Worker | None = request.app.state.worker
    body = {"status": "ok", "database": "ok", "worker": worker.status() if worker else "external"}
    try:
        await database.ping()
    except DatabaseUnavailable as exc:
        body.update(status="unavailable", database=f"unavailable: {exc}")
        return Response(body, status_code=503, headers={"Cache-Control": "no-store"})
    return Response(body, media_type=MediaType.JSON, headers={"Cache-Control": "no-store"})


@get("/readyz", exclude_from_csrf=True, include_in_schema=False, opt=allow(PUBLIC))
async def readyz(request: Request) -> Response[dict[str, Any]]:
    """Ready to serve a city (for the load balancer and the operator): the database answers
    and carries every migration of this build, a worker ran its loop in the last minute, the
    photo store answers. 503 with what is wrong otherwise."""
    database: Database = request.app.state.db
    try:
        await database.ping()
    except DatabaseUnavailable as exc:
        body = {"status": "unavailable", "checks": {"database": f"unavailable: {exc}"}}
        return Response(body, status_code=503, headers={"Cache-Control": "no-store"})
    found = await ops.readiness(request.app.state.media)
    body = {
        "status": "ready" if found.ready else "unavailable",
        "checks": {"database": "ok", **found.checks},
    }
    return Response(
        body, status_code=200 if found.ready else 503, headers={"Cache-Control": "no-store"}
    )


@get(
    "/static/{name:path}",
    exclude_from_csrf=True,
    include_in_schema=False,
    sync_to_thread=False,
    opt=allow(PUBLIC),
)
def static_file(request: Request, name: FromPath[str]) -> File:
    """Serve a known static file. A current ?v= hash may be cached for ever."""
    assets: Assets = request.app.state.assets
    entry = assets.files.get(name.lstrip("/"))
    if entry is None:
        raise NotFoundException()
    path, digest = entry
    immutable = request.query_params.get("v") == digest
    cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return File(
        path=path,
        media_type=media_type,
        content_disposition_type="inline",
        headers={"Cache-Control": cache, "ETag": f'"{digest}"'},
    )


ROUTES = [
    home,
    offline,
    service_worker,
    csrf_token,
    manifest,
    static_file,
    set_language,
    healthz,
    readyz,
]
