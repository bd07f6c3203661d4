"""The app shell: home in both languages, service worker, manifest, static files, health."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image

from server.app import create_app
from server.settings import ROOT, sqlite_path
from server.syncing.forms import ENVELOPE
from server.web.assets import Assets
from tests.integration.helpers import csrf_token

pytestmark = pytest.mark.db


async def test_home_is_chinese_by_default(client: AsyncTestClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert '<html lang="zh-CN"' in response.text
    assert "网格安全通" in response.text
    assert 'id="pending-sync"' in response.text and 'id="net-status"' in response.text


async def test_language_switch_to_english(client: AsyncTestClient) -> None:
    token = await csrf_token(client)
    await client.post(
        "/language", data={"language": "en", "next": "/offline"}, headers={"x-csrftoken": token}
    )
    response = await client.get("/")
    assert '<html lang="en"' in response.text
    assert "Gridwatch" in response.text and "首页" not in response.text


async def test_accept_language_english(client: AsyncTestClient) -> None:
    response = await client.get("/", headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="en"' in response.text


async def test_language_switch_never_redirects_off_site(client: AsyncTestClient) -> None:
    token = await csrf_token(client)
    response = await client.post(
        "/language",
        data={"language": "xx", "next": "//evil.example/"},
        headers={"x-csrftoken": token},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


async def test_service_worker_precaches_every_static_file(client: AsyncTestClient) -> None:
    response = await client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    assets = Assets.scan()
    for name in assets.files:
        assert assets.url(name) in response.text
    assert '"/offline"' in response.text
    assert "vendor/htmx-2.0.11/htmx.min.js?v=" in response.text


async def test_the_build_tells_the_phone_the_envelope_fields(client: AsyncTestClient) -> None:
    """The offline form contract is written once: the worker gets the envelope's names."""
    body = (await client.get("/sw.js")).text
    build = json.loads(body[body.index("wire(") + 5 : body.rindex(");")])
    assert build["envelope"] == sorted(ENVELOPE)
    worker = (ROOT / "pwa/static/js/sw/forms.js").read_text()
    assert "new Set([" not in worker, "the worker keeps no list of its own"


async def test_a_kept_form_gets_a_fresh_csrf_token(client: AsyncTestClient) -> None:
    """What tipoff-queue.js does when the network returns: no page to scrape."""
    answer = await client.get("/csrf-token")
    assert answer.headers["cache-control"] == "no-store"
    token = answer.json()["token"]
    assert token and token == await csrf_token(client)  # the cookie it set, the pages' token
    refused = await client.post("/language", data={"language": "en"}, headers={"x-csrftoken": "x"})
    assert refused.status_code == 403
    ok = await client.post(
        "/language", data={"language": "en"}, headers={"x-csrftoken": token}, follow_redirects=False
    )
    assert ok.status_code == 303


async def test_static_caching_and_lookup(client: AsyncTestClient) -> None:
    url = Assets.scan().url("app.css")
    versioned = await client.get(url)
    assert versioned.status_code == 200
    assert "immutable" in versioned.headers["cache-control"]
    plain = await client.get("/static/app.css")
    assert plain.headers["cache-control"] == "no-cache"
    assert (await client.get("/static/../server/app.py")).status_code == 404
    assert (await client.get("/static/vendor/htmx-2.0.11/LICENSE")).status_code == 404
    assert (await client.get("/static/nothing.js")).status_code == 404


async def test_static_is_compressed(client: AsyncTestClient) -> None:
    url = Assets.scan().url("vendor/htmx-2.0.11/htmx.min.js")
    response = await client.get(url, headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"


async def test_manifest_is_installable(client: AsyncTestClient) -> None:
    manifest = (await client.get("/manifest.webmanifest")).json()
    assert manifest["name"] == "网格安全通" and manifest["lang"] == "zh-CN"
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    sizes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        body = (await client.get(icon["src"])).content
        width, height = Image.open(io.BytesIO(body)).size
        assert f"{width}x{height}" == icon["sizes"]


async def test_offline_page(client: AsyncTestClient) -> None:
    response = await client.get("/offline")
    assert response.status_code == 200 and "没有网络连接" in response.text


async def test_healthz_ok(client: AsyncTestClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


async def test_healthz_503_when_database_gone(settings, database, engine_name) -> None:
    if engine_name == "sqlite":
        # The same app, then its database file disappears from under it.
        app = create_app(settings)
        async with AsyncTestClient(app=app) as client:
            assert (await client.get("/healthz")).status_code == 200
            path = sqlite_path(settings.database_url)
            moved = path.with_suffix(".away")
            path.rename(moved)
            try:
                response = await client.get("/healthz")
            finally:
                moved.rename(path)
    else:
        gone = replace(settings, database_url="postgresql://postgres@127.0.0.1:1/gone")
        async with AsyncTestClient(app=create_app(gone)) as client:
            response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"].startswith("unavailable")


async def test_readyz_says_what_is_missing(database, settings) -> None:
    """Ready only with every migration applied, a worker that ran its loop in the last
    minute, and a photo store that answers; otherwise 503 naming what is wrong."""
    from datetime import UTC, datetime, timedelta

    from server.ops import service as ops
    from server.ops.tables import WorkerBeat

    async with AsyncTestClient(app=create_app(settings)) as client:
        answer = await client.get("/readyz")
        assert answer.status_code == 503
        checks = answer.json()["checks"]
        assert checks["database"] == checks["schema"] == checks["media"] == "ok"
        assert checks["worker"] == "no worker has run"
        await ops.beat("web-1:42")
        answer = await client.get("/readyz")
        assert answer.status_code == 200 and answer.json()["status"] == "ready"
        late = datetime.now(UTC) - timedelta(minutes=5)
        await WorkerBeat.update({WorkerBeat.beat_at: late}).where(WorkerBeat.name == "web-1:42")
        answer = await client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["checks"]["worker"].startswith("silent")
        await ops.beat("web-1:42")  # the same worker again: one row, brought up to date
        assert await WorkerBeat.count() == 1
        assert (await client.get("/readyz")).status_code == 200


async def test_a_dyke_guarantor_finds_his_dyke_on_the_home(app, demo) -> None:
    """A post on a place (a dyke section) is the person's own: the home lists it, and does
    not tell him he holds no post."""
    from server.directory.tables import Post
    from tests.integration.helpers import log_in

    row = (
        await Post.select(Post.person.mobile.as_alias("mobile"), Post.place.name.as_alias("place"))
        .where((Post.kind == "flood_guarantor") & Post.place.is_not_null())
        .first()
    )
    async with AsyncTestClient(app=app) as client:
        assert (await log_in(client, row["mobile"])).status_code == 303
        home = (await client.get("/")).text
    assert row["place"] in home and "您还没有" not in home
