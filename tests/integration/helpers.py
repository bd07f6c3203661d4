"""Helpers for integration tests: CSRF tokens, logging in as a demo person."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient

from server.directory.demo import DEMO_PASSWORD
from server.directory.kinds import PostKind
from server.directory.service import first_holders


async def csrf_token(client: AsyncTestClient) -> str:
    page = await client.get("/login")
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert match, "every page carries its CSRF token in a <meta>"
    return match.group(1)


async def post_form(client: AsyncTestClient, url: str, data: dict[str, str], **kwargs):
    token = await csrf_token(client)
    return await client.post(
        url, data=data, headers={"x-csrftoken": token}, follow_redirects=False, **kwargs
    )


async def log_in(client: AsyncTestClient, mobile: str, password: str = DEMO_PASSWORD):
    return await post_form(client, "/login", {"mobile": mobile, "password": password})


async def demo_mobile(kind: PostKind) -> str:
    """The demo person holding the first post of this kind."""
    [(_, person, _where)] = await first_holders([kind])
    return person.mobile
