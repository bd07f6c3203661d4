"""Login, logout, and a person's own devices."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from litestar import Request, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from server.auth import service
from server.auth.access import PUBLIC, SIGNED_IN, STAFF, allow, viewer_of
from server.auth.middleware import clear_session_cookie, session_cookie
from server.errors import DomainError
from server.i18n import gettext
from server.settings import Settings
from server.web.forms import client_ip, safe_next
from server.web.render import render


@dataclass
class LoginForm:
    mobile: str = ""
    password: str = ""
    next: str = ""


@get("/login", name="login", opt=allow(PUBLIC))
async def login_page(request: Request) -> Template:
    form = LoginForm(next=safe_next(request.query_params.get("next"), ""))
    return render(
        request,
        "auth/login.html",
        {"form": form},
        fragment="auth/_login_form.html",
    )


@post("/login", opt=allow(PUBLIC))
async def login(request: Request, data: URLEncodedBody[LoginForm]) -> Template | Redirect:
    settings: Settings = request.app.state.settings
    try:
        token = await service.login(
            data.mobile,
            data.password,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except DomainError as exc:
        # The form comes back with the number kept; the password is never echoed.
        form = LoginForm(mobile=data.mobile, next=safe_next(data.next, ""))
        return render(
            request,
            "auth/login.html",
            {"form": form, "error": gettext(exc.message, **exc.params)},
            fragment="auth/_login_form.html",
            status_code=exc.status_code,
        )
    return Redirect(
        safe_next(data.next),
        status_code=303,
        cookies=[session_cookie(token, secure=settings.cookies_secure)],
    )


@post("/logout", opt=allow(SIGNED_IN))
async def logout(request: Request) -> Redirect:
    settings: Settings = request.app.state.settings
    viewer = viewer_of(request)
    await service.revoke(viewer.session_id, actor_id=viewer.person_id)
    # ?bye tells the page to drop this person's pages from the offline cache.
    return Redirect(
        "/login?bye=1",
        status_code=303,
        cookies=[clear_session_cookie(secure=settings.cookies_secure)],
    )


@get("/me", name="me", opt=allow(SIGNED_IN))
async def me(request: Request) -> Template:
    viewer = viewer_of(request)
    return render(request, "auth/me.html", {"viewer": viewer, "staff": bool(viewer.kinds & STAFF)})


@get("/me/devices", name="my_devices", opt=allow(SIGNED_IN))
async def my_devices(request: Request) -> Template:
    viewer = viewer_of(request)
    devices = await service.devices(viewer.person_id, current=viewer.session_id)
    return render(request, "auth/devices.html", {"devices": devices}, fragment="auth/_devices.html")


@post("/me/devices/{session_id:uuid}/revoke", opt=allow(SIGNED_IN))
async def revoke_my_device(request: Request, session_id: FromPath[uuid.UUID]) -> Redirect:
    viewer = viewer_of(request)
    await service.revoke(session_id, person_id=viewer.person_id, actor_id=viewer.person_id)
    if session_id == viewer.session_id:
        settings: Settings = request.app.state.settings
        return Redirect(
            "/login?bye=1",
            status_code=303,
            cookies=[clear_session_cookie(secure=settings.cookies_secure)],
        )
    return Redirect("/me/devices", status_code=303)


ROUTES = [login_page, login, logout, me, my_devices, revoke_my_device]
