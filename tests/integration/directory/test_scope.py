"""Scoping: a grid member sees their grid only, station staff their town; out of scope is 404."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.auth import service as auth
from server.directory.demo import DEMO_PASSWORD
from server.directory.kinds import PostKind
from server.directory.scope import under
from server.directory.tables import Area, Place, Post
from tests.integration.helpers import demo_mobile

pytestmark = pytest.mark.db


async def client_as(app: Litestar, kind: PostKind) -> tuple[AsyncTestClient, auth.Viewer]:
    token = await auth.login(await demo_mobile(kind), DEMO_PASSWORD, ip="t", user_agent="t")
    viewer, _ = await auth.authenticate(token)
    client = AsyncTestClient(app=app)
    client.cookies.set("gw_session", token)
    return client, viewer


async def places_of(path_prefix: str, outside: bool = False) -> list[dict]:
    """Places inside (or outside) a subtree, found without the code under test."""
    rows = await Place.select(Place.id, Place.area_path, Place.name)
    return [r for r in rows if r["area_path"].startswith(path_prefix) != outside]


async def test_grid_member_sees_only_their_grid(app: Litestar, demo) -> None:
    client, viewer = await client_as(app, PostKind.grid_member)
    [grid_path] = viewer.scope.prefixes
    mine, others = await places_of(grid_path), await places_of(grid_path, outside=True)
    async with client:
        listing = (await client.get("/places")).text
        assert all(p["name"] in listing for p in mine)
        for other in others[:: max(1, len(others) // 15)]:
            assert f'id="place-{other["id"]}"' not in listing
            assert (await client.get(f"/places/{other['id']}")).status_code == 404
        assert (await client.get(f"/places/{mine[0]['id']}")).status_code == 200
        # A place of another grid found by searching its exact name: still not listed.
        other = others[0]
        found = (await client.get("/places", params={"q": other["name"]})).text
        assert f'id="place-{other["id"]}"' not in found


async def test_grid_member_cannot_read_people_of_another_grid(app: Litestar, demo) -> None:
    client, viewer = await client_as(app, PostKind.grid_member)
    [grid_path] = viewer.scope.prefixes
    posts = await Post.select(Post.person, Post.area_path, Post.kind)
    colleague_elsewhere = next(
        p["person"]
        for p in posts
        if p["kind"] == "grid_member" and not p["area_path"].startswith(grid_path)
    )
    async with client:
        assert (await client.get(f"/people/{colleague_elsewhere}")).status_code == 404
        people = (await client.get("/people")).text
        assert f'id="person-{colleague_elsewhere}"' not in people
        assert f'id="person-{viewer.person_id}"' in people
        assert (await client.get(f"/people/{viewer.person_id}")).status_code == 200


async def test_station_staff_see_their_town_only(app: Litestar, demo) -> None:
    client, viewer = await client_as(app, PostKind.station_staff)
    [town_path] = viewer.scope.prefixes
    areas = await Area.select(Area.id, Area.path, Area.level)
    inside = [a for a in areas if a["path"].startswith(town_path) and a["level"] == "grid"]
    outside = [
        a
        for a in areas
        if not town_path.startswith(a["path"]) and not a["path"].startswith(town_path)
    ]
    async with client:
        for area in inside:
            assert (await client.get(f"/areas/{area['id']}")).status_code == 200
        for area in outside:
            assert (await client.get(f"/areas/{area['id']}")).status_code == 404, area
        total = len(await places_of(town_path))
        listing = await client.get("/places", params={"page": "1"})
        assert f'data-total="{total}"' in listing.text
        elsewhere = (await places_of(town_path, outside=True))[0]
        assert (await client.get(f"/places/{elsewhere['id']}")).status_code == 404


async def test_flood_guarantor_sees_their_place_not_the_grid(app: Litestar, demo) -> None:
    client, viewer = await client_as(app, PostKind.flood_guarantor)
    [place_id] = viewer.scope.place_ids
    neighbour = await Place.select(Place.id).where(Place.id != place_id).first()
    async with client:
        assert (await client.get(f"/places/{place_id}")).status_code == 200
        assert (await client.get(f"/places/{neighbour['id']}")).status_code == 404


async def test_qr_token_respects_scope(app: Litestar, demo) -> None:
    client, viewer = await client_as(app, PostKind.grid_member)
    [grid_path] = viewer.scope.prefixes
    rows = await Place.select(Place.qr_token, Place.area_path, Place.id)
    mine = next(r for r in rows if r["area_path"].startswith(grid_path))
    other = next(r for r in rows if not r["area_path"].startswith(grid_path))
    async with client:
        response = await client.get(f"/p/{mine['qr_token']}", follow_redirects=False)
        assert response.headers["location"] == f"/places/{mine['id']}"
        # another grid's plate: its public side, as anyone sees it, never the place's page
        public = await client.get(f"/p/{other['qr_token']}", follow_redirects=False)
        assert public.status_code == 200 and 'id="place-public"' in public.text
        assert f"/places/{other['id']}" not in public.text
        assert (await client.get("/p/not-a-plate")).status_code == 404


async def test_qr_sheet_one_page_per_grid(app: Litestar, demo) -> None:
    client, viewer = await client_as(app, PostKind.station_staff)
    town = (
        await Area.select(Area.id, Area.path).where(Area.path == viewer.scope.prefixes[0]).first()
    )
    grids = [
        a
        for a in await Area.select(Area.path, Area.level)
        if a["level"] == "grid" and a["path"].startswith(town["path"])
    ]
    async with client:
        sheet = (await client.get(f"/areas/{town['id']}/qr-sheet")).text
    assert sheet.count('class="qr-sheet"') == len(grids)
    assert sheet.count("<svg") == len(await places_of(town["path"]))


async def test_prefix_query_uses_an_index(demo, engine_name: str) -> None:
    """'Everything under this town' is one indexed prefix query on both engines."""
    query = Place.select(Place.id).where(under(Place.area_path, "/339900/339901/339901001/"))
    sql = str(query)
    engine = Place._meta.db
    if engine_name == "sqlite":
        plan = await engine.run_ddl(f"EXPLAIN QUERY PLAN {sql}")
        text = " ".join(str(r) for r in plan)
        assert "USING INDEX" in text or "USING COVERING INDEX" in text, text
    else:
        async with engine.transaction():
            await engine.run_ddl("SET LOCAL enable_seqscan = off")
            plan = await engine.run_ddl(f"EXPLAIN {sql}")
        text = " ".join(str(r) for r in plan)
        assert "Index" in text and "place_area_path" in text, text
