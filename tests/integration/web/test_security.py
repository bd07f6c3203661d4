"""CSRF on every state-changing request, CSP without inline script, no stack traces."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar, Request, get, post
from litestar.testing import AsyncTestClient

from server.auth.access import PUBLIC, allow
from tests.integration.helpers import csrf_token

pytestmark = pytest.mark.db


async def test_post_without_csrf_token_is_refused(client: AsyncTestClient) -> None:
    await client.get("/")  # the CSRF cookie is set, but no token is sent
    response = await client.post("/language", data={"language": "en"}, follow_redirects=False)
    assert response.status_code == 403
    assert "页面已过期" in response.text
    assert "Traceback" not in response.text


async def test_post_with_csrf_header_is_accepted(client: AsyncTestClient) -> None:
    token = await csrf_token(client)
    response = await client.post(
        "/language",
        data={"language": "en"},
        headers={"x-csrftoken": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "gw_lang=en" in response.headers["set-cookie"]


async def test_plain_form_carries_csrf_field(client: AsyncTestClient) -> None:
    """Without JavaScript the language form still works: it posts the hidden field."""
    page = await client.get("/")
    field = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert field
    response = await client.post(
        "/language",
        data={"language": "en", "_csrf_token": field.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_csp_forbids_inline_script(client: AsyncTestClient) -> None:
    response = await client.get("/")
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "<script>" not in response.text, "no inline script in the page"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_cookies_are_httponly_and_samesite(client: AsyncTestClient) -> None:
    response = await client.get("/")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


async def test_cookies_secure_behind_https(settings, database) -> None:
    from dataclasses import replace

    from server.app import create_app

    app = create_app(replace(settings, base_url="https://grid.example.cn"))
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/")
    assert "secure" in response.headers["set-cookie"].lower()


async def test_unexpected_error_shows_no_stack_trace(app: Litestar) -> None:
    @get("/boom", opt=allow(PUBLIC))
    async def boom() -> None:
        raise RuntimeError("secret internals")

    app.register(boom)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert "系统出错了" in response.text
    assert "secret internals" not in response.text and "Traceback" not in response.text


async def test_request_body_limit(app: Litestar, settings) -> None:
    @post("/echo", exclude_from_csrf=True, opt=allow(PUBLIC))
    async def echo(request: Request) -> int:
        return len(await request.body())

    app.register(echo)
    async with AsyncTestClient(app=app) as client:
        small = await client.post("/echo", content=b"x" * 1000)
        large = await client.post("/echo", content=b"x" * (settings.max_body_bytes + 1))
    assert small.status_code == 201
    assert large.status_code == 413
    assert "提交的内容过大" in large.text


async def test_htmx_errors_land_in_flash(client: AsyncTestClient) -> None:
    response = await client.get("/no-such-page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["hx-retarget"] == "#flash"
    assert "<html" not in response.text


async def test_api_errors_are_json(client: AsyncTestClient) -> None:
    response = await client.get("/api/nothing")
    assert response.status_code == 404
    assert response.json()["error"]
