"""create_app(settings) -> Litestar. Nothing runs at import."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, pass_context
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.logging.config import LoggingConfig
from litestar.plugins.htmx import HTMXPlugin, HTMXRequest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from server import i18n
from server.auth import routes as auth_routes
from server.auth.access import access_guard
from server.auth.middleware import session_cookie_name, session_middleware
from server.callups import adapter as callup_adapter
from server.callups import messages as callup_messages
from server.callups import routes as callup_routes
from server.callups import warning_routes
from server.console import admin_routes, department_routes, rota_routes
from server.console import routes as directory_routes
from server.db import Database, activate
from server.errors import DomainError
from server.evacuation import plan_routes, shelter_routes
from server.evacuation import routes as evacuation_routes
from server.evacuation.adapter import EvacRowAdapter
from server.hazards import notice_routes
from server.hazards import routes as hazard_routes
from server.hazards.adapter import HazardAdapter
from server.media import grants
from server.media import routes as media_routes
from server.media.storage import MediaStore, media_blobs
from server.notify import live
from server.notify import routes as notify_routes
from server.notify.acks import MessageAdapter
from server.notify.routes import LIVE_PATH
from server.patrols import routes as patrol_routes
from server.patrols.adapter import PatrolAdapter
from server.settings import LANGUAGES, ROOT, Settings, get_settings
from server.shell import routes as shell_routes
from server.shell import tabs
from server.syncing import routes as sync_routes
from server.syncing.forms import ENVELOPE
from server.syncing.service import register
from server.tipoffs import desk_routes, open311_routes
from server.tipoffs import routes as tipoff_routes
from server.tipoffs.service import Stores
from server.web import errors
from server.web.assets import Assets
from server.web.csrf import csrf_middleware
from server.web.limits import body_timeout
from server.web.security import security_headers_for
from server.web.streams import on_stop_signal
from server.worker import Worker, jobs_for

TEMPLATES_DIR = ROOT / "pwa" / "templates"


def _configure_jinja(settings: Settings, assets: Assets, media: MediaStore):
    zone = ZoneInfo(settings.timezone)

    def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(zone).strftime(fmt) if value else ""

    @pass_context
    def photo_url(context: Mapping[str, Any], sha: str) -> str:
        """The photo's URL signed for the person the page is rendered for."""
        viewer = context["request"].scope.get("user")
        if viewer is None:
            return ""
        return grants.url(settings.secret_key, viewer.person_id, sha)

    def configure(engine: JinjaTemplateEngine) -> None:
        env: Environment = engine.engine
        env.add_extension("jinja2.ext.i18n")
        env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
        env.globals.update(
            static=assets.url,
            current_language=i18n.language,
            html_lang=lambda: i18n.HTML_LANG[i18n.language()],
            languages=[(code, i18n.LANGUAGE_NAMES[code]) for code in LANGUAGES],
            # When a page is shown from the phone's cache, this says how old it is.
            rendered_at=lambda: datetime.now(UTC).isoformat(timespec="milliseconds"),
            # a new id for an offline-capable form (see _macros.html offline_form)
            fresh=uuid.uuid4,
            # a photo named by a record may still be on its way from the phone
            photo_ready=media.exists,
            photo_url=photo_url,
            # the fields of an offline-capable form that describe the mutation, for the page
            # that keeps a form itself (no service worker in control): one list, with sw.js
            envelope_fields=" ".join(sorted(ENVELOPE)),
            # the bottom tab bar of the person's role
            tabs_for=tabs.tabs_for,
            current_tab=tabs.current,
            # what a map draws under its shapes (see pwa/static/js/map-base.js)
            map_tiles={
                "url": settings.map_tile_url,
                "subdomains": settings.map_tile_subdomains,
                "attribution": settings.map_tile_attribution,
            },
        )
        env.filters["local_time"] = local_time

    return configure


def _lifespan(settings: Settings, database: Database):
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        activate(database)
        await database.start()
        stop = app.state.stopping = asyncio.Event()  # streams end, the worker winds down
        restore = on_stop_signal(stop)
        task = None
        if app.state.worker is not None:
            task = asyncio.create_task(app.state.worker.run(stop), name="gridwatch-worker")
        try:
            yield
        finally:
            stop.set()
            restore()
            if task is not None:
                with suppress(asyncio.CancelledError):
                    await task  # the worker keeps to its own grace
            await database.stop()

    return lifespan


def create_app(settings: Settings) -> Litestar:
    database = Database(
        settings.database_url, pool=settings.database_pool, pool_size=settings.database_pool_size
    )
    assets = Assets.scan()
    blobs = media_blobs(settings)
    media = MediaStore(blobs, settings.upload_quota)
    worker = (
        Worker(jobs_for(settings), settings.shutdown_grace_seconds)
        if settings.embedded_worker
        else None
    )
    register(HazardAdapter(settings.hazard_verify_m))
    register(MessageAdapter())
    register(callup_adapter.CallupTargetAdapter())
    register(PatrolAdapter())
    register(EvacRowAdapter())
    callup_messages.install()
    return Litestar(
        route_handlers=[
            *shell_routes.ROUTES,
            *auth_routes.ROUTES,
            *directory_routes.ROUTES,
            *admin_routes.ROUTES,
            *department_routes.ROUTES,
            *rota_routes.ROUTES,
            *sync_routes.ROUTES,
            *media_routes.ROUTES,
            *hazard_routes.ROUTES,
            *notice_routes.ROUTES,
            *notify_routes.ROUTES,
            *callup_routes.ROUTES,
            *warning_routes.ROUTES,
            *patrol_routes.ROUTES,
            *desk_routes.ROUTES,
            *tipoff_routes.ROUTES,
            *open311_routes.ROUTES,
            *evacuation_routes.ROUTES,
            *plan_routes.ROUTES,
            *shelter_routes.ROUTES,
        ],
        guards=[access_guard],
        lifespan=[_lifespan(settings, database)],
        state=State(
            {
                "settings": settings,
                "db": database,
                "assets": assets,
                "worker": worker,
                "media": media,
                # a tip-off's photos as sent stay apart from everything served
                "tipoff_stores": Stores(media, MediaStore(blobs.sub("originals/"))),
            }
        ),
        request_class=HTMXRequest,
        plugins=[HTMXPlugin(), live.plugin_for(settings)],
        template_config=TemplateConfig(
            directory=TEMPLATES_DIR,
            engine=JinjaTemplateEngine,
            engine_callback=_configure_jinja(settings, assets, media),
        ),
        compression_config=CompressionConfig(
            backend="gzip",
            gzip_compress_level=6,
            minimum_size=512,
            # an event stream must not wait in a compressor's buffer
            exclude=[LIVE_PATH, callup_routes.LIVE_PATTERN, evacuation_routes.LIVE_PATTERN],
        ),
        middleware=[
            body_timeout(settings.body_idle_seconds, settings.body_total_seconds),
            security_headers_for(settings.map_tile_url, hsts=settings.cookies_secure),
            i18n.language_middleware(settings.default_language),
            session_middleware(secure=settings.cookies_secure),
            csrf_middleware(
                settings.secret_key,
                secure=settings.cookies_secure,
                session_cookie=session_cookie_name(settings.cookies_secure),
            ),
        ],
        exception_handlers={
            DomainError: errors.handle_domain_error,
            HTTPException: errors.handle_http_exception,
            Exception: errors.handle_unexpected,
        },
        request_max_body_size=settings.max_body_bytes,
        logging_config=LoggingConfig(
            root={"level": settings.log_level, "handlers": ["queue_listener"]},
            log_exceptions="never",  # handle_unexpected logs them once, with the request
        ),
        openapi_config=None,
        debug=settings.debug,
    )


def app_from_environment() -> Litestar:
    """The factory uvicorn and the Procfile use: settings from the environment."""
    return create_app(get_settings())
