"""Photos upload in chunks, resume after a cut, are verified by SHA-256 and stored once."""

from __future__ import annotations

import hashlib
import io

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from server.auth import service as auth
from server.directory.demo import DEMO_PASSWORD
from server.directory.kinds import PostKind
from server.directory.service import person_by_mobile
from server.media import grants
from tests.integration.helpers import demo_mobile

pytestmark = pytest.mark.db


def photo(seed: int = 1, size: tuple[int, int] = (640, 480)) -> bytes:
    image = Image.effect_noise(size, 40 + seed).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


@pytest.fixture
async def client(app: Litestar, demo):
    token = await auth.login(
        await demo_mobile(PostKind.grid_member), DEMO_PASSWORD, ip="1", user_agent="x"
    )
    async with AsyncTestClient(app=app) as client:
        client.cookies.set("gw_session", token)
        yield client


async def put(client: AsyncTestClient, sha: str, data: bytes, start: int, end: int):
    return await client.put(
        f"/media/uploads/{sha}",
        content=data[start:end],
        headers={
            "content-range": f"bytes {start}-{end - 1}/{len(data)}",
            "content-type": "application/octet-stream",
        },
    )


async def test_upload_resumes_after_a_cut(client: AsyncTestClient, settings) -> None:
    data = photo()
    sha = hashlib.sha256(data).hexdigest()
    third = len(data) // 3
    first = await put(client, sha, data, 0, third)
    assert first.json() == {"received": third, "complete": False}
    # The connection dies: the phone does not know what arrived, so it asks.
    state = (await client.get(f"/media/uploads/{sha}")).json()
    assert state == {"received": third, "complete": False}
    stale = await put(client, sha, data, 0, third)  # a retry of the first part
    assert stale.status_code == 409 and str(third) in stale.text
    await put(client, sha, data, third, 2 * third)
    done = await put(client, sha, data, 2 * third, len(data))
    assert done.json() == {"received": len(data), "complete": True}
    grid = await person_by_mobile(await demo_mobile(PostKind.grid_member))
    assert (await client.get(f"/media/{sha}")).status_code == 404  # not shown it: no grant
    served = await client.get(grants.url(settings.secret_key, grid.id, sha))
    assert served.headers["content-type"] == "image/jpeg"
    assert hashlib.sha256(served.content).hexdigest() == sha


async def test_same_photo_twice_is_stored_once(client: AsyncTestClient, settings) -> None:
    data = photo(2)
    sha = hashlib.sha256(data).hexdigest()
    await put(client, sha, data, 0, len(data))
    again = await put(client, sha, data, 0, len(data))
    assert again.json()["complete"] is True
    assert len(list((settings.media_dir / "objects").rglob("*"))) == 2  # one folder, one file


async def test_damaged_upload_is_refused_and_starts_over(client: AsyncTestClient) -> None:
    data = photo(3)
    sha = hashlib.sha256(data).hexdigest()
    broken = data[:100] + b"\x00" + data[101:]
    refused = await put(client, sha, broken, 0, len(broken))
    assert refused.status_code == 422 and "损坏" in refused.json()["error"]
    assert (await client.get(f"/media/uploads/{sha}")).json()["received"] == 0
    assert (await put(client, sha, data, 0, len(data))).json()["complete"] is True


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"%PDF-1.4 not a photo" * 10, 422), (b"\xff\xd8\xff" + b"garbage" * 20, 422)],
)
async def test_only_real_photos(client: AsyncTestClient, body: bytes, status: int) -> None:
    sha = hashlib.sha256(body).hexdigest()
    assert (await put(client, sha, body, 0, len(body))).status_code == status


async def test_limits(client: AsyncTestClient) -> None:
    sha = "0" * 64
    huge = await client.put(
        f"/media/uploads/{sha}",
        content=b"x" * 10,
        headers={"content-range": f"bytes 0-9/{16 * 1024 * 1024}"},
    )
    assert huge.status_code == 413
    bad_name = await client.get("/media/uploads/not-a-hash")
    assert bad_name.status_code == 400
    no_range = await client.put(f"/media/uploads/{sha}", content=b"x")
    assert no_range.status_code == 400
    assert (await client.get(f"/media/{sha}")).status_code == 404


async def test_a_photo_only_for_those_shown_it(app: Litestar, demo, settings) -> None:
    """Issue 14, finding 10: a hazard's photo is served to the people whose page showed it
    (its grid member, the station), not to a grid member of another town who knows its hash,
    nor with a grant made for someone else or in a period long gone."""
    from server.hazards.tables import Hazard
    from tests.integration.hazards.people import GRID_MEMBER, STATION, hazard_in, viewer
    from tests.integration.helpers import log_in

    data = photo(7)
    sha = hashlib.sha256(data).hexdigest()
    people = {"grid": await viewer(GRID_MEMBER), "station": await viewer(STATION)}
    hazard_id = await hazard_in("accepted", people, photos_before=[sha])
    async with AsyncTestClient(app=app) as phone:
        assert (await log_in(phone, GRID_MEMBER)).status_code == 303
        await put(phone, sha, data, 0, len(data))
    row = await Hazard.select(Hazard.area_path).where(Hazard.id == hazard_id).first()
    from server.directory.tables import Post

    posts = await Post.select(Post.area_path, Post.person.mobile.as_alias("mobile")).where(
        Post.kind == PostKind.grid_member.value
    )
    town = "/".join(row["area_path"].split("/")[:4]) + "/"
    outsider = next(p["mobile"] for p in posts if not p["area_path"].startswith(town))
    async with AsyncTestClient(app=app) as station:
        assert (await log_in(station, STATION)).status_code == 303
        page = (await station.get(f"/hazards/{hazard_id}")).text
        src = page.split(f'src="/media/{sha}?g=', 1)[1].split('"', 1)[0]
        assert (await station.get(f"/media/{sha}?g={src}")).content == data
    async with AsyncTestClient(app=app) as other:
        assert (await log_in(other, outsider)).status_code == 303
        assert (await other.get(f"/hazards/{hazard_id}")).status_code == 404
        for token in (src, "", grants.grant(settings.secret_key, people["grid"].person_id, sha)):
            assert (await other.get(f"/media/{sha}?g={token}")).status_code == 404
    stale = grants.grant(settings.secret_key, people["station"].person_id, sha, now=86400.0)
    assert not grants.valid(settings.secret_key, people["station"].person_id, sha, stale)


async def test_an_unfinished_upload_is_its_senders(app: Litestar, demo, client) -> None:
    """Issue 14, finding 11: another person can neither see nor continue someone's half
    sent photo; each has their own (and both end in the one stored photo)."""
    from tests.integration.helpers import log_in

    data = photo(8)
    sha = hashlib.sha256(data).hexdigest()
    half = len(data) // 2
    assert (await put(client, sha, data, 0, half)).json()["received"] == half
    async with AsyncTestClient(app=app) as other:
        assert (await log_in(other, await demo_mobile(PostKind.station_staff))).status_code == 303
        assert (await other.get(f"/media/uploads/{sha}")).json()["received"] == 0
        assert (await put(other, sha, data, half, len(data))).status_code == 409
        assert (await put(other, sha, data, 0, len(data))).json()["complete"] is True
    assert (await put(client, sha, data, half, len(data))).json()["complete"] is True


async def test_unfinished_uploads_have_a_quota_per_person(
    app: Litestar, client, monkeypatch
) -> None:
    """At most the quota unfinished per person: the next part is 413 with a message, a
    photo sent whole in one part still goes, and finishing one frees its room."""
    monkeypatch.setattr(app.state.media, "quota", 150_000)
    first, second = photo(9, (900, 700)), photo(10, (900, 700))
    assert len(first) > 150_000 and len(second) > 150_000
    sha1, sha2 = (hashlib.sha256(d).hexdigest() for d in (first, second))
    assert (await put(client, sha1, first, 0, 100_000)).status_code == 200
    refused = await put(client, sha2, second, 0, 100_000)
    assert refused.status_code == 413 and "照片" in refused.json()["error"]
    assert (await client.get(f"/media/uploads/{sha2}")).json()["received"] == 0
    whole = photo(11)
    assert (await put(client, hashlib.sha256(whole).hexdigest(), whole, 0, len(whole))).json()[
        "complete"
    ]
    assert (await put(client, sha1, first, 100_000, len(first))).json()["complete"] is True
    assert (await put(client, sha2, second, 0, 100_000)).status_code == 200


def test_unfinished_uploads_expire(tmp_path) -> None:
    """The worker's media.expire: parts idle 3 days go, younger ones and photos stay."""
    import asyncio
    import os
    import time
    import uuid

    from server.media.storage import MediaStore

    store = MediaStore(tmp_path)
    owner = uuid.uuid4()
    old, young, whole = photo(12), photo(13), photo(14)
    shas = [hashlib.sha256(d).hexdigest() for d in (old, young, whole)]
    asyncio.run(store.append(shas[0], 0, old[:1000], len(old), owner))
    asyncio.run(store.append(shas[1], 0, young[:1000], len(young), owner))
    asyncio.run(store.append(shas[2], 0, whole, len(whole), owner))
    four_days = time.time() - 4 * 86400
    [part] = store.blobs.listing(store._parts(shas[0], owner))
    os.utime(tmp_path / part.name, (four_days, four_days))
    assert store.expire() == 1
    assert store.state(shas[0], owner).received == 0
    assert store.state(shas[1], owner).received == 1000
    assert store.state(shas[2]).complete
    assert store.unfinished(owner) == 1000
