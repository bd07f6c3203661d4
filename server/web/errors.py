"""Every error becomes a clear, translated message; the client never sees a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlencode

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template

from server.errors import DomainError
from server.i18n import N_, gettext

log = logging.getLogger("gridwatch.errors")

MESSAGES = {
    400: N_("The request could not be understood. Please check what you entered and try again."),
    401: N_("Please log in first."),
    403: N_("You are not allowed to do this."),
    404: N_("This page does not exist, or you cannot see it."),
    405: N_("This action is not available here."),
    408: N_("What you sent did not arrive in time. Check the connection and send it again."),
    413: N_("What you sent is too large. Send smaller photos, or fewer at a time."),
    429: N_("Too many attempts. Please wait a moment and try again."),
    500: N_("Something went wrong on our side. Please try again in a moment."),
    503: N_("The service is temporarily unavailable. Please try again shortly."),
}
#: machine endpoints (the phone's outbox, uploads): errors come back as JSON
JSON_PATHS = (
    "/api/",
    "/media/uploads/",
    "/sync/mutations",
    "/sync/announce",
    "/sync/changes",
    "/notify/",
)
#: asyncpg's names for text PostgreSQL cannot store (NUL in text, \u0000 in jsonb)
DB_TEXT_ERRORS = frozenset({"CharacterNotInRepertoireError", "UntranslatableCharacterError"})
CSRF_EXPIRED = N_("This page has expired. Reload it and submit again.")


#: a body of these types comes from a program (a CAP feed posting XML), not a page
MACHINE_TYPES = ("application/xml", "text/xml", "application/cap+xml")


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    sent = request.headers.get("content-type", "").split(";")[0].strip()
    return (
        request.url.path.startswith(JSON_PATHS)
        or sent in MACHINE_TYPES
        or ("application/json" in accept and "text/html" not in accept)
    )


#: path prefix -> how an error is answered there, for an API with documents of its own
#: (Open311 registers its errors document): never an HTML page under those paths
RESPONDERS: dict[str, Callable[[Request, int, str], Response]] = {}


def _respond(request: Request, status: int, message: str) -> Response:
    for prefix, respond in RESPONDERS.items():
        if request.url.path.startswith(prefix):
            return respond(request, status, message)
    if _wants_json(request):
        return Response({"error": message, "status": status}, status_code=status)
    headers = {}
    if request.headers.get("hx-request") == "true":
        # htmx swaps error responses (see htmx-config in base.html) into the flash area.
        headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
        template = "errors/_error.html"
    else:
        template = "errors/error.html"
    return Template(
        template_name=template,
        context={"status": status, "message": message},
        status_code=status,
        headers=headers,
        media_type=MediaType.HTML,
    )


def handle_domain_error(request: Request, exc: DomainError) -> Response:
    return _respond(request, exc.status_code, gettext(exc.message, **exc.params))


def _to_login(request: Request) -> Response:
    """Someone not logged in asked for a page: send them to log in, then back."""
    target = "/login?" + urlencode(
        {"next": request.url.path + (f"?{request.url.query}" if request.url.query else "")}
    )
    if request.headers.get("hx-request") == "true":
        return Response("", status_code=200, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status == 401 and request.method == "GET" and not _wants_json(request):
        return _to_login(request)
    if status == 403 and "CSRF" in str(exc.detail):
        message = gettext(CSRF_EXPIRED)
    else:
        message = gettext(MESSAGES.get(status, MESSAGES[400 if status < 500 else 500]))
    return _respond(request, status, message)


def _bad_input(exc: BaseException | None) -> bool:
    """What the client sent, not the server, is at fault: text no database stores (a NUL, a
    lone surrogate) or a body nested past the decoder's depth."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, RecursionError | UnicodeError) or type(exc).__name__ in DB_TEXT_ERRORS:
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def handle_unexpected(request: Request, exc: Exception) -> Response:
    if _bad_input(exc):
        log.warning("bad input on %s %s: %r", request.method, request.url.path, exc)
        return _respond(request, 400, gettext(MESSAGES[400]))
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _respond(request, 500, gettext(MESSAGES[500]))
