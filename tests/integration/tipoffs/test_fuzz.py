"""Schemathesis over the OpenAPI description of the public endpoints (the tip-off form and
pages, Open311), against a live server: whatever is sent, no answer is a server error; and
afterwards nothing is half-stored (every tip-off's photos are there, no photo without its
tip-off)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from server.hazards.categories import SEED
from server.tipoffs.openapi import document
from tests.live import LiveServer, live_server

KEY = "fuzz-partner-key-0123456789"
#: the categories every deployment starts with (a migration seeds them)
CODES = [code for top, *_, children in SEED for code in [top, *(c[0] for c in children)]]
schema = schemathesis.openapi.from_dict(document(CODES))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("fuzz")
    limits = "ip=100000/1h,mobile=100000/1d,all=100000/1h"  # reach the storing, not the limit
    with live_server(workdir, OPEN311_KEYS=f"fuzz={KEY}", TIPOFF_LIMITS=limits) as server:
        yield server


@pytest.fixture(scope="module")
def session(live: LiveServer) -> requests.Session:
    """A browser's session: the form's CSRF cookie and token, as the page gives them."""
    http = requests.Session()
    page = http.get(f"{live.url}/tipoffs/new", timeout=10).text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    http.headers["x-csrftoken"] = token.group(1)
    return http


def test_the_fuzzed_description_is_the_published_one(live: LiveServer) -> None:
    published = requests.get(f"{live.url}/openapi/public.json", timeout=10).json()
    assert published == document(CODES)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case, live: LiveServer, session: requests.Session) -> None:
    if case.method == "POST" and "open311" in case.path and isinstance(case.body, dict):
        case.body["api_key"] = KEY  # else every post stops at the key
    response = case.call(base_url=live.url, session=session, allow_redirects=False, timeout=30)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:300]}"


def test_nothing_is_half_stored(live: LiveServer) -> None:
    db = live.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        photos = [p for (p,) in conn.execute("SELECT photos FROM tip_off")]
        count = conn.execute("SELECT count(*) FROM tip_off").fetchone()[0]
    assert count > 0  # the fuzzing did store tip-offs
    media = Path(live.env["MEDIA_DIR"])
    named = set(re.findall(r'"(?:sha256|original)": "([0-9a-f]{64})"', " ".join(photos)))
    files = {p.name for p in (media / "objects").rglob("*") if p.is_file()}
    files |= {p.name for p in (media / "originals" / "objects").rglob("*") if p.is_file()}
    assert named <= files  # every photo a tip-off names is there
    assert files <= named  # and no photo is there without its tip-off
    assert not any((media / "partial").glob("*")) if (media / "partial").exists() else True
