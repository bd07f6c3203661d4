"""Photos in an S3-compatible object store shared by two hosts: a real S3-protocol server
(moto's standalone server) on 127.0.0.1, and two instances of the app, each with a media
folder of its own that stays empty. A photo uploaded in chunks alternating between them is
whole and served by both; an upload cut on one host resumes on the other."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from dataclasses import replace

import boto3
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from moto.server import ThreadedMotoServer

from server.app import create_app
from server.auth import service as auth
from server.db import Database
from server.directory.demo import DEMO_PASSWORD
from server.directory.kinds import PostKind
from server.directory.service import person_by_mobile
from server.media import grants
from server.media.blobs import S3Blobs
from server.media.storage import MediaStore, UploadMismatch
from server.settings import Settings
from tests.integration.helpers import demo_mobile
from tests.integration.media.test_uploads import photo, put

pytestmark = pytest.mark.db
BUCKET = "gridwatch-test"


@pytest.fixture(scope="session")
def s3_url() -> Iterator[str]:
    """An S3-protocol server for the test session, on a free port of 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id="k",
        aws_secret_access_key="s",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


def on_s3(settings: Settings, url: str, host: str, tmp_path) -> Settings:
    return replace(
        settings,
        media_dir=tmp_path / f"media-{host}",
        s3_endpoint_url=url,
        s3_bucket=BUCKET,
        s3_prefix=f"{tmp_path.name}/",  # each test its own keys in the shared bucket
        s3_access_key_id="k",
        s3_secret_access_key="s",
    )


async def test_two_hosts_share_photos_and_uploads(
    settings: Settings, active_database: Database, demo, s3_url: str, tmp_path
) -> None:
    web_a: Litestar = create_app(on_s3(settings, s3_url, "a", tmp_path))
    web_b: Litestar = create_app(on_s3(settings, s3_url, "b", tmp_path))
    mobile = await demo_mobile(PostKind.grid_member)
    person = await person_by_mobile(mobile)
    data = photo(21, (1200, 900))
    sha = hashlib.sha256(data).hexdigest()
    step = 64 * 1024  # the phone's chunk
    async with AsyncTestClient(app=web_a) as a, AsyncTestClient(app=web_b) as b:
        for client in (a, b):
            token = await auth.login(mobile, DEMO_PASSWORD, ip="1", user_agent="x")
            client.cookies.set("gw_session", token)
        hosts = [a, b]
        for n, start in enumerate(range(0, len(data), step)):
            host = hosts[n % 2]  # a load balancer sending each request anywhere
            answer = await put(host, sha, data, start, min(start + step, len(data)))
            assert answer.status_code == 200, answer.text
            # the other host knows where to resume
            other = (await hosts[(n + 1) % 2].get(f"/media/uploads/{sha}")).json()
            assert other["received"] == min(start + step, len(data))
        assert other["complete"] is True
        signed = grants.url(settings.secret_key, person.id, sha)
        for client in (a, b):
            served = await client.get(signed)
            assert served.status_code == 200 and served.content == data
            assert served.headers["content-type"] == "image/jpeg"
        # an upload cut on one host resumes on the other, from the byte the store has
        again = photo(22)
        sha2 = hashlib.sha256(again).hexdigest()
        assert (await put(a, sha2, again, 0, 1000)).json()["received"] == 1000
        stale = await put(b, sha2, again, 0, 1000)  # the phone retried what it did not hear
        assert stale.status_code == 409 and "1000" in stale.text
        done = await put(b, sha2, again, 1000, len(again))
        assert done.json() == {"received": len(again), "complete": True}
    # nothing went to either host's own folder: the store is the only copy
    for host in ("a", "b"):
        folder = tmp_path / f"media-{host}"
        assert not folder.exists() or not [p for p in folder.rglob("*") if p.is_file()]


def test_the_store_names_what_arrived_and_expires_the_rest(s3_url: str, tmp_path) -> None:
    """The same store rules on S3 as in a folder: a damaged photo is refused and its parts
    removed, parts idle for days are expired, a whole photo stays."""
    import asyncio
    import uuid

    blobs = S3Blobs.connect(s3_url, BUCKET, "k", "s", "us-east-1", f"{tmp_path.name}-unit/")
    store = MediaStore(blobs)
    owner = uuid.uuid4()
    data = photo(23)
    sha = hashlib.sha256(data).hexdigest()
    wrong = bytearray(data)
    wrong[500] ^= 0xFF
    asyncio.run(store.append(sha, 0, bytes(wrong[:1000]), len(data), owner))
    with pytest.raises(UploadMismatch):
        asyncio.run(store.append(sha, 1000, bytes(wrong[1000:]), len(data), owner))
    assert store.state(sha, owner).received == 0  # start again
    assert store.unfinished(owner) == 0
    asyncio.run(store.append(sha, 0, data[:1000], len(data), owner))
    assert store.unfinished(owner) == 1000
    assert store.expire(days=0) == 1  # idle for "0 days": gone
    assert store.state(sha, owner).received == 0
    assert store.put(data) == sha and store.exists(sha) and store.read(sha) == data
    assert store.expire(days=0) == 0  # a whole photo is not a part


def test_a_whole_photo_is_asked_of_the_store_once(s3_url: str, tmp_path) -> None:
    """A page of thumbnails asks whether each photo is whole: on S3 that is a HEAD each
    time, unless the process remembers the photos it found whole (they never change)."""
    blobs = S3Blobs.connect(s3_url, BUCKET, "k", "s", "us-east-1", f"{tmp_path.name}-heads/")
    asked: list[str] = []
    size = blobs.size

    def counted(name: str) -> int | None:
        asked.append(name)
        return size(name)

    blobs.size = counted  # type: ignore[method-assign]
    store = MediaStore(blobs)
    data = photo(31)
    sha = hashlib.sha256(data).hexdigest()
    assert not store.exists(sha) and not store.exists(sha)  # not there: asked each time
    assert len(asked) == 2
    store.put(data)
    before = len(asked)
    assert all(store.exists(sha) for _ in range(5))
    assert len(asked) == before + 1
