"""Helpers for integration tests: CSRF tokens, logging in as a demo person."""

from __future__ import annotations

import re
import subprocess
import sys

from litestar.testing import AsyncTestClient

from server.directory.demo import DEMO_PASSWORD
from server.directory.kinds import PostKind
from server.directory.service import first_holders
from server.settings import ROOT


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


def gridwatch(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The `gridwatch` command run as the operator runs it, on the test's database."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DATABASE_URL": database_url, "SECRET_KEY": "x", "PATH": "/usr/bin:/bin"},
    )
